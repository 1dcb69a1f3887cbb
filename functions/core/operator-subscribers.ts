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
 *    reader opted in elsewhere) as an active subscriber, with one conditional write; otherwise
 *    as a sign-up on the normal double opt-in path, which emails a confirmation.
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
    const existing = await deps.subscribers.get(id);
    if (existing) return outcomeFor(existing);
    if (!options.confirmed) {
      await deps.signups.enqueue({ request, requestedAt: deps.clock.now().toISOString() });
      return { outcome: 'added', id, as: 'confirmation-sent' };
    }
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
 * Stops all mail to an address as a hard bounce does: the subscriber becomes `bounced`, with the
 * operator's reason, so no digest is sent and a new sign-up through the form is ignored. An
 * address already bounced or complained stays as it is.
 */
export async function suppressSubscriber(
  id: string,
  reason: string,
  deps: Pick<OperatorSubscriberDeps, 'subscribers' | 'clock'>,
): Promise<SuppressOutcome> {
  for (let race = 0; race < MAX_RACES; race += 1) {
    const record = await deps.subscribers.get(id);
    if (!record) return 'unknown';
    if (isErased(record)) return 'erased';
    if (record.status === 'bounced' || record.status === 'complained') return 'already-suppressed';
    const now = deps.clock.now().toISOString();
    const { pausedUntil: _paused, expiresAt: _expires, ...rest } = record;
    const next: Subscriber = {
      ...rest,
      status: 'bounced',
      bouncedAt: now,
      bounceReason: `suppressed by the operator${reason ? `: ${reason}` : ''}`,
      updatedAt: now,
      version: record.version + 1,
    };
    if (await deps.subscribers.replace(next, record.version)) return 'suppressed';
  }
  throw new ConcurrentUpdateError(`subscriber ${id} kept changing while suppressing`);
}
