import {
  GetAccountCommand,
  SESv2Client,
  SendEmailCommand,
  TooManyRequestsException,
} from '@aws-sdk/client-sesv2';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildClaim, DynamoDeliveryLedger } from '../../../functions/adapters/dynamo-delivery-ledger.ts';
import { buildAddStats, DynamoEditionStats } from '../../../functions/adapters/dynamo-edition-stats.ts';
import { keys } from '../../../functions/adapters/dynamo-keys.ts';
import { DynamoReaders } from '../../../functions/adapters/dynamo-readers.ts';
import { DynamoSubscriberRepository } from '../../../functions/adapters/dynamo-subscriber-repository.ts';
import {
  buildSendEmail,
  classifySesError,
  SesEmailSender,
  sesMaxSendRate,
} from '../../../functions/adapters/ses-email-sender.ts';
import { TokenBucketPace } from '../../../functions/adapters/token-bucket-pace.ts';
import {
  RecipientRejectedError,
  SendingStoppedError,
  ThrottledError,
  ValidationError,
} from '../../../functions/core/errors.ts';
import { documentClient } from '../../../functions/shared/aws/dynamodb.ts';
import { startDynalite } from '../../support/dynalite.ts';
import { activeSubscriber, FixedClock } from '../../support/memory-ports.ts';

/** Counts the requests a client sends from now on (a middleware, as the bench counts them). */
function countRequests(client: ReturnType<typeof documentClient>): () => number {
  let n = 0;
  client.middlewareStack.add(
    (next) => async (args) => {
      n += 1;
      return next(args);
    },
    { step: 'initialize' },
  );
  return () => n;
}

const email = {
  to: 'ana@example.org',
  subject: 'Trending papers',
  html: '<p>x</p>',
  text: 'x',
  headers: { 'List-Id': 'x <daily.example.org>' },
  tags: { 'paperboy-subscriber': 'abc_DEF-1', 'paperboy-edition': '2026-11-26' },
};

describe('the SES sender', () => {
  it('sends the delivery tags as SES message tags', () => {
    expect(buildSendEmail(email, 'papers@example.org', 'paperboy').EmailTags).toEqual([
      { Name: 'paperboy-subscriber', Value: 'abc_DEF-1' },
      { Name: 'paperboy-edition', Value: '2026-11-26' },
    ]);
    expect(() => buildSendEmail({ ...email, tags: { t: 'a b' } }, 'papers@example.org')).toThrow(
      ValidationError,
    );
  });

  it('tells throttling, a stop of all sending and a refused recipient from other errors', () => {
    const named = (name: string, message = name) => Object.assign(new Error(message), { name });
    expect(classifySesError(named('TooManyRequestsException'))).toBeInstanceOf(ThrottledError);
    for (const name of ['SendingPausedException', 'AccountSuspendedException', 'LimitExceededException']) {
      expect(classifySesError(named(name))).toBeInstanceOf(SendingStoppedError);
    }
    // Answers about the account or the sender stop the run: they would be the same for every reader.
    const stops = [
      named(
        'MessageRejected',
        'Email address is not verified. The following identities failed the check in region EU-WEST-1: papers@example.org',
      ),
      named(
        'MessageRejected',
        'Email address is not verified. The following identities failed the check: ana@example.org',
      ),
      named('BadRequestException', 'Domain example.org is not verified for DKIM signing.'),
      named('BadRequestException', 'Configuration set does not exist'),
      named('MailFromDomainNotVerifiedException', 'MAIL FROM domain not verified'),
    ];
    for (const error of stops)
      expect(classifySesError(error), error.message).toBeInstanceOf(SendingStoppedError);
    // Only a malformed address marks its reader.
    for (const message of [
      'Illegal address',
      "Missing final '@domain'",
      'Local address contains control or whitespace',
      'Domain contains illegal character',
    ]) {
      expect(classifySesError(named('BadRequestException', message)), message).toBeInstanceOf(
        RecipientRejectedError,
      );
    }
    const other = named('BadRequestException', 'Request too large');
    expect(classifySesError(other)).toBe(other);
  });

  it('raises ThrottledError once the SDK’s own retries give up, and reads the account rate', async () => {
    const ses = mockClient(SESv2Client);
    ses
      .on(SendEmailCommand)
      .rejects(new TooManyRequestsException({ message: 'Maximum sending rate exceeded.', $metadata: {} }));
    ses
      .on(GetAccountCommand)
      .resolves({ SendQuota: { MaxSendRate: 14, Max24HourSend: 50_000, SentLast24Hours: 0 } });
    const client = new SESv2Client({ region: 'eu-west-1', maxAttempts: 1 });
    await expect(new SesEmailSender(client, 'papers@example.org').send(email)).rejects.toThrow(
      ThrottledError,
    );
    expect(await sesMaxSendRate(client)).toBe(14);
    ses.restore();
  });
});

describe('the token bucket', () => {
  it('lets through `rate` sends a second, in order, waiting in between', async () => {
    let now = 0;
    const waits: number[] = [];
    const pace = new TokenBucketPace(async () => 5, {
      now: () => now,
      sleep: async (ms) => {
        waits.push(ms);
        now += ms;
      },
    });
    for (let i = 0; i < 11; i += 1) await pace.next();
    // The first goes at once; the next ten at 5 a second: two seconds.
    expect(now).toBe(2000);
    expect(waits.every((ms) => ms === 200)).toBe(true);
    expect(pace.currentRate()).toBe(5);
  });

  it('reads the rate again every 10 minutes, and keeps the old one if that read fails', async () => {
    let now = 0;
    const rates = [5, 20];
    let failNext = false;
    const pace = new TokenBucketPace(
      async () => {
        if (failNext) throw new Error('GetAccount failed');
        return rates.shift() ?? 20;
      },
      {
        now: () => now,
        sleep: async (ms) => {
          now += ms;
        },
      },
    );
    await pace.next();
    expect(pace.currentRate()).toBe(5);
    now += 599_000;
    await pace.next();
    expect(pace.currentRate()).toBe(5);
    now += 1_000;
    await pace.next();
    expect(pace.currentRate()).toBe(20);
    failNext = true;
    now += 600_000;
    await pace.next();
    expect(pace.currentRate()).toBe(20);
  });

  it('serves concurrent callers one at a time', async () => {
    let now = 0;
    const pace = new TokenBucketPace(async () => 10, {
      now: () => now,
      sleep: async (ms) => {
        now += ms;
      },
    });
    await Promise.all(Array.from({ length: 21 }, () => pace.next()));
    expect(now).toBe(2000);
  });
});

describe('the edition counters', () => {
  it('add only what changed, atomically', () => {
    expect(buildAddStats('t', '2026-11-26', { sent: 3, failed: 0, bounced: 1 })).toEqual({
      TableName: 't',
      Key: { PK: 'EDITION#2026-11-26', SK: 'STATS' },
      UpdateExpression: 'ADD #sent :sent, #bounced :bounced',
      ExpressionAttributeNames: { '#sent': 'sent', '#bounced': 'bounced' },
      ExpressionAttributeValues: { ':sent': 3, ':bounced': 1 },
    });
    expect(buildAddStats('t', '2026-11-26', {})).toBeUndefined();
  });
});

describe('the delivery ledger on the emulator', () => {
  let db: Awaited<ReturnType<typeof startDynalite>>;
  beforeAll(async () => {
    db = await startDynalite();
  });
  afterAll(async () => db?.stop());

  it('lists claims left sending, oldest first, and lets a send event complete a sending or released one only', async () => {
    const clock = new FixedClock(new Date('2026-11-26T06:00:00Z'));
    const ledger = new DynamoDeliveryLedger(documentClient(), db.tableName, clock);
    expect(await ledger.claim('a', '2026-11-26', ['p1'])).toBe(true);
    expect(await ledger.claim('a', '2026-11-26', ['p1'])).toBe(false);
    clock.advance(60_000);
    await ledger.claim('b', '2026-11-26', ['p2']);
    await ledger.claim('c', '2026-11-26', ['p3']);
    await ledger.complete('c', '2026-11-26', 'm-c');
    clock.advance(60_000);
    const sending = await ledger.listSending(clock.now().toISOString());
    expect(sending.map((d) => d.subscriberId)).toEqual(['a', 'b']);
    expect(sending[0]).toMatchObject({ status: 'sending', paperIds: ['p1'], editionDate: '2026-11-26' });
    expect(await ledger.listSending('2026-11-26T06:00:30.000Z')).toHaveLength(1);

    expect(await ledger.release('a', '2026-11-26', 'hanging', true)).toBe(true);
    expect(await ledger.release('c', '2026-11-26', 'hanging', true)).toBe(false);
    expect((await ledger.get('c', '2026-11-26'))?.status).toBe('sent');
    // A late send event completes a released claim, with its papers; the same event again is nothing.
    const late = await ledger.recordSendEvent('a', '2026-11-26', 'm-a');
    expect(late).toMatchObject({ completed: true, before: { status: 'released', paperIds: ['p1'] } });
    expect(late?.duplicateOf).toBeUndefined();
    expect(await ledger.recordSendEvent('a', '2026-11-26', 'm-a')).toBeUndefined();
    expect(await ledger.get('a', '2026-11-26')).toMatchObject({
      status: 'sent',
      messageId: 'm-a',
      sendEvents: ['m-a'],
    });
    // The worker recorded c itself: its send event is counted, not a completion.
    expect(await ledger.recordSendEvent('c', '2026-11-26', 'm-c')).toMatchObject({ completed: false });
    // A second message for the same delivery is reported as the duplicate it is.
    expect(await ledger.recordSendEvent('c', '2026-11-26', 'm-other')).toMatchObject({ duplicateOf: 'm-c' });
    expect((await ledger.get('c', '2026-11-26'))?.messageId).toBe('m-c');
    // Unknown deliveries and rejected ones take no send event.
    expect(await ledger.recordSendEvent('nobody', '2026-11-26', 'm-x')).toBeUndefined();
    await ledger.reject('b', '2026-11-26', 'refused');
    expect(await ledger.recordSendEvent('b', '2026-11-26', 'm-b')).toBeUndefined();
    expect(await ledger.claim('b', '2026-11-26', [])).toBe(false);
    expect(await ledger.listSending(clock.now().toISOString())).toEqual([]);
  });

  it("reads a reader in one query: their record, the papers of deliveries sent or sending, this edition's delivery", async () => {
    const client = documentClient();
    const clock = new FixedClock(new Date('2026-11-26T06:00:00Z'));
    const ledger = new DynamoDeliveryLedger(client, db.tableName, clock);
    await new DynamoSubscriberRepository(client, db.tableName, clock).create(activeSubscriber('rita'));
    await ledger.claim('rita', '2026-11-20', ['p-sent']);
    await ledger.complete('rita', '2026-11-20', 'm-1');
    await ledger.claim('rita', '2026-11-21', ['p-hanging']);
    await ledger.claim('rita', '2026-11-22', ['p-released']);
    await ledger.release('rita', '2026-11-22', 'throttled');
    await ledger.claim('rita', '2026-11-23', ['p-rejected']);
    await ledger.reject('rita', '2026-11-23', 'refused');
    // A per-paper record as older versions wrote them, and one that expired.
    const epoch = Math.floor(clock.now().getTime() / 1000);
    for (const [paperId, expiresAt] of [
      ['p-legacy', epoch + 3600],
      ['p-expired', epoch - 1],
    ] as const) {
      await client.send(
        new PutCommand({
          TableName: db.tableName,
          Item: { ...keys.sentPaper('rita', paperId), paperId, expiresAt },
        }),
      );
    }
    const calls = countRequests(client);
    const rita = await new DynamoReaders(client, db.tableName, clock).load('rita', '2026-11-21');
    expect(calls()).toBe(1);
    expect(rita.subscriber?.status).toBe('active');
    expect([...rita.received].sort()).toEqual(['p-hanging', 'p-legacy', 'p-sent']);
    expect(rita.delivery).toMatchObject({ status: 'sending', paperIds: ['p-hanging'] });
    expect(rita.delivery).not.toHaveProperty('expiresAt');
    const nobody = await new DynamoReaders(client, db.tableName, clock).load('nobody', '2026-11-21');
    expect(nobody).toEqual({ subscriber: undefined, received: new Set(), delivery: undefined });
  });

  it('keeps a delivery, and so the record of its papers, for 90 days', async () => {
    const clock = new FixedClock(new Date('2026-11-26T06:00:00Z'));
    const item = buildClaim('t', 's', '2026-11-26', ['p'], clock.now()).Item ?? {};
    expect(item.expiresAt).toBe(Math.floor(clock.now().getTime() / 1000) + 90 * 86_400);
  });

  it('counts per edition without losing concurrent adds', async () => {
    const stats = new DynamoEditionStats(documentClient(), db.tableName);
    await Promise.all(Array.from({ length: 40 }, () => stats.add('2026-11-27', { sent: 1, delivered: 1 })));
    expect(await stats.get('2026-11-27')).toMatchObject({ sent: 40, delivered: 40, bounced: 0 });
  });
});
