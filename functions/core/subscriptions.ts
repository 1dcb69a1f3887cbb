import { DELIVERY_HEADER, DELIVERY_TAGS } from './delivery-tags.ts';
import { ConcurrentUpdateError, InvalidTokenError, NotFoundError } from './errors.ts';
import type { LinkBuilder } from './links.ts';
import type {
  Clock,
  Counters,
  DigestRenderer,
  EmailSender,
  IdGenerator,
  PersonalData,
  PersonalDataExport,
  RateLimiter,
  SignupQueue,
  SubscriberRepository,
} from './ports.ts';
import { enforceRate, type RateLimits, rateKey } from './rate-limits.ts';
import type { SignupMessage } from './signup.ts';
import {
  type ErasedSubscriber,
  identityOf,
  isErased,
  type PreferencesUpdate,
  preferencesOf,
  type Subscriber,
  type SubscriberRecord,
  type SubscriptionRequest,
} from './subscriber.ts';
import { singleLine } from './text.ts';
import {
  feedbackBinding,
  subscriberIdFor,
  type TokenClaims,
  type TokenKeys,
  verifyTokenWith,
} from './tokens.ts';

/** What the use cases count (CloudWatch metrics on AWS): sign-ups, confirmations, departures. */
export const SUBSCRIBER_COUNTS = {
  /** A new pending sign-up (a new address, or one that had left), its confirmation sent. */
  subscribed: 'SubscribersSubscribed',
  /** A pending sign-up confirmed: a new reader. */
  confirmed: 'SubscribersConfirmed',
  /** A reader (or a pending sign-up) unsubscribed or erased. */
  left: 'SubscribersLeft',
} as const;

/** How long an unconfirmed sign-up is kept before it counts as absent (its link lives 7 days). */
export const PENDING_TTL_SECONDS = 8 * 86_400;
/** A repeated sign-up of a pending address re-sends the confirmation at most this often. */
export const RESEND_AFTER_MS = 3_600_000;
const MAX_RACES = 4;

export interface AcceptSignupDeps {
  limiter: RateLimiter;
  signups: SignupQueue;
  keys: TokenKeys;
  clock: Clock;
  limits: RateLimits;
}

/**
 * Accepts a sign-up from the form or the API, answering in the same time whoever the address is.
 * 1. Count it against the address's hourly limit (a 429 past it: the form cannot flood a mailbox).
 * 2. Queue it. Nothing here reads the subscriber: the work that depends on the address's state
 *    (a new pending record, a re-sent confirmation, nothing at all) happens in `processSignup`,
 *    after the API has answered, so no answer and no timing tells whether an address is known.
 */
export async function acceptSignup(request: SubscriptionRequest, deps: AcceptSignupDeps): Promise<void> {
  const ring = await deps.keys.current();
  await enforceRate(
    deps.limiter,
    // The identity form: `Ana@` and `ana@` are one mailbox, and count against one limit.
    rateKey('address', identityOf(request.email), ring),
    deps.limits.perAddressPerHour,
    3600,
  );
  await deps.signups.enqueue({ request, requestedAt: deps.clock.now().toISOString() });
}

export interface SubscriptionDeps {
  subscribers: SubscriberRepository;
  sender: EmailSender;
  renderer: DigestRenderer;
  links: LinkBuilder;
  keys: TokenKeys;
  clock: Clock;
  ids: IdGenerator;
  /** The sender's postal address, in every email's footer. */
  postalAddress: string;
  /** Counts sign-ups, confirmations and departures where they happen (optional). */
  counters?: Counters;
}

export type SignupOutcome = 'created' | 'resent' | 'renewed' | 'recent' | 'ignored';

/**
 * Does the work of a queued sign-up (double opt-in).
 * 1. The address (normalized) gives the subscriber id: one address is one record.
 * 2. A new address becomes a pending sign-up with one conditional write, and gets a confirmation.
 * 3. A pending address keeps the preferences of its first request; its confirmation is sent
 *    again if the last one went out over an hour ago (the same link: it is bound to the sign-up).
 * 4. An unsubscribed or erased address becomes a new pending sign-up (new id, so links to the
 *    old one die), with the new request's preferences, and gets a confirmation.
 * 5. An active address is left as it is (never downgraded, preferences changed only by token);
 *    a bounced or complained one stays suppressed: nothing is sent.
 * Every write is conditional on the version read; a lost race re-reads and decides again.
 */
export async function processSignup(message: SignupMessage, deps: SubscriptionDeps): Promise<SignupOutcome> {
  const { request } = message;
  const id = subscriberIdFor(request.email, await deps.keys.current());
  for (let race = 0; race < MAX_RACES; race += 1) {
    const now = deps.clock.now();
    const existing = await deps.subscribers.get(id);
    if (!existing) {
      const pending = newSignup(id, request, now, deps, { version: 1 });
      if (await deps.subscribers.create(pending)) {
        await sendConfirmation(pending, undefined, deps);
        deps.counters?.count(SUBSCRIBER_COUNTS.subscribed);
        return 'created';
      }
      continue;
    }
    if (existing.status === 'active' || existing.status === 'bounced' || existing.status === 'complained') {
      return 'ignored';
    }
    if (existing.status === 'pending') {
      const last = existing.confirmationSentAt ? Date.parse(existing.confirmationSentAt) : 0;
      if (now.getTime() - last < RESEND_AFTER_MS) return 'recent';
      const next: Subscriber = {
        ...existing,
        confirmationSentAt: now.toISOString(),
        updatedAt: now.toISOString(),
        version: existing.version + 1,
      };
      if (await deps.subscribers.replace(next, existing.version)) {
        await sendConfirmation(next, existing, deps);
        return 'resent';
      }
      continue;
    }
    // Unsubscribed or erased: only a new confirmation brings the address back.
    const renewed = newSignup(id, request, now, deps, {
      version: existing.version + 1,
      createdAt: isErased(existing) ? undefined : existing.createdAt,
    });
    if (await deps.subscribers.replace(renewed, existing.version)) {
      await sendConfirmation(renewed, existing, deps);
      deps.counters?.count(SUBSCRIBER_COUNTS.subscribed);
      return 'renewed';
    }
  }
  throw new ConcurrentUpdateError(`subscriber ${id} kept changing while signing up`);
}

function newSignup(
  id: string,
  request: SubscriptionRequest,
  now: Date,
  deps: Pick<SubscriptionDeps, 'ids'>,
  record: { version: number; createdAt?: string | undefined },
): Subscriber {
  const { email, topics, authors, exclude, frequency, digestSize } = request;
  return {
    id,
    email,
    status: 'pending',
    topics,
    authors,
    exclude,
    frequency,
    digestSize,
    signupId: deps.ids.next(),
    version: record.version,
    createdAt: record.createdAt ?? now.toISOString(),
    updatedAt: now.toISOString(),
    confirmationSentAt: now.toISOString(),
    expiresAt: Math.floor(now.getTime() / 1000) + PENDING_TTL_SECONDS,
  };
}

/**
 * Sends the confirmation of a sign-up whose `confirmationSentAt` this worker just claimed. If the
 * provider refuses, the claim is given back (so a retry or a repeat sign-up sends it) and the
 * error goes up for the queue to retry.
 */
async function sendConfirmation(
  signup: Subscriber,
  before: SubscriberRecord | undefined,
  deps: SubscriptionDeps,
): Promise<void> {
  const confirmUrl = await deps.links.confirm(signup.id, signup.signupId, deps.clock.now());
  try {
    await deps.sender.send({
      to: signup.email,
      subject: 'Confirm your Paperboy subscription',
      html: deps.renderer.renderNotice({
        title: 'Confirm your Paperboy subscription',
        preheader: 'One click and the trending papers arrive in your inbox.',
        heading: 'Confirm your subscription',
        body: "Someone (we hope you) asked to receive the day's trending research papers at this address.",
        buttonText: 'Confirm subscription',
        url: confirmUrl,
        footnote:
          'If you did not ask for this, ignore this email: nothing will be sent. The link works for 7 days.',
        postalAddress: deps.postalAddress,
      }),
      text: `Confirm your subscription to Paperboy's trending papers:\n${confirmUrl}\n\nIf you did not ask for this, ignore this email: nothing will be sent. The link works for 7 days.\n${deps.postalAddress ? `\n${singleLine(deps.postalAddress)}\n` : ''}`,
      // Its bounce or complaint finds the sign-up too (the header is what the local SES stand-in reads).
      headers: { [DELIVERY_HEADER]: signup.id },
      tags: { [DELIVERY_TAGS.subscriber]: signup.id },
    });
  } catch (error) {
    // Give the claim back: the record as it was, at the next version.
    const undo: SubscriberRecord | undefined = before
      ? { ...before, version: signup.version + 1 }
      : { ...signup, confirmationSentAt: new Date(0).toISOString(), version: signup.version + 1 };
    await deps.subscribers.replace(undo, signup.version).catch(() => {});
    throw error;
  }
}

/**
 * The subscriber a token names, refused when the token is bound to another sign-up (a feedback
 * token: to another sign-up or another paper than `paperId`).
 */
async function boundSubscriber(
  claims: TokenClaims,
  deps: Pick<SubscriptionDeps, 'subscribers'>,
  paperId?: string,
) {
  const record = await deps.subscribers.get(claims.subscriberId);
  if (!record || isErased(record))
    throw new NotFoundError('This link no longer works: there is no subscription behind it.');
  const expected =
    claims.purpose === 'feedback' ? feedbackBinding(record.signupId, paperId ?? '') : record.signupId;
  if (claims.binding !== expected) {
    throw new InvalidTokenError('the link belongs to an earlier sign-up');
  }
  return record;
}

/** Checks a confirmation link without changing anything (the page a GET shows). */
export async function checkConfirmToken(
  token: string,
  deps: Pick<SubscriptionDeps, 'keys' | 'clock'>,
): Promise<void> {
  await verifyTokenWith(token, 'confirm', deps.keys, deps.clock.now());
}

/**
 * Confirms the sign-up the link was sent for (a POST: link scanners' GETs change nothing).
 * Confirming twice is fine; an expired, forged or earlier sign-up's link is not.
 */
export async function confirm(token: string, deps: SubscriptionDeps): Promise<Subscriber> {
  const claims = await verifyTokenWith(token, 'confirm', deps.keys, deps.clock.now());
  for (let race = 0; race < MAX_RACES; race += 1) {
    const subscriber = await boundSubscriber(claims, deps);
    if (subscriber.status !== 'pending') return subscriber;
    const now = deps.clock.now().toISOString();
    const { expiresAt: _expiresAt, ...rest } = subscriber;
    const active: Subscriber = {
      ...rest,
      status: 'active',
      confirmedAt: now,
      updatedAt: now,
      version: subscriber.version + 1,
    };
    if (await deps.subscribers.replace(active, subscriber.version)) {
      deps.counters?.count(SUBSCRIBER_COUNTS.confirmed);
      return active;
    }
  }
  throw new ConcurrentUpdateError(`subscriber ${claims.subscriberId} kept changing while confirming`);
}

/** Unsubscribes at once (RFC 8058 one-click). Idempotent; the token never expires. */
export async function unsubscribe(
  token: string,
  deps: Pick<SubscriptionDeps, 'subscribers' | 'keys' | 'clock' | 'counters'>,
): Promise<void> {
  const now = deps.clock.now();
  const { subscriberId } = await verifyTokenWith(token, 'unsubscribe', deps.keys, now);
  for (let race = 0; race < MAX_RACES; race += 1) {
    const subscriber = await deps.subscribers.get(subscriberId);
    // Gone, erased or already out: nothing to stop.
    if (
      !subscriber ||
      isErased(subscriber) ||
      (subscriber.status !== 'active' && subscriber.status !== 'pending')
    )
      return;
    const { expiresAt: _expiresAt, pausedUntil: _paused, ...rest } = subscriber;
    const left: Subscriber = {
      ...rest,
      status: 'unsubscribed',
      unsubscribedAt: now.toISOString(),
      updatedAt: now.toISOString(),
      version: subscriber.version + 1,
    };
    if (await deps.subscribers.replace(left, subscriber.version)) {
      deps.counters?.count(SUBSCRIBER_COUNTS.left);
      return;
    }
  }
  throw new ConcurrentUpdateError(`subscriber ${subscriberId} kept changing while unsubscribing`);
}

/** Checks an unsubscribe link without changing anything (the page a GET shows). */
export async function checkUnsubscribeToken(
  token: string,
  deps: Pick<SubscriptionDeps, 'keys' | 'clock'>,
): Promise<void> {
  await verifyTokenWith(token, 'unsubscribe', deps.keys, deps.clock.now());
}

/**
 * "That was a mistake": from the unsubscribed page (its unsubscribe link), a new sign-up with the
 * reader's old preferences, through a new confirmation. Anything but an unsubscribed reader is
 * left alone.
 */
export async function resubscribe(
  token: string,
  deps: SubscriptionDeps & { limiter: RateLimiter; limits: RateLimits },
): Promise<void> {
  const { subscriberId } = await verifyTokenWith(token, 'unsubscribe', deps.keys, deps.clock.now());
  const ring = await deps.keys.current();
  // It sends mail: counted like a sign-up of the address.
  await enforceRate(
    deps.limiter,
    rateKey('subscriber', subscriberId, ring),
    deps.limits.perAddressPerHour,
    3600,
  );
  const record = await deps.subscribers.get(subscriberId);
  if (!record || isErased(record) || record.status !== 'unsubscribed') return;
  await processSignup(
    {
      request: { email: record.email, ...preferencesOf(record) },
      requestedAt: deps.clock.now().toISOString(),
    },
    deps,
  );
}

/** The reader behind a preferences link (the preference centre, export, erasure). */
export async function preferencesFor(
  token: string,
  deps: Pick<SubscriptionDeps, 'subscribers' | 'keys' | 'clock'>,
): Promise<Subscriber> {
  const claims = await verifyTokenWith(token, 'preferences', deps.keys, deps.clock.now());
  return boundSubscriber(claims, deps);
}

/**
 * Changes an active reader's preferences from their preference centre: any preference, a pause
 * of 1–12 weeks, or the end of a pause. Other states are shown, not changed.
 */
export async function updatePreferences(
  token: string,
  update: PreferencesUpdate,
  deps: Pick<SubscriptionDeps, 'subscribers' | 'keys' | 'clock'>,
): Promise<Subscriber> {
  for (let race = 0; race < MAX_RACES; race += 1) {
    const subscriber = await preferencesFor(token, deps);
    if (subscriber.status !== 'active') return subscriber;
    const now = deps.clock.now();
    const { pauseWeeks, resume, ...preferences } = update;
    const { pausedUntil: _paused, ...rest } = subscriber;
    const pausedUntil = pauseWeeks
      ? new Date(now.getTime() + pauseWeeks * 7 * 86_400_000).toISOString()
      : resume
        ? undefined
        : subscriber.pausedUntil;
    const next: Subscriber = {
      ...rest,
      ...Object.fromEntries(Object.entries(preferences).filter(([, v]) => v !== undefined)),
      ...(pausedUntil ? { pausedUntil } : {}),
      updatedAt: now.toISOString(),
      version: subscriber.version + 1,
    };
    if (await deps.subscribers.replace(next, subscriber.version)) return next;
  }
  throw new ConcurrentUpdateError('the subscription kept changing while saving preferences');
}

/**
 * An expired preferences link (or "more / fewer like this" link, for `paperId`) still proves who
 * clicked it: email that reader a fresh preferences link (counted against their hourly limit).
 * Links to anything but an active reader send nothing.
 */
export async function sendPreferencesLink(
  token: string,
  deps: SubscriptionDeps & { limiter: RateLimiter; limits: RateLimits },
  paperId?: string,
): Promise<void> {
  const claims = await verifyTokenWith(token, ['preferences', 'feedback'], deps.keys, deps.clock.now(), {
    allowExpired: true,
  });
  const subscriber = await boundSubscriber(claims, deps, paperId);
  if (subscriber.status !== 'active') return;
  const ring = await deps.keys.current();
  await enforceRate(
    deps.limiter,
    rateKey('subscriber', subscriber.id, ring),
    deps.limits.perAddressPerHour,
    3600,
  );
  const url = await deps.links.preferences(subscriber.id, subscriber.signupId, deps.clock.now());
  await deps.sender.send({
    to: subscriber.email,
    subject: 'Your Paperboy preferences link',
    html: deps.renderer.renderNotice({
      title: 'Your Paperboy preferences link',
      preheader: 'A fresh link to your preferences.',
      heading: 'Your preferences',
      body: 'Here is a fresh link to change your topics, how often you get papers, or to pause or stop them.',
      buttonText: 'Open my preferences',
      url,
      footnote: 'The link works for 90 days. If you did not ask for it, you can ignore this email.',
      postalAddress: deps.postalAddress,
    }),
    text: `A fresh link to your Paperboy preferences (it works for 90 days):\n${url}\n`,
    headers: {},
  });
}

/** Everything stored about the reader behind a preferences link (GET: changes nothing). */
export async function exportData(
  token: string,
  deps: Pick<SubscriptionDeps, 'subscribers' | 'keys' | 'clock'> & { personalData: PersonalData },
): Promise<PersonalDataExport> {
  const subscriber = await preferencesFor(token, deps);
  return deps.personalData.exportOf(subscriber.id);
}

/**
 * Erases the reader behind a preferences link: their address, preferences, deliveries and
 * papers received go; what stays is the keyed hash of the address (the id) marked erased.
 * Every link to them stops working; the address can sign up again through a confirmation.
 */
export async function erase(
  token: string,
  deps: Pick<SubscriptionDeps, 'subscribers' | 'keys' | 'clock' | 'counters'> & {
    personalData: PersonalData;
  },
): Promise<void> {
  const subscriber = await preferencesFor(token, deps);
  await eraseSubscriber(subscriber, deps);
  // A reader still receiving mail (or about to) leaves; one already out was counted then.
  if (subscriber.status === 'active' || subscriber.status === 'pending') {
    deps.counters?.count(SUBSCRIBER_COUNTS.left);
  }
}

/**
 * The erasure itself, for the reader's own link and the operator's `paperboy subscribers erase`
 * alike: every item under the subscriber goes, and the erased marker takes the profile's place.
 */
export async function eraseSubscriber(
  subscriber: Pick<SubscriberRecord, 'id' | 'version'>,
  deps: Pick<SubscriptionDeps, 'clock'> & { personalData: PersonalData },
): Promise<ErasedSubscriber> {
  const now = deps.clock.now().toISOString();
  const marker: ErasedSubscriber = {
    id: subscriber.id,
    status: 'erased',
    version: subscriber.version + 1,
    erasedAt: now,
    updatedAt: now,
  };
  await deps.personalData.erase(marker);
  return marker;
}
