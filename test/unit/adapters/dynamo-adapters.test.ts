import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { buildClaim, DynamoDeliveryLedger } from '../../../functions/adapters/dynamo-delivery-ledger.ts';
import { decodeCursor, encodeCursor } from '../../../functions/adapters/dynamo-keys.ts';
import {
  buildPutPaper,
  DynamoPaperRepository,
  snapshotItem,
} from '../../../functions/adapters/dynamo-paper-repository.ts';
import {
  buildCreateSubscriber,
  buildReplaceSubscriber,
  DynamoSubscriberRepository,
  recordFromItem,
  subscriberItem,
} from '../../../functions/adapters/dynamo-subscriber-repository.ts';
import type { Subscriber } from '../../../functions/core/subscriber.ts';
import { activeSubscriber, FixedClock } from '../../support/memory-ports.ts';
import { NOW, paper } from '../../support/papers.ts';

const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const ddb = mockClient(client);
afterEach(() => ddb.reset());

const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

const subscriber: Subscriber = activeSubscriber('sub1', { email: 'ana@example.org', version: 3 });

describe('request builders (pure: the key design, without mocks)', () => {
  it('stores a paper under its id and its publication day, only over the revision it read', () => {
    const fresh = buildPutPaper('t', paper('2611.00001', 1), { exists: false });
    expect(fresh.Item).toMatchObject({
      PK: 'PAPER#2611.00001',
      SK: 'PAPER',
      GSI1PK: 'DAY#2026-11-26',
      GSI1SK: 'PAPER#2611.00001',
      rev: 1,
    });
    expect(fresh.ConditionExpression).toBe('attribute_not_exists(PK)');
    const update = buildPutPaper('t', paper('2611.00001', 1), { exists: true, rev: 4 });
    expect(update).toMatchObject({
      ConditionExpression: 'rev = :rev',
      ExpressionAttributeValues: { ':rev': 4 },
      Item: { rev: 5 },
    });
    expect(buildPutPaper('t', paper('2611.00001', 1), { exists: true }).ConditionExpression).toBe(
      'attribute_exists(PK) AND attribute_not_exists(rev)',
    );
  });

  it('keeps a signal snapshot per paper and observation, for 180 days', () => {
    expect(snapshotItem('2611.1', { upvotes: 3, observedAt: '2026-11-26T00:00:00.000Z' })).toEqual({
      PK: 'PAPER#2611.1',
      SK: 'SIGNAL#2026-11-26T00:00:00.000Z',
      paperId: '2611.1',
      upvotes: 3,
      stars: undefined,
      comments: undefined,
      observedAt: '2026-11-26T00:00:00.000Z',
      expiresAt: Date.parse('2026-11-26T00:00:00.000Z') / 1000 + 180 * 86_400,
    });
    expect(snapshotItem('2611.1', { observedAt: '2026-11-26T00:00:00.000Z' })).toBeUndefined();
  });

  it('lists only active subscribers in GSI1', () => {
    expect(subscriberItem(subscriber)).toMatchObject({ GSI1PK: 'SUBS#active', GSI1SK: 'SUB#sub1' });
    expect(subscriberItem({ ...subscriber, status: 'unsubscribed' })).not.toHaveProperty('GSI1PK');
  });

  it('creates a subscriber only if absent or expired', () => {
    const input = buildCreateSubscriber('t', { ...subscriber, status: 'pending', expiresAt: 5 }, NOW);
    expect(input.ConditionExpression).toBe('attribute_not_exists(PK) OR expiresAt <= :now');
    expect(input.ExpressionAttributeValues).toEqual({ ':now': Math.floor(NOW.getTime() / 1000) });
  });

  it('claims a delivery only if absent or released, listed as sending, with the papers chosen', () => {
    expect(buildClaim('t', 'sub1', '2026-11-26', ['2611.1', '2611.2'], NOW)).toEqual({
      TableName: 't',
      Item: {
        PK: 'SUB#sub1',
        SK: 'DELIVERY#2026-11-26',
        GSI1PK: 'DELIVERIES#sending',
        GSI1SK: `CLAIMED#${NOW.toISOString()}#sub1/2026-11-26`,
        subscriberId: 'sub1',
        editionDate: '2026-11-26',
        status: 'sending',
        claimedAt: NOW.toISOString(),
        paperIds: ['2611.1', '2611.2'],
        expiresAt: Math.floor(NOW.getTime() / 1000) + 90 * 86_400,
      },
      ConditionExpression: 'attribute_not_exists(PK) OR #status = :released',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':released': 'released' },
    });
  });

  it('round-trips paging cursors and refuses a forged one', () => {
    const key = { PK: 'SUB#a', SK: 'PROFILE', GSI1PK: 'SUBS#active', GSI1SK: 'SUB#a' };
    expect(decodeCursor(encodeCursor(key))).toEqual(key);
    expect(() => decodeCursor('%%%')).toThrow(/not a paging cursor/u);
  });
});

describe('DynamoPaperRepository', () => {
  it('reads in batches, writes each changed paper conditionally and snapshots in batches', async () => {
    ddb.on(BatchGetCommand).resolves({ Responses: { papers: [] } });
    ddb.on(PutCommand).resolves({});
    ddb.on(BatchWriteCommand).resolves({});
    const repository = new DynamoPaperRepository(client, 'papers');
    const outcome = await repository.store([paper('1', 1, { upvotes: 2 }), paper('2', 1)]);
    expect(outcome).toEqual({ new: 2, updated: 0, unchanged: 0, merged: 0, linked: 0 });
    expect(ddb.commandCalls(BatchGetCommand)[0]?.args[0].input.RequestItems?.papers?.Keys).toHaveLength(4);
    const puts = ddb.commandCalls(PutCommand).map((c) => c.args[0].input);
    expect(puts.filter((p) => String(p.Item?.PK).startsWith('PAPER#'))).toHaveLength(2);
    expect(puts.filter((p) => String(p.Item?.PK).startsWith('TITLE#'))).toHaveLength(2);
    const snapshots = ddb.commandCalls(BatchWriteCommand)[0]?.args[0].input.RequestItems?.papers;
    expect(snapshots?.map((r) => r.PutRequest?.Item?.SK)).toEqual([`SIGNAL#${NOW.toISOString()}`]);
  });

  it('retries unprocessed batch keys', async () => {
    ddb
      .on(BatchGetCommand)
      .resolvesOnce({
        Responses: { papers: [] },
        UnprocessedKeys: { papers: { Keys: [{ PK: 'PAPER#1', SK: 'PAPER' }] } },
      })
      .resolves({ Responses: { papers: [] } });
    ddb.on(PutCommand).resolves({});
    await new DynamoPaperRepository(client, 'papers').store([paper('1', 1)]);
    expect(ddb.commandCalls(BatchGetCommand)).toHaveLength(2);
  });

  it('lets other errors through', async () => {
    ddb.on(BatchGetCommand).resolves({ Responses: { papers: [] } });
    ddb
      .on(PutCommand)
      .rejects(Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException' }));
    await expect(new DynamoPaperRepository(client, 'papers').store([paper('1', 1)])).rejects.toThrow(
      'throttled',
    );
  });
});

describe('DynamoSubscriberRepository', () => {
  it('queries the active index with a cursor and returns the next one', async () => {
    const last = { PK: 'SUB#sub1', SK: 'PROFILE', GSI1PK: 'SUBS#active', GSI1SK: 'SUB#sub1' };
    ddb.on(QueryCommand).resolves({ Items: [subscriberItem(subscriber)], LastEvaluatedKey: last });
    const repository = new DynamoSubscriberRepository(client, 'papers', new FixedClock(NOW));
    const page = await repository.listActive(undefined, 25);
    expect(page).toEqual({ subscribers: [subscriber], next: encodeCursor(last) });
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input).toEqual({
      TableName: 'papers',
      IndexName: 'GSI1',
      KeyConditionExpression: 'GSI1PK = :active',
      ExpressionAttributeValues: { ':active': 'SUBS#active' },
      Limit: 25,
      ExclusiveStartKey: undefined,
    });
  });

  it('reports a lost race as false rather than an error', async () => {
    ddb.on(PutCommand).rejects(conditionFailed());
    const repository = new DynamoSubscriberRepository(client, 'papers', new FixedClock(NOW));
    expect(await repository.create(subscriber)).toBe(false);
    expect(await repository.replace(subscriber, 3)).toBe(false);
  });

  it('replaces only the version that was read; a record from before versions is matched by its absence', () => {
    expect(buildReplaceSubscriber('t', subscriber, 3)).toMatchObject({
      ConditionExpression: 'attribute_exists(PK) AND #version = :expected',
      ExpressionAttributeNames: { '#version': 'version' },
      ExpressionAttributeValues: { ':expected': 3 },
      Item: { PK: 'SUB#sub1', SK: 'PROFILE', version: 3, GSI1PK: 'SUBS#active' },
    });
    expect(buildReplaceSubscriber('t', subscriber, 0).ConditionExpression).toBe(
      'attribute_exists(PK) AND (attribute_not_exists(#version) OR #version = :expected)',
    );
  });

  it('reads an item written before versions and bound links with what it lacks filled in', () => {
    const { version: _v, signupId: _s, authors: _a, exclude: _e, ...old } = subscriber;
    expect(recordFromItem({ PK: 'SUB#sub1', SK: 'PROFILE', ...old })).toMatchObject({
      version: 0,
      signupId: '0',
      authors: [],
      exclude: [],
    });
  });
});

describe('DynamoDeliveryLedger', () => {
  it('returns false when the delivery is already claimed', async () => {
    ddb.on(PutCommand).rejectsOnce(conditionFailed()).resolves({});
    const ledger = new DynamoDeliveryLedger(client, 'papers', new FixedClock(NOW));
    expect(await ledger.claim('sub1', '2026-11-26', [])).toBe(false);
    expect(await ledger.claim('sub1', '2026-11-27', [])).toBe(true);
  });
});
