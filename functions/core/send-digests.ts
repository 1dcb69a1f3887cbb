import { buildDigestView, renderDigestText } from './digest.ts';
import { NotFoundError } from './errors.ts';
import type { LinkBuilder } from './links.ts';
import type {
  Clock,
  DeliveryLedger,
  DigestRenderer,
  Edition,
  EditionRepository,
  EmailSender,
  SendJob,
  SentPapers,
  SubscriberRepository,
} from './ports.ts';
import { type SchedulePolicy, weekdayOf } from './schedule-policy.ts';
import type { ChosenPaper, EditionSelector } from './selection.ts';
import type { Subscriber } from './subscriber.ts';

export interface SendDigestsDeps {
  editions: EditionRepository;
  subscribers: SubscriberRepository;
  ledger: DeliveryLedger;
  sent: SentPapers;
  sender: EmailSender;
  renderer: DigestRenderer;
  links: LinkBuilder;
  clock: Clock;
  /** The edition's candidates prepared for choosing (built once per edition and reused). */
  selectorFor: (edition: Edition) => EditionSelector;
  policy: SchedulePolicy;
  /** Identifies the list in the List-Id header, e.g. `daily.paperboy.example.org`. */
  listId: string;
}

export interface SendDigestsResult {
  sent: number;
  /** Already sent, claimed by another worker, no longer active, or not their day (weekly readers). */
  skipped: number;
  /** Active readers for whom the edition had nothing new (the quiet-day policy said skip). */
  nothingNew: number;
  failed: { subscriberId: string; error: string }[];
}

/**
 * Sends one edition to one page of subscribers, exactly once each.
 * 1. Load the edition (a job for a missing edition is an error: it must not be dropped silently).
 * 2. For each subscriber still active (and, for weekly readers, on their day): choose their papers
 *    from the edition — their topics, authors and excluded words, never a paper they received —
 *    and, when nothing is new, follow the quiet-day policy.
 * 3. Claim the ledger item with a condition, so a retried or re-delivered job skips whoever got
 *    it; render, send, mark it sent, and record the papers as received. If the provider refuses
 *    the message the claim is released, so a retry can send it; other subscribers go on.
 */
export async function sendDigests(job: SendJob, deps: SendDigestsDeps): Promise<SendDigestsResult> {
  const edition = await deps.editions.get(job.editionDate);
  if (!edition) throw new NotFoundError(`edition ${job.editionDate} does not exist`);
  const selector = deps.selectorFor(edition);
  const result: SendDigestsResult = { sent: 0, skipped: 0, nothingNew: 0, failed: [] };

  for (const subscriberId of job.subscriberIds) {
    // Read right before sending: an unsubscribe, a pause or an erasure stops the next email.
    const record = await deps.subscribers.get(subscriberId);
    const subscriber = record?.status === 'active' ? record : undefined;
    const mode = subscriber ? modeFor(subscriber, edition, deps.policy) : undefined;
    if (!subscriber || !mode || isPaused(subscriber, deps.clock.now())) {
      result.skipped += 1;
      continue;
    }
    const chosen = await choose(subscriber, mode, selector, deps);
    if (chosen.length === 0) {
      result.nothingNew += 1;
      continue;
    }
    if (!(await deps.ledger.claim(subscriberId, edition.date))) {
      result.skipped += 1;
      continue;
    }
    const unsubscribeUrl = await deps.links.unsubscribe(subscriberId);
    const view = buildDigestView(edition, chosen, {
      webViewUrl: deps.links.edition(edition.date),
      footerLinks: [
        {
          text: 'Preferences',
          url: await deps.links.preferences(subscriberId, subscriber.signupId, deps.clock.now()),
        },
        { text: 'Unsubscribe', url: unsubscribeUrl },
      ],
    });
    try {
      const { messageId } = await deps.sender.send({
        to: subscriber.email,
        subject: view.subject,
        html: deps.renderer.renderDigest(view),
        text: renderDigestText(view),
        headers: {
          'List-Id': `Paperboy daily papers <${deps.listId}>`,
          'List-Unsubscribe': `<${unsubscribeUrl}>`,
          'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
        },
      });
      await deps.ledger.complete(subscriberId, edition.date, messageId);
      await deps.sent.record(
        subscriberId,
        chosen.map((c) => c.entry.paper.id),
      );
      result.sent += 1;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      await deps.ledger.release(subscriberId, edition.date, message);
      result.failed.push({ subscriberId, error: message });
    }
  }
  return result;
}

/** A paused reader gets nothing until the pause ends. */
function isPaused(subscriber: Subscriber, now: Date): boolean {
  return subscriber.pausedUntil !== undefined && Date.parse(subscriber.pausedUntil) > now.getTime();
}

/** Daily readers follow the edition; weekly readers get the week's best on their day only. */
function modeFor(
  subscriber: Subscriber,
  edition: Edition,
  policy: SchedulePolicy,
): Edition['mode'] | undefined {
  if (subscriber.frequency === 'weekly')
    return weekdayOf(edition.date) === policy.weeklyDay ? 'week' : undefined;
  return edition.mode;
}

async function choose(
  subscriber: Subscriber,
  mode: Edition['mode'],
  selector: EditionSelector,
  deps: Pick<SendDigestsDeps, 'sent' | 'policy'>,
): Promise<ChosenPaper[]> {
  const profile = {
    topics: subscriber.topics,
    authors: subscriber.authors ?? [],
    exclude: subscriber.exclude ?? [],
    digestSize: subscriber.digestSize,
    sent: await deps.sent.received(subscriber.id),
  };
  const chosen = selector.choose(profile, mode);
  if (chosen.length > 0 || mode === 'week' || deps.policy.whenNothingNew === 'skip') return chosen;
  return selector.choose(profile, 'week');
}
