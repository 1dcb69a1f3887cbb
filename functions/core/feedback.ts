import * as z from 'zod';
import { DELIVERY_HEADER, DELIVERY_TAGS } from './delivery-tags.ts';
import { ConcurrentUpdateError } from './errors.ts';
import type {
  Clock,
  DeliveryLedger,
  EditionStatCounts,
  EditionStats,
  SendJob,
  SubscriberRepository,
  WorkQueue,
} from './ports.ts';
import { isErased, type Subscriber } from './subscriber.ts';

/** Temporary bounces in a row that make an address bounced. */
export const SOFT_BOUNCE_LIMIT = 3;

/**
 * An SES event as EventBridge delivers it (the configuration set's event destination): the
 * `detail` is SES's event record. Only the fields Paperboy reads are required; the rest passes.
 */
export const SesEventSchema = z.object({
  'detail-type': z.string().optional(),
  detail: z.object({
    eventType: z.string(),
    mail: z.object({
      messageId: z.string().min(1),
      timestamp: z.string().optional(),
      destination: z.array(z.string()).optional(),
      tags: z.record(z.string(), z.array(z.string())).optional(),
      headers: z.array(z.object({ name: z.string(), value: z.string() })).optional(),
    }),
    bounce: z.object({ bounceType: z.string(), bounceSubType: z.string().optional() }).optional(),
    complaint: z.object({ complaintFeedbackType: z.string().optional() }).optional(),
  }),
});
export type SesEvent = z.infer<typeof SesEventSchema>;

export interface FeedbackDeps {
  subscribers: SubscriberRepository;
  ledger: DeliveryLedger;
  stats: EditionStats;
  clock: Clock;
}

export type FeedbackOutcome =
  | 'completed'
  | 'duplicate'
  | 'sent'
  | 'delivered'
  | 'bounced'
  | 'soft-bounce'
  | 'complained'
  | 'rejected'
  | 'delayed'
  | 'ignored';

/** Which delivery a message was: from its tags (SES), else from the header the local stand-in reads. */
export function deliveryOf(event: SesEvent): { subscriberId?: string; editionDate?: string } {
  const { tags, headers } = event.detail.mail;
  const subscriberId = tags?.[DELIVERY_TAGS.subscriber]?.[0];
  const editionDate = tags?.[DELIVERY_TAGS.edition]?.[0];
  if (subscriberId) return { subscriberId, ...(editionDate ? { editionDate } : {}) };
  const header = headers?.find((h) => h.name.toLowerCase() === DELIVERY_HEADER.toLowerCase())?.value;
  const [fromHeader, date] = header?.split('/') ?? [];
  return fromHeader ? { subscriberId: fromHeader, ...(date ? { editionDate: date } : {}) } : {};
}

/**
 * Applies one SES event (the feedback loop):
 * - Send: the provider accepted the message; counted as sent (once per message). A claim its
 *   worker left `sending` (it died between the provider's answer and the ledger) is completed
 *   here (its papers, on the claim, become the reader's received papers). A second message for the same delivery is a `duplicate`.
 * - Delivery: counted; the address's run of soft bounces ends.
 * - Bounce: a permanent one suppresses the address (`bounced`); a temporary one is counted, and
 *   the third in a row suppresses it.
 * - Complaint: the reader marked it as spam: suppressed (`complained`) at once.
 * - Reject, DeliveryDelay: counted.
 * Edition counters are kept for events of a digest. Events for unknown messages are ignored.
 */
export async function applyFeedback(event: SesEvent, deps: FeedbackDeps): Promise<FeedbackOutcome> {
  const { subscriberId, editionDate } = deliveryOf(event);
  const type = event.detail.eventType;
  const counts: EditionStatCounts = {};
  let outcome: FeedbackOutcome = 'ignored';
  if (!subscriberId) return outcome;

  switch (type) {
    case 'Send': {
      if (!editionDate) return 'ignored';
      // Once per message: EventBridge may deliver an event twice.
      const recorded = await deps.ledger.recordSendEvent(
        subscriberId,
        editionDate,
        event.detail.mail.messageId,
      );
      if (!recorded) return 'ignored';
      // Counted here, from the provider's word, so a worker that died after sending is counted too.
      counts.sent = 1;
      outcome = recorded.duplicateOf ? 'duplicate' : recorded.completed ? 'completed' : 'sent';
      break;
    }
    case 'Delivery':
      counts.delivered = 1;
      await updateSubscriber(subscriberId, deps, (s) =>
        s.softBounces ? { ...s, softBounces: 0 } : undefined,
      );
      outcome = 'delivered';
      break;
    case 'Bounce': {
      const permanent = event.detail.bounce?.bounceType === 'Permanent';
      const reason = `${event.detail.bounce?.bounceType ?? 'Unknown'} bounce${event.detail.bounce?.bounceSubType ? ` (${event.detail.bounce.bounceSubType})` : ''}`;
      const now = deps.clock.now().toISOString();
      await updateSubscriber(subscriberId, deps, (s) => {
        const softBounces = permanent ? (s.softBounces ?? 0) : (s.softBounces ?? 0) + 1;
        if (permanent || softBounces >= SOFT_BOUNCE_LIMIT) {
          if (s.status === 'bounced' || s.status === 'complained') return undefined;
          const { pausedUntil: _paused, ...rest } = s;
          return {
            ...rest,
            status: 'bounced',
            softBounces,
            bouncedAt: now,
            bounceReason: permanent ? reason : `${softBounces} temporary bounces in a row`,
          };
        }
        return { ...s, softBounces };
      });
      if (permanent) counts.bounced = 1;
      else counts.softBounced = 1;
      outcome = permanent ? 'bounced' : 'soft-bounce';
      break;
    }
    case 'Complaint': {
      const now = deps.clock.now().toISOString();
      await updateSubscriber(subscriberId, deps, (s) => {
        if (s.status === 'complained') return undefined;
        const { pausedUntil: _paused, ...rest } = s;
        return { ...rest, status: 'complained', complainedAt: now };
      });
      counts.complained = 1;
      outcome = 'complained';
      break;
    }
    case 'Reject':
      counts.rejected = 1;
      outcome = 'rejected';
      break;
    case 'DeliveryDelay':
      counts.delayed = 1;
      outcome = 'delayed';
      break;
    default:
      return 'ignored';
  }
  if (editionDate && Object.keys(counts).length > 0) await deps.stats.add(editionDate, counts);
  return outcome;
}

/** Applies a change to a subscriber, conditionally on the version read; a lost race re-reads. */
async function updateSubscriber(
  id: string,
  deps: Pick<FeedbackDeps, 'subscribers' | 'clock'>,
  change: (subscriber: Subscriber) => Subscriber | undefined,
): Promise<void> {
  for (let race = 0; race < 4; race += 1) {
    const record = await deps.subscribers.get(id);
    if (!record || isErased(record)) return;
    const next = change(record);
    if (!next) return;
    const updated = { ...next, updatedAt: deps.clock.now().toISOString(), version: record.version + 1 };
    if (await deps.subscribers.replace(updated, record.version)) return;
  }
  throw new ConcurrentUpdateError(`subscriber ${id} kept changing while applying feedback`);
}

/** How long a claim may stay `sending` before it counts as hanging: SES send events arrive in seconds. */
export const HANGING_AFTER_MS = 15 * 60_000;

/**
 * Claims left `sending` past the grace period: their worker died after claiming, and the
 * provider sent no event saying it accepted the message (which would have completed them).
 */
export async function findHangingClaims(
  deps: Pick<FeedbackDeps, 'ledger' | 'clock'>,
  graceMs = HANGING_AFTER_MS,
) {
  const before = new Date(deps.clock.now().getTime() - graceMs).toISOString();
  return deps.ledger.listSending(before);
}

/** Subscribers per send job when resolved deliveries are sent again (as the rank function pages them). */
const RESEND_JOB_SIZE = 50;

/**
 * Resolves hanging claims by the documented rule (docs/data-model.md "Exactly once"): a claim
 * still `sending` past the grace period has had no send event from the provider, so its message
 * never left. It is released, and put back on the send queue, so its reader is not silently
 * skipped: the send job claims it afresh (or skips a reader who has since unsubscribed).
 */
export async function resolveHangingClaims(
  deps: Pick<FeedbackDeps, 'ledger' | 'clock'> & { queue: WorkQueue },
  graceMs = HANGING_AFTER_MS,
): Promise<{ released: { subscriberId: string; editionDate: string }[]; jobs: number }> {
  const hanging = await findHangingClaims(deps, graceMs);
  const released: { subscriberId: string; editionDate: string }[] = [];
  for (const { subscriberId, editionDate } of hanging) {
    const reason = `no send event from the provider within ${Math.round(graceMs / 60_000)} minutes of the claim: not sent`;
    // Only if still sending: a send event that completes it meanwhile wins.
    if (await deps.ledger.release(subscriberId, editionDate, reason, true))
      released.push({ subscriberId, editionDate });
  }
  const byEdition = new Map<string, string[]>();
  for (const { subscriberId, editionDate } of released) {
    byEdition.set(editionDate, [...(byEdition.get(editionDate) ?? []), subscriberId]);
  }
  const jobs: SendJob[] = [];
  for (const [editionDate, ids] of byEdition) {
    for (let i = 0; i < ids.length; i += RESEND_JOB_SIZE) {
      jobs.push({ editionDate, subscriberIds: ids.slice(i, i + RESEND_JOB_SIZE) });
    }
  }
  if (jobs.length > 0) await deps.queue.enqueue(jobs);
  return { released, jobs: jobs.length };
}
