import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDeliveryLedger } from '../../functions/adapters/dynamo-delivery-ledger.ts';
import { DynamoEditionStats } from '../../functions/adapters/dynamo-edition-stats.ts';
import { DynamoReaders } from '../../functions/adapters/dynamo-readers.ts';
import { DELIVERY_TAGS } from '../../functions/core/delivery-tags.ts';
import { resolveHangingClaims, type SesEvent } from '../../functions/core/feedback.ts';
import type { LocalSettings } from '../../functions/local/local-runtime.ts';
import { LocalSesEvents } from '../../functions/local/ses-events.ts';
import { documentClient } from '../../functions/shared/aws/dynamodb.ts';
import { systemClock } from '../../functions/shared/system-clock.ts';
import { bootTestStack } from '../support/local-stack.ts';
import { rankAndDispatch, reader, storePapersFor, storeReaders } from '../support/readers.ts';
import { type KillPlan, runSendWorkers, seededRandom } from '../support/send-workers.ts';

/** Readers of the exactly-once run (PAPERBOY_DELIVERY_SUBSCRIBERS to change it while working). */
const READERS = Number(process.env.PAPERBOY_DELIVERY_SUBSCRIBERS ?? 10_000);
const SEED = Number(process.env.PAPERBOY_DELIVERY_SEED ?? Date.now() % 100_000);
const EDITION = '2026-11-26';

let stack: Awaited<ReturnType<typeof bootTestStack>>;
/** The local SES account; the stand-in reads `enforcedRate` on every send. */
const sesAccount: { maxSendRate: number; enforcedRate?: number } = { maxSendRate: 300 };

/**
 * Throttling, injected: three times, 2, 8 and 14 seconds in, SES allows only 5 sends a second
 * for a second, so workers pacing at their share of 300/s meet 429 TooManyRequestsException,
 * back off, give claims back and retry, as when SES lowers a rate or other senders share it.
 */
function injectThrottling(): () => void {
  const timers = [2000, 8000, 14_000].flatMap((at) => [
    setTimeout(() => {
      sesAccount.enforcedRate = 5;
    }, at),
    setTimeout(() => {
      sesAccount.enforcedRate = undefined;
    }, at + 1000),
  ]);
  return () => {
    for (const timer of timers) clearTimeout(timer);
    sesAccount.enforcedRate = undefined;
  };
}
let settings: LocalSettings;
/** Every SES event the local stand-in published, in order; each is also applied by the feedback handler. */
const events: SesEvent[] = [];
let sesEvents: LocalSesEvents;

beforeAll(async () => {
  // The SES account reports 300/s; what SES enforces drops now and then (below).
  stack = await bootTestStack({ ses: sesAccount });
  settings = { ...stack.options, sesMaxSendRate: sesAccount.maxSendRate };
  // SES's event destination, as `npm start` runs it: every second, the new messages' events
  // go to the feedback handler (through the invoker, which retries as EventBridge does).
  sesEvents = new LocalSesEvents(stack.urls.ses, (event) => {
    events.push(event);
    stack.local.invoker.invoke('ses-events', event, () => stack.handlers.feedback(event));
  });
  sesEvents.start(1000);
}, 60_000);
afterAll(async () => {
  sesEvents?.stop();
  await stack?.cleanup();
});

const db = () => documentClient();
const table = () => stack.options.tableName;

/** Lets every message SES took reach the feedback handler, and waits for it. */
async function drainSesEvents(): Promise<void> {
  await sesEvents.pump();
  await stack.idle();
}

/** How many messages of `edition` each address got, from SES's own send events. */
function sentPerAddress(edition: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const event of events) {
    const mail = event.detail.mail;
    if (event.detail.eventType !== 'Send' || mail.tags?.[DELIVERY_TAGS.edition]?.[0] !== edition) continue;
    for (const to of mail.destination ?? []) counts.set(to, (counts.get(to) ?? 0) + 1);
  }
  return counts;
}

async function inParallel<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

describe(`sending an edition to ${READERS} readers`, () => {
  it('gives every reader exactly one email, with send workers SIGKILLed at random and SES throttling', {
    timeout: 600_000,
  }, async () => {
    await storePapersFor(table(), EDITION, '2611', 20);
    await storeReaders(table(), READERS);
    const jobs = await rankAndDispatch(stack.urls, settings, EDITION);
    expect(jobs.flatMap((j) => j.subscriberIds)).toHaveLength(READERS);

    // Kill points, chosen by a seed printed on failure: 4 right after a claim (nothing sent),
    // 4 right after SES accepted a message (the ledger does not know), 6 at random moments.
    const random = seededRandom(SEED);
    const plan: KillPlan = {
      afterClaim: 4,
      afterAccept: 4,
      within: Math.max(10, Math.floor(READERS / 20)),
      atRandom: { count: 6, everyMs: 1500 },
      random,
    };
    const stopThrottling = injectThrottling();
    const run = await runSendWorkers(
      jobs,
      { endpoints: stack.urls, settings },
      { count: 2, maxReceives: 10, plan },
    ).finally(stopThrottling);
    const context = `seed ${SEED}, ${stack.sesThrottle.throttled} throttled, kills ${JSON.stringify(run.kills)}`;
    expect(run.deadLetters, context).toEqual([]);
    expect(run.kills.filter((k) => k.point === 'claimed').length, context).toBe(plan.afterClaim);
    expect(run.kills.filter((k) => k.point === 'accepted').length, context).toBe(plan.afterAccept);
    expect(run.kills.filter((k) => k.point === 'random').length, context).toBeGreaterThan(0);
    // SES really throttled the workers, and they recovered (backoff, retries, released claims).
    expect(stack.sesThrottle.throttled, context).toBeGreaterThan(0);

    // Send events complete what SES accepted from a worker that died before recording it;
    // the operator's resolve (docs/operations.md) releases the rest, which never left, and
    // sends them again.
    await drainSesEvents();
    const ledger = new DynamoDeliveryLedger(db(), table(), systemClock);
    const hanging = await ledger.listSending('9999');
    // The operator's resolve, 16 minutes later (the rule's grace is 15): the same use case the
    // feedback function runs on {"check":"hanging-claims","resolve":true}, its jobs on the stack's queue.
    const later = { now: () => new Date(Date.now() + 16 * 60_000) };
    const resolved = await resolveHangingClaims({
      ledger: new DynamoDeliveryLedger(db(), table(), later),
      clock: later,
      queue: stack.local.queue,
    });
    expect(resolved.released, context).toHaveLength(hanging.length);
    // The planned kills right after a claim each left one (killed at random, some may have too).
    expect(hanging.length, context).toBeGreaterThanOrEqual(plan.afterClaim);
    await stack.idle();
    await drainSesEvents();

    // Exactly one email each, by SES's own account of what it accepted.
    const perAddress = sentPerAddress(EDITION);
    const twice = [...perAddress].filter(([, n]) => n > 1);
    expect(twice, context).toEqual([]);
    const missing = Array.from({ length: READERS }, (_, i) => reader(i).email).filter(
      (a) => !perAddress.has(a),
    );
    // On a failure, say where each missing reader stands in the ledger and what the stack's queue gave up on.
    const whereMissing = await Promise.all(
      missing.slice(0, 5).map(async (address) => {
        const id = address.split('@')[0] as string;
        const delivery = await ledger.get(id, EDITION);
        return `${id}: ${delivery ? `${delivery.status} (claimed ${delivery.claimedAt})` : 'no delivery'}`;
      }),
    );
    expect(
      missing,
      `${context}; ${whereMissing.join(', ')}; stack dead letters ${JSON.stringify(stack.deadLetters).slice(0, 2000)}`,
    ).toEqual([]);
    expect(perAddress.size).toBe(READERS);
    expect(await ledger.listSending('9999')).toEqual([]);
    const stats = await new DynamoEditionStats(db(), table()).get(EDITION);
    expect(stats, context).toMatchObject({ sent: READERS, delivered: READERS });

    // Every reader a worker died on is `sent`, with the papers recorded as received, so that
    // "never the same paper twice" holds for them too; so is a sample of everyone else.
    const readers = new DynamoReaders(db(), table(), systemClock);
    const killed = run.kills.flatMap((k) => (k.subscriberId ? [k.subscriberId] : []));
    const sample = Array.from({ length: 200 }, () => reader(Math.floor(random() * READERS)).id);
    await inParallel([...new Set([...killed, ...sample])], 8, async (id) => {
      const delivery = await ledger.get(id, EDITION);
      expect(delivery?.status, `${id} (${context})`).toBe('sent');
      expect(delivery?.sendEvents, id).toHaveLength(1);
      const { received } = await readers.load(id, '2026-11-27');
      expect([...received].sort(), id).toEqual([...(delivery?.paperIds ?? [])].sort());
      expect(received.size, id).toBe(3);
    });
  });
});
