import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDeliveryLedger } from '../../../functions/adapters/dynamo-delivery-ledger.ts';
import { keys } from '../../../functions/adapters/dynamo-keys.ts';
import { DynamoPersonalData } from '../../../functions/adapters/dynamo-personal-data.ts';
import { buildRateHit, DynamoRateLimiter } from '../../../functions/adapters/dynamo-rate-limiter.ts';
import { DynamoSubscriberRepository } from '../../../functions/adapters/dynamo-subscriber-repository.ts';
import { documentClient } from '../../../functions/shared/aws/dynamodb.ts';
import { startDynalite } from '../../support/dynalite.ts';
import { activeSubscriber, FixedClock } from '../../support/memory-ports.ts';

const NOW = new Date('2026-11-27T06:00:30Z');

describe('the rate limiter request', () => {
  it('adds one to the counter of the key’s current window, which expires a window after it ends', () => {
    const { input, windowEnds } = buildRateHit('t', 'abc', 60, NOW);
    const windowStart = Math.floor(NOW.getTime() / 1000) - 30;
    expect(windowEnds).toBe(windowStart + 60);
    expect(input).toEqual({
      TableName: 't',
      Key: { PK: 'RATE#abc', SK: `WINDOW#${windowStart}` },
      UpdateExpression: 'ADD #count :one SET #ttl = if_not_exists(#ttl, :expires)',
      ExpressionAttributeNames: { '#count': 'count', '#ttl': 'expiresAt' },
      ExpressionAttributeValues: { ':one': 1, ':expires': windowStart + 120 },
      ReturnValues: 'UPDATED_NEW',
    });
  });

  it('refuses past the limit with the seconds left in the window', async () => {
    const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
    const ddb = mockClient(client);
    ddb
      .on(UpdateCommand)
      .resolvesOnce({ Attributes: { count: 3 } })
      .resolves({ Attributes: { count: 4 } });
    const limiter = new DynamoRateLimiter(client, 't', new FixedClock(NOW));
    expect(await limiter.hit('abc', 3, 60)).toEqual({ allowed: true });
    expect(await limiter.hit('abc', 3, 60)).toEqual({ allowed: false, retryAfterSeconds: 30 });
    ddb.restore();
  });
});

describe('on the emulator', () => {
  let db: Awaited<ReturnType<typeof startDynalite>>;
  beforeAll(async () => {
    db = await startDynalite();
  });
  afterAll(async () => db?.stop());
  afterEach(() => undefined);

  it('counts concurrent hits exactly: 50 at once with a limit of 20 let exactly 20 through', async () => {
    const limiter = new DynamoRateLimiter(documentClient(), db.tableName, new FixedClock(NOW));
    const verdicts = await Promise.all(Array.from({ length: 50 }, () => limiter.hit('burst', 20, 60)));
    expect(verdicts.filter((v) => v.allowed)).toHaveLength(20);
  });

  it('exports everything under the reader, then erases it all but the marker', async () => {
    const clock = new FixedClock(NOW);
    const client = documentClient();
    const subscribers = new DynamoSubscriberRepository(client, db.tableName, clock);
    const ledger = new DynamoDeliveryLedger(client, db.tableName, clock);
    const personal = new DynamoPersonalData(client, db.tableName);
    const ana = activeSubscriber('ana', { email: 'ana@example.org' });
    await subscribers.create(ana);
    await subscribers.create(activeSubscriber('ben'));
    await ledger.claim('ana', '2026-11-26', ['2611.00001', '2611.00002']);
    await ledger.complete('ana', '2026-11-26', 'msg-1');
    // A digest recorded for the personal feed only (frequency "none"): never emailed.
    await ledger.claim('ana', '2026-11-25', ['2611.00003'], {
      reasons: [['matches "retrieval"']],
      channel: 'feed',
    });
    await ledger.claim('ben', '2026-11-26', ['2611.00001']);
    await ledger.complete('ben', '2026-11-26', 'msg-2');
    // A record an older version wrote, one item per paper.
    await client.send(
      new PutCommand({
        TableName: db.tableName,
        Item: { ...keys.sentPaper('ana', '2611.00009'), paperId: '2611.00009', sentAt: NOW.toISOString() },
      }),
    );

    const data = await personal.exportOf('ana');
    expect(data.subscriber).toMatchObject({ email: 'ana@example.org', status: 'active' });
    expect(data.deliveries).toEqual([
      {
        editionDate: '2026-11-25',
        status: 'sent',
        channel: 'feed',
        at: NOW.toISOString(),
        papers: [{ paperId: '2611.00003', reasons: ['matches "retrieval"'] }],
      },
      {
        editionDate: '2026-11-26',
        status: 'sent',
        channel: 'email',
        at: NOW.toISOString(),
        messageId: 'msg-1',
        papers: [
          { paperId: '2611.00001', reasons: [] },
          { paperId: '2611.00002', reasons: [] },
        ],
      },
    ]);
    expect(data.papersReceived.map((p) => p.paperId).sort()).toEqual([
      '2611.00001',
      '2611.00002',
      '2611.00003',
      '2611.00009',
    ]);

    await personal.erase({
      id: 'ana',
      status: 'erased',
      version: 2,
      erasedAt: NOW.toISOString(),
      updatedAt: NOW.toISOString(),
    });
    const after = await personal.exportOf('ana');
    expect(after).toEqual({
      subscriber: {
        id: 'ana',
        status: 'erased',
        version: 2,
        erasedAt: NOW.toISOString(),
        updatedAt: NOW.toISOString(),
      },
      deliveries: [],
      papersReceived: [],
    });
    // Another reader's data is untouched, and the erased one is not listed as active.
    expect((await personal.exportOf('ben')).papersReceived).toHaveLength(1);
    expect((await subscribers.listActive()).subscribers.map((s) => s.id)).toEqual(['ben']);
  });
});
