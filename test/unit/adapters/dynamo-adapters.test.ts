import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { buildClaim, DynamoDeliveryLedger } from '../../../functions/adapters/dynamo-delivery-ledger.ts';
import { decodeCursor, encodeCursor } from '../../../functions/adapters/dynamo-keys.ts';
import { buildPutPaper, DynamoPaperRepository } from '../../../functions/adapters/dynamo-paper-repository.ts';
import {
  buildCreateSubscriber,
  DynamoSubscriberRepository,
  subscriberItem,
} from '../../../functions/adapters/dynamo-subscriber-repository.ts';
import type { Subscriber } from '../../../functions/core/subscriber.ts';
import { FixedClock } from '../../support/memory-ports.ts';
import { NOW, paper } from '../../support/papers.ts';

const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const ddb = mockClient(client);
afterEach(() => ddb.reset());

const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

const subscriber: Subscriber = {
  id: 'sub1',
  email: 'ana@example.org',
  status: 'active',
  topics: [],
  frequency: 'daily',
  digestSize: 10,
  createdAt: NOW.toISOString(),
  updatedAt: NOW.toISOString(),
};

describe('request builders (pure: the key design, without mocks)', () => {
  it('stores a paper under its id and its publication day, unless a same-age copy exists', () => {
    const input = buildPutPaper('t', paper('2611.00001', 1));
    expect(input.Item).toMatchObject({
      PK: 'PAPER#2611.00001',
      SK: 'PAPER',
      GSI1PK: 'DAY#2026-11-26',
      GSI1SK: 'PAPER#2611.00001',
    });
    expect(input.ConditionExpression).toBe('attribute_not_exists(PK) OR #signals.#observedAt < :observedAt');
    expect(input.ExpressionAttributeValues).toEqual({ ':observedAt': NOW.toISOString() });
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

  it('claims a delivery only if absent or released', () => {
    expect(buildClaim('t', 'sub1', '2026-11-26', NOW)).toEqual({
      TableName: 't',
      Item: { PK: 'SUB#sub1', SK: 'DELIVERY#2026-11-26', status: 'sending', claimedAt: NOW.toISOString() },
      ConditionExpression: 'attribute_not_exists(PK) OR #status = :released',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':released': 'released' },
    });
  });

  it('round-trips paging cursors and refuses a forged one', () => {
    const key = { PK: 'SUB#a', SK: 'PROFILE', GSI1PK: 'SUBS#active', GSI1SK: 'SUB#a' };
    expect(decodeCursor(encodeCursor(key))).toEqual(key);
    expect(() => decodeCursor('%%%')).toThrow(/invalid paging cursor/u);
  });
});

describe('DynamoPaperRepository', () => {
  it('counts a failed condition as unchanged and sends the exact put', async () => {
    ddb.on(PutCommand, { Item: { PK: 'PAPER#1' } }).resolves({});
    ddb.on(PutCommand, { Item: { PK: 'PAPER#2' } }).rejects(conditionFailed());
    const repository = new DynamoPaperRepository(client, 'papers');
    const outcome = await repository.upsert([paper('1', 1), paper('2', 1)]);
    expect(outcome).toEqual({ written: 1, unchanged: 1 });
    expect(ddb.commandCalls(PutCommand).map((c) => c.args[0].input)).toContainEqual(
      buildPutPaper('papers', paper('1', 1)),
    );
  });

  it('lets other errors through', async () => {
    ddb
      .on(PutCommand)
      .rejects(Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException' }));
    await expect(new DynamoPaperRepository(client, 'papers').upsert([paper('1', 1)])).rejects.toThrow(
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
    expect(await repository.replace(subscriber, 'pending')).toBe(false);
  });
});

describe('DynamoDeliveryLedger', () => {
  it('returns false when the delivery is already claimed', async () => {
    ddb.on(PutCommand).rejectsOnce(conditionFailed()).resolves({});
    const ledger = new DynamoDeliveryLedger(client, 'papers', new FixedClock(NOW));
    expect(await ledger.claim('sub1', '2026-11-26')).toBe(false);
    expect(await ledger.claim('sub1', '2026-11-27')).toBe(true);
  });
});
