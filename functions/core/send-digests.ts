import { deliveryModeFor } from './delivery-schedule.ts';
import { DELIVERY_HEADER, DELIVERY_TAGS } from './delivery-tags.ts';
import { buildDigestView, renderDigestText } from './digest.ts';
import { NotFoundError, RecipientRejectedError, SendingStoppedError, ThrottledError } from './errors.ts';
import type { LearnedProfile } from './learning.ts';
import type { LinkBuilder } from './links.ts';
import type {
  Clock,
  DeliveryLedger,
  DigestRenderer,
  Edition,
  EditionRepository,
  EditionStatCounts,
  EditionStats,
  EmailSender,
  OutgoingEmail,
  Readers,
  SendJob,
  SendPace,
  SubscriberRepository,
} from './ports.ts';
import type { SchedulePolicy } from './schedule-policy.ts';
import type { ChosenPaper, EditionSelector } from './selection.ts';
import type { Subscriber } from './subscriber.ts';

export interface SendDigestsDeps {
  editions: EditionRepository;
  subscribers: SubscriberRepository;
  ledger: DeliveryLedger;
  /** The reader, the papers they received and this edition's delivery, in one read. */
  readers: Readers;
  sender: EmailSender;
  renderer: DigestRenderer;
  links: LinkBuilder;
  clock: Clock;
  /** Spaces sends out so that all workers together stay under the provider's rate. */
  pace: SendPace;
  stats: EditionStats;
  /** The sender's postal address, in the footer. */
  postalAddress: string;
  /** The edition's candidates prepared for choosing (built once per edition and reused). */
  selectorFor: (edition: Edition) => EditionSelector;
  policy: SchedulePolicy;
  /** Identifies the list in the List-Id header, e.g. `daily.paperboy.example.org`. */
  listId: string;
  /** Readers of one job worked at once (default 1). */
  concurrency?: number;
}

export interface SendDigestsResult {
  sent: number;
  /** Already sent, no longer active, paused, or not their day. */
  skipped: number;
  /**
   * Claimed and not yet completed: being sent by another worker now, or left `sending` by one
   * that died (completed by SES's send event, or released by `deliveries resolve`).
   */
  sending: number;
  /** Active readers for whom the edition had nothing new (the quiet-day policy said skip). */
  nothingNew: number;
  /** Recipients the provider refused for good: marked bounced, never tried again. */
  rejected: number;
  /** Readers with no email (frequency `none`) whose digest was recorded for their feed, unsent. */
  feedOnly: number;
  /** Sends that failed and were given back for a retry (throttling included). */
  failed: { subscriberId: string; error: string }[];
  /** Set when the provider stopped all sending: the rest of the job was not tried. */
  stopped?: string;
  /** Readers not started because the function's time was running out: a new job should carry them. */
  unstarted: string[];
}

/** A reader is started only with this much of the function's time left (a send takes well under it). */
export const START_MARGIN_MS = 15_000;

/**
 * Sends one edition to one page of subscribers, exactly once each.
 * 1. Load the edition (a job for a missing edition is an error: it must not be dropped silently).
 * 2. For each subscriber, read them right before sending, in one read with the papers they
 *    received and this edition's delivery (an unsubscribe, a pause, a bounce or an erasure
 *    stops the next email at once; whoever has it already is skipped); if they are due, choose
 *    their papers — their topics, authors and excluded words, never a paper they received —
 *    following the quiet-day policy when nothing is new.
 * 3. Claim the ledger item with a condition, recording the papers chosen, so a retried or
 *    re-delivered job skips whoever got it. Wait for the pace, render, send (tagged with the
 *    delivery, so the provider's events find it), then mark it sent: its papers are then the
 *    reader's received papers.
 * 4. Faults: a throttled or failed send gives the claim back (a retry may send it); a refused
 *    recipient is marked bounced and never tried again; a provider that stopped all sending
 *    stops the job. If the worker dies between the provider's acceptance and step 3's marking,
 *    the claim stays `sending` until the provider's send event completes it (see
 *    docs/data-model.md "Exactly once"): never sent twice, never silently skipped.
 */
export async function sendDigests(
  job: SendJob,
  deps: SendDigestsDeps,
  options: {
    dryRun?: boolean;
    /** The time the function has left (Lambda's context); none: no deadline. */
    remainingMs?: () => number;
  } = {},
): Promise<SendDigestsResult> {
  const edition = await deps.editions.get(job.editionDate);
  if (!edition) throw new NotFoundError(`edition ${job.editionDate} does not exist`);
  const selector = deps.selectorFor(edition);
  const result: SendDigestsResult = {
    sent: 0,
    skipped: 0,
    sending: 0,
    nothingNew: 0,
    rejected: 0,
    feedOnly: 0,
    failed: [],
    unstarted: [],
  };
  const stats: EditionStatCounts = {};
  const run: RunState = { dryRun: options.dryRun ?? false };
  try {
    // A few readers at once, so that one worker keeps its share of the rate busy whatever the
    // provider's latency; the pace alone decides how fast messages go.
    await forEachAtMost(job.subscriberIds, Math.max(1, deps.concurrency ?? 1), async (subscriberId) => {
      if (run.stopped) return;
      // Out of time: leave the rest for a new job rather than claim what cannot be sent in time.
      if (options.remainingMs && options.remainingMs() < START_MARGIN_MS) {
        result.unstarted.push(subscriberId);
        return;
      }
      const outcome = await deliver(subscriberId, edition, selector, deps, run);
      if (outcome.kind === 'failed') {
        result.failed.push({ subscriberId, error: outcome.error });
        count(stats, outcome.throttled ? 'throttled' : 'failed');
      } else if (outcome.kind === 'stopped') {
        result.stopped ??= outcome.error;
        run.stopped = outcome.error;
      } else if (outcome.kind !== 'untried') {
        result[outcome.kind] += 1;
        // `sent` is counted from the provider's send events (the feedback loop), exactly once each.
        if (outcome.kind === 'rejected') count(stats, 'rejected');
        // A feed-only digest has no send event: counted here, apart from `sent` (emails).
        if (outcome.kind === 'feedOnly') count(stats, 'feedOnly');
      }
    });
  } finally {
    if (!run.dryRun && Object.keys(stats).length > 0) await deps.stats.add(edition.date, stats);
  }
  return result;
}

/** What the readers of one job share: a stop of all sending ends the job for all of them. */
interface RunState {
  dryRun: boolean;
  stopped?: string;
}

/** Runs `work` on each item, at most `limit` at a time, in order of start. */
async function forEachAtMost<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

type Outcome =
  | { kind: 'sent' | 'skipped' | 'sending' | 'nothingNew' | 'rejected' | 'feedOnly' }
  /** Sending stopped (for another reader) before this one's turn: given back, not counted. */
  | { kind: 'untried' }
  | { kind: 'failed'; error: string; throttled: boolean }
  | { kind: 'stopped'; error: string };

async function deliver(
  subscriberId: string,
  edition: Edition,
  selector: EditionSelector,
  deps: SendDigestsDeps,
  run: RunState,
): Promise<Outcome> {
  const now = deps.clock.now();
  // One read: the reader as they are now, what they received, and this edition's delivery.
  const reader = await deps.readers.load(subscriberId, edition.date);
  const subscriber = reader.subscriber?.status === 'active' ? reader.subscriber : undefined;
  const mode = subscriber ? deliveryModeFor(subscriber, edition, deps.policy, now) : undefined;
  if (!subscriber || !mode) return { kind: 'skipped' };
  // Has it, or is being sent it (or was, by a worker that died): skip without trying a claim.
  if (reader.delivery?.status === 'sending') return { kind: 'sending' };
  if (reader.delivery && reader.delivery.status !== 'released') return { kind: 'skipped' };
  const chosen = choose(subscriber, reader.received, mode, selector, deps.policy, reader.learned);
  if (chosen.length === 0) return { kind: 'nothingNew' };
  const paperIds = chosen.map((c) => c.entry.paper.id);
  const reasons = chosen.map((c) => c.reasons);
  // No email for this reader (frequency `none`): their digest is recorded for their personal feed,
  // `sent` at once, and nothing goes to the email provider.
  if (subscriber.frequency === 'none') {
    if (run.dryRun) return { kind: 'feedOnly' };
    const recorded = await deps.ledger.claim(subscriberId, edition.date, paperIds, {
      reasons,
      channel: 'feed',
    });
    return { kind: recorded ? 'feedOnly' : 'skipped' };
  }
  // What a send would do, claiming nothing.
  if (run.dryRun) return { kind: 'sent' };
  // Lost the claim to another worker between the read and now.
  if (!(await deps.ledger.claim(subscriberId, edition.date, paperIds, { reasons })))
    return { kind: 'sending' };
  const email = await composeDigest(subscriber, edition, chosen, deps);
  let messageId: string;
  try {
    await deps.pace.next();
    if (run.stopped) {
      await deps.ledger.release(subscriberId, edition.date, `not tried: ${run.stopped}`);
      return { kind: 'untried' };
    }
    ({ messageId } = await deps.sender.send(email));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof RecipientRejectedError) {
      await deps.ledger.reject(subscriberId, edition.date, message);
      await markRejected(subscriber, message, deps);
      return { kind: 'rejected' };
    }
    // Not sent: give the claim back, so a retry (the queue's, or the next run's) may send it.
    await deps.ledger.release(subscriberId, edition.date, message);
    if (error instanceof SendingStoppedError) return { kind: 'stopped', error: message };
    return { kind: 'failed', error: message, throttled: error instanceof ThrottledError };
  }
  // Accepted by the provider: from here a failure must not give the claim back (that could send
  // it twice); the provider's send event completes a claim its worker could not. The claim
  // already holds the papers: once sent, they are what the reader received.
  await deps.ledger.complete(subscriberId, edition.date, messageId);
  return { kind: 'sent' };
}

/**
 * The email a reader gets from an edition, exactly: the view from their papers, the HTML and
 * text parts, the list headers (RFC 8058 one-click unsubscribe) and the delivery's tags.
 */
export async function composeDigest(
  subscriber: Subscriber,
  edition: Edition,
  chosen: readonly ChosenPaper[],
  deps: Pick<SendDigestsDeps, 'links' | 'clock' | 'postalAddress' | 'renderer' | 'listId'>,
): Promise<OutgoingEmail> {
  const unsubscribeUrl = await deps.links.unsubscribe(subscriber.id);
  // "More like this" / "Fewer like this" on every paper: one signed token per paper.
  const votes = await deps.links.feedback(
    subscriber.id,
    subscriber.signupId,
    chosen.map((c) => c.entry.paper.id),
    deps.clock.now(),
  );
  const items = chosen.map((c) => ({ ...c, feedback: votes.get(c.entry.paper.id) }));
  const view = buildDigestView(edition, items, {
    webViewUrl: deps.links.edition(edition.date),
    footerLinks: [
      {
        text: 'Preferences',
        url: await deps.links.preferences(subscriber.id, subscriber.signupId, deps.clock.now()),
      },
      { text: 'Unsubscribe', url: unsubscribeUrl },
    ],
    postalAddress: deps.postalAddress,
  });
  return {
    to: subscriber.email,
    subject: view.subject,
    html: deps.renderer.renderDigest(view),
    text: renderDigestText(view),
    headers: {
      'List-Id': `Paperboy daily papers <${deps.listId}>`,
      'List-Unsubscribe': `<${unsubscribeUrl}>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      [DELIVERY_HEADER]: `${subscriber.id}/${edition.date}`,
    },
    tags: { [DELIVERY_TAGS.subscriber]: subscriber.id, [DELIVERY_TAGS.edition]: edition.date },
  };
}

/** What `previewDigest` found: the email, and whether the reader has (or is being sent) it already. */
export interface DigestPreview {
  email: OutgoingEmail;
  paperIds: string[];
  /** The reader's delivery of this edition, when there is one: the preview is rebuilt from its papers. */
  delivery?: { status: 'sent' | 'sending'; at: string; papersNoLongerChosen: number };
  /** The reader is not due this edition today (paused, weekly on another day): what they would get. */
  notDue?: boolean;
}

/**
 * The exact email `subscriber` gets from an edition, or got: for a reader who has it already
 * (or is being sent it), the email is rebuilt from the papers their delivery carried, in its
 * order; papers no longer chosen for them (an excluded word added since) are counted, not shown.
 * Claims and sends nothing: `paperboy preview`. A reader with nothing due gets `undefined`.
 */
export async function previewDigest(
  subscriber: Subscriber,
  edition: Edition,
  deps: SendDigestsDeps,
): Promise<DigestPreview | undefined> {
  const due = deliveryModeFor(subscriber, edition, deps.policy, deps.clock.now());
  const mode = due ?? edition.mode;
  const { received, delivery, learned } = await deps.readers.load(subscriber.id, edition.date);
  const selector = deps.selectorFor(edition);
  if (delivery && (delivery.status === 'sent' || delivery.status === 'sending')) {
    // As it was chosen: before this delivery's papers counted as received.
    const carried = new Set(delivery.paperIds);
    const before = new Set([...received].filter((id) => !carried.has(id)));
    const wide = { ...subscriber, digestSize: Math.max(subscriber.digestSize, carried.size) + 50 };
    const byId = new Map(
      choose(wide, before, mode, selector, deps.policy, learned).map((c) => [c.entry.paper.id, c]),
    );
    const chosen = delivery.paperIds.flatMap((id) => byId.get(id) ?? []);
    if (chosen.length === 0) return undefined;
    return {
      email: await composeDigest(subscriber, edition, chosen, deps),
      paperIds: chosen.map((c) => c.entry.paper.id),
      delivery: {
        status: delivery.status,
        at: delivery.sentAt ?? delivery.claimedAt,
        papersNoLongerChosen: carried.size - chosen.length,
      },
    };
  }
  const chosen = choose(subscriber, received, mode, selector, deps.policy, learned);
  if (chosen.length === 0) return undefined;
  return {
    email: await composeDigest(subscriber, edition, chosen, deps),
    paperIds: chosen.map((c) => c.entry.paper.id),
    ...(due ? {} : { notDue: true }),
  };
}

/** The provider refused the address for good: no more mail to it, as for a hard bounce. */
async function markRejected(subscriber: Subscriber, reason: string, deps: SendDigestsDeps): Promise<void> {
  const now = deps.clock.now().toISOString();
  const { pausedUntil: _paused, ...rest } = subscriber;
  await deps.subscribers.replace(
    {
      ...rest,
      status: 'bounced',
      bouncedAt: now,
      bounceReason: reason.slice(0, 500),
      updatedAt: now,
      version: subscriber.version + 1,
    },
    subscriber.version,
  );
}

function count(stats: EditionStatCounts, name: keyof EditionStatCounts): void {
  stats[name] = (stats[name] ?? 0) + 1;
}

function choose(
  subscriber: Subscriber,
  received: ReadonlySet<string>,
  mode: Edition['mode'],
  selector: EditionSelector,
  policy: SchedulePolicy,
  learned: LearnedProfile | undefined,
): ChosenPaper[] {
  const profile = {
    topics: subscriber.topics,
    authors: subscriber.authors ?? [],
    exclude: subscriber.exclude ?? [],
    digestSize: subscriber.digestSize,
    sent: received,
    learned,
  };
  const chosen = selector.choose(profile, mode);
  if (chosen.length > 0 || mode === 'week' || policy.whenNothingNew === 'skip') return chosen;
  return selector.choose(profile, 'week');
}
