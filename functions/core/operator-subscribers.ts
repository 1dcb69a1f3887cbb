import { ConcurrentUpdateError } from './errors.ts';
import type { Clock, IdGenerator, SignupQueue, SubscriberRepository } from './ports.ts';
import { isErased, type Subscriber, type SubscriberRecord, type SubscriptionRequest } from './subscriber.ts';
import { subscriberIdFor, type TokenKeys } from './tokens.ts';

/** Re-reads after another writer changed the record between our read and our write. */
const MAX_RACES = 4;

export interface OperatorSubscriberDeps {
  subscribers: SubscriberRepository;
  keys: TokenKeys;
  clock: Clock;
  ids: IdGenerator;
  /** The normal double opt-in path: a queued sign-up gets a confirmation email. */
  signups: SignupQueue;
}

/** The subscriber id of an address (normalized already), as the api function derives it. */
export async function idOfAddress(
  email: string,
  deps: Pick<OperatorSubscriberDeps, 'keys'>,
): Promise<string> {
  return subscriberIdFor(email, await deps.keys.current());
}

/**
 * What importing one address did: `added` (an active subscriber with `confirmed`, otherwise a
 * sign-up queued for the double opt-in), `unchanged` (already active, or a sign-up already
 * waiting for its confirmation), `skipped` (the reader left or the address is suppressed or
 * erased: an import never brings it back).
 */
export type ImportOutcome =
  | { outcome: 'added'; id: string; as: 'active' | 'confirmation-sent' }
  | { outcome: 'unchanged'; id: string; status: 'active' | 'pending' }
  | { outcome: 'skipped'; id: string; status: 'unsubscribed' | 'bounced' | 'complained' | 'erased' };

/**
 * Imports one address of an existing list.
 * 1. The address gives the subscriber id, as a sign-up does: one address is one record.
 * 2. An address the table does not know is added: with `confirmed` (the operator asserts the
 *    reader opted in elsewhere) as an active subscriber, with one conditional write tried first
 *    (no read for a new address); otherwise as a sign-up on the normal double opt-in path, which
 *    emails a confirmation.
 * 3. An active address, or one waiting for its confirmation, is left as it is (re-runs are safe).
 * 4. An unsubscribed, bounced, complained or erased address is never re-activated: skipped.
 */
export async function importSubscriber(
  request: SubscriptionRequest,
  options: { confirmed: boolean },
  deps: OperatorSubscriberDeps,
): Promise<ImportOutcome> {
  const id = await idOfAddress(request.email, deps);
  for (let race = 0; race < MAX_RACES; race += 1) {
    if (options.confirmed) {
      // The conditional create first: a new address (most of a first import) costs one write
      // and no read; it fails, writing nothing, when the address is known, which the read then says.
      const now = deps.clock.now().toISOString();
      const { email, topics, authors, exclude, frequency, digestSize } = request;
      const subscriber: Subscriber = {
        id,
        email,
        status: 'active',
        topics,
        authors,
        exclude,
        frequency,
        digestSize,
        signupId: deps.ids.next(),
        version: 1,
        createdAt: now,
        updatedAt: now,
        confirmedAt: now,
      };
      if (await deps.subscribers.create(subscriber)) return { outcome: 'added', id, as: 'active' };
    }
    const existing = await deps.subscribers.get(id);
    if (existing) return outcomeFor(existing);
    if (!options.confirmed) {
      await deps.signups.enqueue({ request, requestedAt: deps.clock.now().toISOString() });
      return { outcome: 'added', id, as: 'confirmation-sent' };
    }
  }
  throw new ConcurrentUpdateError(`subscriber ${id} kept changing while importing`);
}

function outcomeFor(existing: SubscriberRecord): ImportOutcome {
  if (isErased(existing)) return { outcome: 'skipped', id: existing.id, status: 'erased' };
  if (existing.status === 'active' || existing.status === 'pending')
    return { outcome: 'unchanged', id: existing.id, status: existing.status };
  return { outcome: 'skipped', id: existing.id, status: existing.status };
}

export type SuppressOutcome = 'suppressed' | 'already-suppressed' | 'erased' | 'unknown';

/**
 * Why the operator suppresses an address: `unsubscribed` (a reader's unsubscribe replayed, say
 * after a restore: a later sign-up through the form with a new confirmation is still possible),
 * `bounced` or `complained` (what the provider said; the form's sign-ups are then ignored), or
 * `manual` (the operator's own decision, recorded as a bounce: no mail, sign-ups ignored).
 */
export const SUPPRESS_REASONS = ['unsubscribed', 'bounced', 'complained', 'manual'] as const;
export type SuppressReason = (typeof SUPPRESS_REASONS)[number];

/** How strongly each state keeps mail away: a suppression never weakens a record. */
const strength = (status: string): number =>
  status === 'unsubscribed' ? 1 : status === 'bounced' || status === 'complained' ? 2 : 0;

/**
 * Stops all mail to an address.
 * 1. A known subscriber takes the state of the reason (`manual` is a bounce with the operator's
 *    note), unless it is already as strongly suppressed (bounced or complained stay as they are;
 *    an unsubscribed one becomes bounced or complained, not the other way round).
 * 2. An address the table does not know (with `email` given) gets a record in that state, with
 *    default preferences and no confirmation: an import or a sign-up of that address (in any
 *    case) then meets it, as the restore runbook needs for unsubscribes replayed after a restore.
 * 3. An erased address has nothing to send to; it stays erased.
 */
export async function suppressSubscriber(
  id: string,
  note: string,
  deps: Pick<OperatorSubscriberDeps, 'subscribers' | 'clock'> & { ids?: IdGenerator },
  options: { reason?: SuppressReason; email?: string } = {},
): Promise<SuppressOutcome> {
  const reason = options.reason ?? 'manual';
  const status = reason === 'manual' ? 'bounced' : reason;
  for (let race = 0; race < MAX_RACES; race += 1) {
    const record = await deps.subscribers.get(id);
    const now = deps.clock.now().toISOString();
    const marks = stateMarks(status, reason, note, now);
    if (!record) {
      if (options.email === undefined || !deps.ids) return 'unknown';
      const created: Subscriber = {
        id,
        email: options.email,
        topics: [],
        authors: [],
        exclude: [],
        frequency: 'daily',
        digestSize: 10,
        signupId: deps.ids.next(),
        version: 1,
        createdAt: now,
        updatedAt: now,
        ...marks,
      };
      if (await deps.subscribers.create(created)) return 'suppressed';
      continue;
    }
    if (isErased(record)) return 'erased';
    if (strength(record.status) >= strength(status)) return 'already-suppressed';
    const { pausedUntil: _paused, expiresAt: _expires, ...rest } = record;
    const next: Subscriber = { ...rest, ...marks, updatedAt: now, version: record.version + 1 };
    if (await deps.subscribers.replace(next, record.version)) return 'suppressed';
  }
  throw new ConcurrentUpdateError(`subscriber ${id} kept changing while suppressing`);
}

function stateMarks(
  status: 'unsubscribed' | 'bounced' | 'complained',
  reason: SuppressReason,
  note: string,
  now: string,
): Pick<Subscriber, 'status' | 'unsubscribedAt' | 'bouncedAt' | 'bounceReason' | 'complainedAt'> {
  const said = note ? `: ${note}` : '';
  if (status === 'unsubscribed') return { status, unsubscribedAt: now };
  if (status === 'complained') return { status, complainedAt: now };
  return {
    status,
    bouncedAt: now,
    bounceReason: `suppressed by the operator${reason === 'manual' ? '' : ' (bounced)'}${said}`,
  };
}
