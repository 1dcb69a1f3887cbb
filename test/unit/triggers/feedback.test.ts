import { Metrics } from '@aws-lambda-powertools/metrics';
import { beforeEach, describe, expect, it } from 'vitest';
import { DELIVERY_TAGS } from '../../../functions/core/delivery-tags.ts';
import type { SendJob } from '../../../functions/core/ports.ts';
import { createFeedbackHandler } from '../../../functions/triggers/feedback.ts';
import {
  activeSubscriber,
  FixedClock,
  MemoryEditionStats,
  MemoryLedger,
  MemorySubscribers,
} from '../../support/memory-ports.ts';

const EDITION = '2026-11-26';
let clock: FixedClock;
let ledger: MemoryLedger;
let subscribers: MemorySubscribers;
let queued: SendJob[];
let metrics: Metrics;
let handler: ReturnType<typeof createFeedbackHandler>;

beforeEach(async () => {
  clock = new FixedClock(new Date('2026-11-26T06:00:00Z'));
  ledger = new MemoryLedger(clock);
  subscribers = new MemorySubscribers(clock);
  await subscribers.create(activeSubscriber('ana'));
  queued = [];
  metrics = new Metrics({ namespace: 'Paperboy', serviceName: 'feedback' });
  handler = createFeedbackHandler({
    subscribers,
    ledger,
    stats: new MemoryEditionStats(),
    clock,
    queue: { enqueue: async (jobs) => void queued.push(...jobs) },
    metrics,
  });
});

const bounce = {
  'detail-type': 'Email Bounced',
  detail: {
    eventType: 'Bounce',
    mail: {
      messageId: 'm1',
      tags: { [DELIVERY_TAGS.subscriber]: ['ana'], [DELIVERY_TAGS.edition]: [EDITION] },
    },
    bounce: { bounceType: 'Permanent', bounceSubType: 'General' },
  },
};

describe('the feedback handler', () => {
  it('applies an SES event from EventBridge', async () => {
    await ledger.claim('ana', EDITION, ['p1']);
    await ledger.complete('ana', EDITION, 'm1');
    expect(await handler(bounce)).toEqual({ kind: 'event', outcome: 'bounced', eventType: 'Bounce' });
    expect((await subscribers.get('ana'))?.status).toBe('bounced');
  });

  it('reports a malformed event, names what is wrong, and does not throw (a retry cannot fix it)', async () => {
    const result = await handler({ detail: { eventType: 'Bounce', mail: {} } });
    expect(result).toMatchObject({ kind: 'malformed' });
    expect(result.kind === 'malformed' && result.error).toMatch(/detail\.mail\.messageId/u);
    expect(await handler('not even an object')).toMatchObject({ kind: 'malformed' });
  });

  it('counts deliveries left sending past 15 minutes on the scheduled check, and changes nothing', async () => {
    await ledger.claim('ana', EDITION, ['p1']);
    clock.advance(16 * 60_000);
    expect(await handler({ check: 'hanging-claims' })).toEqual({ kind: 'check', hanging: 1 });
    expect((await ledger.get('ana', EDITION))?.status).toBe('sending');
    expect(queued).toEqual([]);
  });

  it("resolves them on the operator's command: released and put back on the send queue", async () => {
    await ledger.claim('ana', EDITION, ['p1']);
    clock.advance(16 * 60_000);
    expect(await handler({ check: 'hanging-claims', resolve: true })).toEqual({
      kind: 'check',
      hanging: 1,
      released: 1,
      jobs: 1,
    });
    expect(queued).toEqual([{ editionDate: EDITION, subscriberIds: ['ana'] }]);
  });

  it('leaves a claim younger than the grace period alone, unless told a shorter one, never under 5 minutes', async () => {
    await ledger.claim('ana', EDITION, ['p1']);
    clock.advance(6 * 60_000);
    expect(await handler({ check: 'hanging-claims', resolve: true })).toMatchObject({ released: 0 });
    // A claim younger than 5 minutes may still be being sent: such a grace is refused.
    expect(await handler({ check: 'hanging-claims', resolve: true, graceMinutes: 0 })).toMatchObject({
      kind: 'malformed',
    });
    expect(await handler({ check: 'hanging-claims', resolve: true, graceMinutes: 5 })).toMatchObject({
      released: 1,
    });
  });

  it('refuses a check it does not know, rather than guessing', async () => {
    const result = await handler({ check: 'hanging-claims', graceMinutes: -5 });
    expect(result).toMatchObject({ kind: 'malformed' });
  });
});
