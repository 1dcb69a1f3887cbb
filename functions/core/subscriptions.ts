import { ConcurrentUpdateError, NotFoundError } from './errors.ts';
import type { LinkBuilder } from './links.ts';
import type { Clock, DigestRenderer, EmailSender, SubscriberRepository } from './ports.ts';
import { normalizeEmail, type Subscriber, type SubscriptionRequest } from './subscriber.ts';
import { subscriberIdFor, type TokenKeys, verifyTokenWith } from './tokens.ts';

export interface SubscriptionDeps {
  subscribers: SubscriberRepository;
  sender: EmailSender;
  renderer: DigestRenderer;
  links: LinkBuilder;
  keys: TokenKeys;
  clock: Clock;
}

/** How long an unconfirmed sign-up is kept before it counts as absent. */
const PENDING_TTL_SECONDS = 8 * 86_400;

/**
 * Starts a subscription (double opt-in).
 * 1. The address is normalized and turned into the subscriber id, so one address is one item.
 * 2. A new address is written as pending with one conditional put, and gets a confirmation email.
 * 3. A pending or unsubscribed address gets a fresh confirmation email (preferences updated).
 * 4. An active address is left exactly as it is: subscribing never downgrades anyone.
 * The caller answers the same way in every case, so nobody can learn whether an address is known.
 */
export async function subscribe(request: SubscriptionRequest, deps: SubscriptionDeps): Promise<void> {
  const email = normalizeEmail(request.email);
  const id = subscriberIdFor(email, await deps.keys.current());
  const now = deps.clock.now();
  const pending: Subscriber = {
    id,
    email,
    status: 'pending',
    topics: request.topics,
    authors: request.authors,
    exclude: request.exclude,
    frequency: request.frequency,
    digestSize: request.digestSize,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    expiresAt: Math.floor(now.getTime() / 1000) + PENDING_TTL_SECONDS,
  };
  if (!(await deps.subscribers.create(pending))) {
    const existing = await deps.subscribers.get(id);
    if (
      !existing ||
      existing.status === 'active' ||
      existing.status === 'bounced' ||
      existing.status === 'complained'
    ) {
      // Active stays active; a suppressed address must not be mailed again from a web form.
      return;
    }
    const renewed: Subscriber = { ...pending, createdAt: existing.createdAt };
    if (!(await deps.subscribers.replace(renewed, existing.status))) return;
  }
  const confirmUrl = await deps.links.confirm(id, now);
  await deps.sender.send({
    to: email,
    subject: 'Confirm your Paperboy subscription',
    html: deps.renderer.renderConfirmation({ confirmUrl }),
    text: `Confirm your subscription to Paperboy's daily papers:\n${confirmUrl}\n\nIf you did not ask for this, ignore this email: nothing will be sent.\n`,
    headers: {},
  });
}

/** Confirms a pending subscriber. Confirming twice is fine; an expired or forged token is not. */
export async function confirm(token: string, deps: SubscriptionDeps): Promise<Subscriber> {
  const now = deps.clock.now();
  const { subscriberId } = await verifyTokenWith(token, 'confirm', deps.keys, now);
  const subscriber = await deps.subscribers.get(subscriberId);
  if (!subscriber) throw new NotFoundError('this subscription request has expired; please subscribe again');
  if (subscriber.status !== 'pending') return subscriber;
  const { expiresAt: _expiresAt, ...rest } = subscriber;
  const active: Subscriber = {
    ...rest,
    status: 'active',
    confirmedAt: now.toISOString(),
    updatedAt: now.toISOString(),
  };
  if (!(await deps.subscribers.replace(active, 'pending')))
    return (await deps.subscribers.get(subscriberId)) ?? active;
  return active;
}

/** Unsubscribes at once (RFC 8058 one-click). Idempotent; the token never expires. */
export async function unsubscribe(token: string, deps: SubscriptionDeps): Promise<void> {
  const now = deps.clock.now();
  const { subscriberId } = await verifyTokenWith(token, 'unsubscribe', deps.keys, now);
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const subscriber = await deps.subscribers.get(subscriberId);
    if (!subscriber || subscriber.status === 'unsubscribed') return;
    const { expiresAt: _expiresAt, ...rest } = subscriber;
    const left: Subscriber = {
      ...rest,
      status: 'unsubscribed',
      unsubscribedAt: now.toISOString(),
      updatedAt: now.toISOString(),
    };
    if (await deps.subscribers.replace(left, subscriber.status)) return;
  }
  throw new ConcurrentUpdateError(`subscriber ${subscriberId} kept changing while unsubscribing`);
}

/** Checks an unsubscribe token without changing anything (for the GET page). */
export async function checkUnsubscribeToken(
  token: string,
  deps: Pick<SubscriptionDeps, 'keys' | 'clock'>,
): Promise<void> {
  await verifyTokenWith(token, 'unsubscribe', deps.keys, deps.clock.now());
}
