import { beforeEach, describe, expect, it } from 'vitest';
import {
  applyFeedback,
  type FeedbackDeps,
  findHangingClaims,
  resolveHangingClaims,
  type SesEvent,
  SesEventSchema,
  SOFT_BOUNCE_LIMIT,
} from '../../../functions/core/feedback.ts';
import type { SendJob } from '../../../functions/core/ports.ts';
import {
  activeSubscriber,
  FixedClock,
  MemoryEditionStats,
  MemoryLedger,
  MemoryReaders,
  MemorySubscribers,
} from '../../support/memory-ports.ts';

const EDITION = '2026-11-26';
let clock: FixedClock;
let deps: FeedbackDeps & {
  ledger: MemoryLedger;
  stats: MemoryEditionStats;
  subscribers: MemorySubscribers;
};
beforeEach(async () => {
  clock = new FixedClock(new Date('2026-11-26T06:00:00Z'));
  deps = {
    subscribers: new MemorySubscribers(clock),
    ledger: new MemoryLedger(clock),
    stats: new MemoryEditionStats(),
    clock,
  };
  await deps.subscribers.create(activeSubscriber('ana'));
});

/** An SES event as EventBridge delivers it, for the digest of `ana` (tags), or by header only. */
function event(
  eventType: string,
  more: Record<string, unknown> = {},
  via: 'tags' | 'header' | 'none' = 'tags',
): SesEvent {
  return {
    'detail-type': `Email ${eventType}`,
    detail: {
      eventType,
      mail: {
        messageId: 'm-1',
        ...(via === 'tags'
          ? {
              tags: {
                'paperboy-subscriber': ['ana'],
                'paperboy-edition': [EDITION],
                'ses:configuration-set': ['paperboy'],
              },
            }
          : {}),
        ...(via === 'header' ? { headers: [{ name: 'X-Paperboy-Delivery', value: `ana/${EDITION}` }] } : {}),
      },
      ...more,
    },
  } as SesEvent;
}
const status = async () => (await deps.subscribers.get('ana'))?.status;
/** The edition was sent to this reader (message `m-1`), so SES's events about it apply. */
async function sentTo(id: string): Promise<void> {
  await deps.ledger.claim(id, EDITION, ['p1']);
  await deps.ledger.complete(id, EDITION, 'm-1');
}
function withMessage(e: SesEvent, messageId: string): SesEvent {
  e.detail.mail.messageId = messageId;
  return e;
}

describe('the feedback loop', () => {
  it('completes a claim a dead worker left sending when SES reports sending it, recording its papers once', async () => {
    await deps.ledger.claim('ana', EDITION, ['p1', 'p2']);
    expect(await applyFeedback(event('Send'), deps)).toBe('completed');
    expect((await deps.ledger.get('ana', EDITION))?.status).toBe('sent');
    // Its papers now count as received.
    expect([
      ...(await new MemoryReaders(deps.subscribers, deps.ledger).load('ana', '2026-11-27')).received,
    ]).toEqual(['p1', 'p2']);
    expect(deps.stats.counts.get(EDITION)).toEqual({ sent: 1 });
    // The same event again (EventBridge delivers at least once) changes nothing.
    expect(await applyFeedback(event('Send'), deps)).toBe('ignored');
    expect(deps.stats.counts.get(EDITION)).toEqual({ sent: 1 });
    expect((await deps.ledger.get('ana', EDITION))?.sendEvents).toEqual(['m-1']);
  });

  it('counts every message SES accepted once, and reports a second message for one delivery', async () => {
    await deps.ledger.claim('ana', EDITION, ['p1']);
    await deps.ledger.complete('ana', EDITION, 'm-1');
    expect(await applyFeedback(event('Send'), deps)).toBe('sent');
    expect(deps.stats.counts.get(EDITION)).toEqual({ sent: 1 });
    expect(await applyFeedback(withMessage(event('Send'), 'm-2'), deps)).toBe('duplicate');
    expect(deps.stats.counts.get(EDITION)).toEqual({ sent: 2, duplicates: 1 });
  });

  it('suppresses at once on a permanent bounce or a complaint, and counts them per edition', async () => {
    await sentTo('ana');
    expect(
      await applyFeedback(
        event('Bounce', { bounce: { bounceType: 'Permanent', bounceSubType: 'General' } }),
        deps,
      ),
    ).toBe('bounced');
    expect(await status()).toBe('bounced');
    expect((await deps.subscribers.get('ana')) as { bounceReason?: string }).toMatchObject({
      bounceReason: 'Permanent bounce (General)',
    });
    await deps.subscribers.create(activeSubscriber('ben'));
    await sentTo('ben');
    const complaint = event('Complaint', { complaint: { complaintFeedbackType: 'abuse' } });
    complaint.detail.mail.tags = { 'paperboy-subscriber': ['ben'], 'paperboy-edition': [EDITION] };
    expect(await applyFeedback(complaint, deps)).toBe('complained');
    expect((await deps.subscribers.get('ben'))?.status).toBe('complained');
    expect(deps.stats.counts.get(EDITION)).toEqual({ bounced: 1, complained: 1 });
  });

  it(`counts soft bounces and suppresses after ${SOFT_BOUNCE_LIMIT} in a row; a delivery ends the run`, async () => {
    await sentTo('ana');
    let n = 0;
    const soft = () =>
      applyFeedback(
        withMessage(
          event('Bounce', { bounce: { bounceType: 'Transient', bounceSubType: 'MailboxFull' } }),
          `m-${++n}`,
        ),
        deps,
      );
    await soft();
    await soft();
    expect(await status()).toBe('active');
    await applyFeedback(event('Delivery'), deps);
    expect((await deps.subscribers.get('ana')) as { softBounces?: number }).toMatchObject({ softBounces: 0 });
    await soft();
    await soft();
    expect(await status()).toBe('active');
    expect(await soft()).toBe('soft-bounce');
    expect(await status()).toBe('bounced');
    expect(deps.stats.counts.get(EDITION)).toMatchObject({ softBounced: 5, delivered: 1 });
  });

  it('applies each event once: the same bounce fed three times is one soft bounce, counted once', async () => {
    await sentTo('ana');
    const bounce = event('Bounce', { bounce: { bounceType: 'Transient', bounceSubType: 'MailboxFull' } });
    expect(await applyFeedback(bounce, deps)).toBe('soft-bounce');
    expect(await applyFeedback(bounce, deps)).toBe('ignored');
    expect(await applyFeedback(bounce, deps)).toBe('ignored');
    expect(await status()).toBe('active');
    expect((await deps.subscribers.get('ana')) as { softBounces?: number }).toMatchObject({ softBounces: 1 });
    expect(await applyFeedback(event('Delivery'), deps)).toBe('delivered');
    expect(await applyFeedback(event('Delivery'), deps)).toBe('ignored');
    expect(deps.stats.counts.get(EDITION)).toEqual({ softBounced: 1, delivered: 1 });
  });

  it('ignores events for deliveries that do not exist: no counters for unknown readers or editions', async () => {
    const unknownReader = event('Bounce', { bounce: { bounceType: 'Permanent' } });
    unknownReader.detail.mail.tags = { 'paperboy-subscriber': ['nobody'], 'paperboy-edition': [EDITION] };
    expect(await applyFeedback(unknownReader, deps)).toBe('ignored');
    const otherEdition = event('Delivery');
    otherEdition.detail.mail.tags = { 'paperboy-subscriber': ['ana'], 'paperboy-edition': ['1999-01-01'] };
    expect(await applyFeedback(otherEdition, deps)).toBe('ignored');
    expect(deps.stats.counts.size).toBe(0);
  });

  it('ignores a bounce whose message went to another address than the subscriber its tags name', async () => {
    await sentTo('ana');
    const misdirected = event('Bounce', { bounce: { bounceType: 'Permanent' } });
    misdirected.detail.mail.destination = ['someone-else@example.org'];
    expect(await applyFeedback(misdirected, deps)).toBe('ignored');
    expect(await status()).toBe('active');
    const right = event('Bounce', { bounce: { bounceType: 'Permanent' } });
    right.detail.mail.destination = ['ANA@example.org'];
    expect(await applyFeedback(right, deps)).toBe('bounced');
  });

  it('suppresses on a confirmation email’s permanent bounce or complaint (no edition), ignores its soft bounces', async () => {
    const confirmation = (more: Record<string, unknown>) => {
      const e = event('Bounce', more);
      e.detail.mail.tags = { 'paperboy-subscriber': ['ana'] };
      return e;
    };
    expect(await applyFeedback(confirmation({ bounce: { bounceType: 'Transient' } }), deps)).toBe('ignored');
    expect(await status()).toBe('active');
    expect(await applyFeedback(confirmation({ bounce: { bounceType: 'Permanent' } }), deps)).toBe('bounced');
    expect(await status()).toBe('bounced');
    expect(deps.stats.counts.size).toBe(0);
  });

  it('refuses events whose tags do not name a delivery well, before applying anything', () => {
    const bad = event('Bounce', { bounce: { bounceType: 'Permanent' } });
    bad.detail.mail.tags = { 'paperboy-subscriber': ['x'.repeat(5000)], 'paperboy-edition': ['2026-02-30'] };
    const parsed = SesEventSchema.safeParse(bad);
    expect(parsed.success).toBe(false);
    const paths = parsed.error?.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(['detail.mail.tags.paperboy-subscriber', 'detail.mail.tags.paperboy-edition']);
  });

  it('finds the delivery from the header when there are no tags, and ignores messages it cannot place', async () => {
    await sentTo('ana');
    expect(
      await applyFeedback(event('Bounce', { bounce: { bounceType: 'Permanent' } }, 'header'), deps),
    ).toBe('bounced');
    expect(await status()).toBe('bounced');
    expect(await applyFeedback(event('Bounce', { bounce: { bounceType: 'Permanent' } }, 'none'), deps)).toBe(
      'ignored',
    );
    expect(await applyFeedback(event('Open'), deps)).toBe('ignored');
  });

  it('counts rejects and delays; leaves erased readers alone', async () => {
    await sentTo('ana');
    expect(await applyFeedback(event('Reject'), deps)).toBe('rejected');
    expect(await applyFeedback(event('DeliveryDelay'), deps)).toBe('delayed');
    expect(deps.stats.counts.get(EDITION)).toEqual({ rejected: 1, delayed: 1 });
    deps.subscribers.items.set('ana', {
      id: 'ana',
      status: 'erased',
      version: 9,
      erasedAt: 'x',
      updatedAt: 'x',
    });
    await applyFeedback(event('Complaint'), deps);
    expect(await status()).toBe('erased');
  });
});

describe('deliveries left hanging', () => {
  it('are those still sending past the grace period; resolving releases them, and a late send event still completes one', async () => {
    await deps.ledger.claim('ana', EDITION, ['p1']);
    clock.advance(5 * 60_000);
    await deps.ledger.claim('ben', EDITION, ['p2']);
    await deps.ledger.claim('cy', EDITION, ['p3']);
    await deps.ledger.complete('cy', EDITION, 'm-cy');
    clock.advance(11 * 60_000);
    // Only ana's claim is older than 15 minutes; cy's was completed.
    expect((await findHangingClaims(deps)).map((c) => c.subscriberId)).toEqual(['ana']);
    const queued: SendJob[] = [];
    const queue = { enqueue: async (jobs: readonly SendJob[]) => void queued.push(...jobs) };
    expect(await resolveHangingClaims({ ...deps, queue })).toEqual({
      released: [{ subscriberId: 'ana', editionDate: EDITION }],
      jobs: 1,
    });
    expect((await deps.ledger.get('ana', EDITION))?.status).toBe('released');
    // Sent again, not silently skipped: her delivery is back on the send queue.
    expect(queued).toEqual([{ editionDate: EDITION, subscriberIds: ['ana'] }]);
    expect(await resolveHangingClaims({ ...deps, queue })).toEqual({ released: [], jobs: 0 });
    // SES's send event arrives after all: the message did leave, so the claim is completed, not re-sent.
    expect(await applyFeedback(event('Send'), deps)).toBe('completed');
    expect((await deps.ledger.get('ana', EDITION))?.status).toBe('sent');
  });
});
