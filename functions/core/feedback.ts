import * as z from 'zod';
import { DELIVERY_HEADER, DELIVERY_TAGS } from './delivery-tags.ts';
import { ConcurrentUpdateError, ValidationError } from './errors.ts';
import type {
  Clock,
  DeliveryLedger,
  EditionStatCounts,
  EditionStats,
  SendJob,
  SubscriberRepository,
  WorkQueue,
} from './ports.ts';
import { identityOf, isErased, type Subscriber } from './subscriber.ts';

/** Temporary bounces in a row that make an address bounced. */
export const SOFT_BOUNCE_LIMIT = 3;

/** A subscriber id as Paperboy makes them (a keyed hash, base64url), and an edition date. */
const SubscriberIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,128}$/u, 'not a subscriber id');
const EditionDateSchema = z.iso.date('not an edition date (YYYY-MM-DD)');

/**
 * An SES event as EventBridge delivers it (the configuration set's event destination): the
 * `detail` is SES's event record. Only the fields Paperboy reads are required; the rest passes.
 * Paperboy's own tags (and the local stand-in's header), when present, must be well formed: an
 * event that names a delivery wrongly is reported, not applied.
 */
export const SesEventSchema = z
  .object({
    'detail-type': z.string().max(200).optional(),
    detail: z.object({
      eventType: z.string().max(64),
      mail: z.object({
        messageId: z.string().min(1).max(256),
        timestamp: z.string().optional(),
        destination: z.array(z.string().max(320)).max(100).optional(),
        tags: z.record(z.string(), z.array(z.string())).optional(),
        headers: z.array(z.object({ name: z.string(), value: z.string() })).optional(),
      }),
      bounce: z
        .object({ bounceType: z.string().max(64), bounceSubType: z.string().max(64).optional() })
        .optional(),
      complaint: z.object({ complaintFeedbackType: z.string().max(64).optional() }).optional(),
    }),
  })
  .superRefine((event, context) => {
    const { subscriberId, editionDate } = rawDeliveryOf(event as SesEvent);
    const at = ['detail', 'mail', 'tags'];
    if (subscriberId !== undefined && !SubscriberIdSchema.safeParse(subscriberId).success) {
      context.addIssue({
        code: 'custom',
        path: [...at, DELIVERY_TAGS.subscriber],
        message: 'not a subscriber id',
      });
    }
    if (editionDate !== undefined && !EditionDateSchema.safeParse(editionDate).success) {
      context.addIssue({
        code: 'custom',
        path: [...at, DELIVERY_TAGS.edition],
        message: 'not an edition date (YYYY-MM-DD)',
      });
    }
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
  return rawDeliveryOf(event);
}

function rawDeliveryOf(event: SesEvent): { subscriberId?: string; editionDate?: string } {
  const { tags, headers } = event.detail.mail;
  const subscriberId = tags?.[DELIVERY_TAGS.subscriber]?.[0];
  const editionDate = tags?.[DELIVERY_TAGS.edition]?.[0];
  if (subscriberId !== undefined)
    return { subscriberId, ...(editionDate !== undefined ? { editionDate } : {}) };
  const header = headers?.find((h) => h.name.toLowerCase() === DELIVERY_HEADER.toLowerCase())?.value;
  if (header === undefined) return {};
  const slash = header.indexOf('/');
  return slash < 0
    ? { subscriberId: header }
    : { subscriberId: header.slice(0, slash), editionDate: header.slice(slash + 1) };
}

/**
 * Applies one SES event (the feedback loop), once: EventBridge may deliver an event twice, and
 * an operator may feed a file twice.
 * - Send: the provider accepted the message; counted as sent (once per message). A claim its
 *   worker left `sending` (it died between the provider's answer and the ledger) is completed
 *   here (its papers, on the claim, become the reader's received papers). A second message for
 *   the same delivery is a `duplicate` (counted, and alarmed on AWS).
 * - Delivery: counted; the address's run of soft bounces ends.
 * - Bounce: a permanent one suppresses the address (`bounced`); a temporary one is counted, and
 *   the third in a row suppresses it.
 * - Complaint: the reader marked it as spam: suppressed (`complained`) at once.
 * - Reject, DeliveryDelay: counted.
 * An event of a digest applies only if its delivery exists, and only the first time (the event
 * type and message id are recorded on the delivery). An event of a confirmation email (no
 * edition) suppresses on a permanent bounce or a complaint. A bounce or complaint whose message
 * was addressed to someone other than the subscriber its tags name is ignored. Events for
 * unknown subscribers or deliveries are ignored.
 */
export async function applyFeedback(event: SesEvent, deps: FeedbackDeps): Promise<FeedbackOutcome> {
  const { subscriberId, editionDate } = deliveryOf(event);
  const type = event.detail.eventType;
  const { messageId } = event.detail.mail;
  if (!subscriberId) return 'ignored';

  if (type === 'Send') {
    if (!editionDate) return 'ignored';
    const recorded = await deps.ledger.recordSendEvent(subscriberId, editionDate, messageId);
    if (!recorded) return 'ignored';
    // Counted here, from the provider's word, so a worker that died after sending is counted too.
    await deps.stats.add(editionDate, recorded.duplicateOf ? { sent: 1, duplicates: 1 } : { sent: 1 });
    return recorded.duplicateOf ? 'duplicate' : recorded.completed ? 'completed' : 'sent';
  }
  if (!['Delivery', 'Bounce', 'Complaint', 'Reject', 'DeliveryDelay'].includes(type)) return 'ignored';
  const permanent = event.detail.bounce?.bounceType === 'Permanent';
  if (!editionDate && !((type === 'Bounce' && permanent) || type === 'Complaint')) return 'ignored';
  if ((type === 'Bounce' || type === 'Complaint') && !(await addressedTo(subscriberId, event, deps)))
    return 'ignored';
  // A digest's event: once per event type and message, and only for a delivery that exists.
  if (editionDate && !(await deps.ledger.recordEvent(subscriberId, editionDate, `${type}#${messageId}`))) {
    return 'ignored';
  }

  const counts: EditionStatCounts = {};
  let outcome: FeedbackOutcome;
  const now = deps.clock.now().toISOString();
  switch (type) {
    case 'Delivery':
      counts.delivered = 1;
      await updateSubscriber(subscriberId, deps, (s) =>
        s.softBounces ? { ...s, softBounces: 0 } : undefined,
      );
      outcome = 'delivered';
      break;
    case 'Bounce': {
      const reason = `${event.detail.bounce?.bounceType ?? 'Unknown'} bounce${event.detail.bounce?.bounceSubType ? ` (${event.detail.bounce.bounceSubType})` : ''}`;
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
    case 'Complaint':
      await updateSubscriber(subscriberId, deps, (s) => {
        if (s.status === 'complained') return undefined;
        const { pausedUntil: _paused, ...rest } = s;
        return { ...rest, status: 'complained', complainedAt: now };
      });
      counts.complained = 1;
      outcome = 'complained';
      break;
    case 'Reject':
      counts.rejected = 1;
      outcome = 'rejected';
      break;
    default:
      counts.delayed = 1;
      outcome = 'delayed';
  }
  if (editionDate) await deps.stats.add(editionDate, counts);
  return outcome;
}

/**
 * True unless the message was addressed elsewhere: the tags name a subscriber, the destination
 * names the address; an event where they disagree is not trusted with a suppression.
 */
async function addressedTo(subscriberId: string, event: SesEvent, deps: Pick<FeedbackDeps, 'subscribers'>) {
  const destination = event.detail.mail.destination;
  if (!destination || destination.length === 0) return true;
  const record = await deps.subscribers.get(subscriberId);
  if (!record || isErased(record)) return true;
  const email = identityOf(record.email);
  return destination.some((to) => identityOf(to) === email);
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
 * The shortest grace an operator may ask for: longer than a send worker can hold a live claim
 * (its function times out after a minute; a claim waits at most a few seconds for its pace),
 * plus SES's event latency. A shorter one would release claims still being sent.
 */
export const MIN_GRACE_MINUTES = 5;

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
  if (graceMs < MIN_GRACE_MINUTES * 60_000) {
    throw new ValidationError(
      `a grace of less than ${MIN_GRACE_MINUTES} minutes would release deliveries still being sent`,
    );
  }
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
