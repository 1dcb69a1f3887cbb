import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HtmlDigestRenderer } from '../../../functions/adapters/html-digest-renderer.ts';
import { compileTemplates } from '../../../functions/adapters/mjml-compiler.ts';
import { InvalidTokenError, NotFoundError, RateLimitedError } from '../../../functions/core/errors.ts';
import { LinkBuilder } from '../../../functions/core/links.ts';
import { defaultRateLimits } from '../../../functions/core/rate-limits.ts';
import {
  normalizeEmail,
  type Subscriber,
  SubscriptionRequestSchema,
} from '../../../functions/core/subscriber.ts';
import {
  acceptSignup,
  confirm,
  erase,
  processSignup,
  type SubscriptionDeps,
  unsubscribe,
  updatePreferences,
} from '../../../functions/core/subscriptions.ts';
import { signToken, subscriberIdFor } from '../../../functions/core/tokens.ts';
import {
  FixedClock,
  MemoryPersonalData,
  MemoryRateLimiter,
  MemorySignupQueue,
  MemorySubscribers,
  RecordingSender,
  SequentialIds,
  testKeys,
  testTokenKeys,
} from '../../support/memory-ports.ts';

let renderer: HtmlDigestRenderer;
beforeAll(async () => {
  renderer = new HtmlDigestRenderer(await compileTemplates());
});

let clock: FixedClock;
let subscribers: MemorySubscribers;
let sender: RecordingSender;
let deps: SubscriptionDeps;
beforeEach(() => {
  clock = new FixedClock(new Date('2026-11-27T06:00:00Z'));
  subscribers = new MemorySubscribers(clock);
  sender = new RecordingSender();
  deps = {
    subscribers,
    sender,
    renderer,
    links: new LinkBuilder('https://papers.example.org', testTokenKeys),
    keys: testTokenKeys,
    clock,
    ids: new SequentialIds(),
    postalAddress: 'Paperboy, 1 Example Street, 00000 Exampletown',
  };
});

const request = (email: string, more: Record<string, unknown> = {}) =>
  SubscriptionRequestSchema.parse({ email, ...more });
/** A sign-up as the worker gets it from the queue. */
const signUp = (email: string, more: Record<string, unknown> = {}) =>
  processSignup({ request: request(email, more), requestedAt: clock.now().toISOString() }, deps);
const lastToken = (path: string) => {
  const url = sender.sent.at(-1)?.text.match(new RegExp(`https:\\S+${path}\\?token=(\\S+)`, 'u'));
  if (!url?.[1]) throw new Error(`no ${path} link was sent`);
  return decodeURIComponent(url[1]);
};
const idOf = (email: string) => subscriberIdFor(email, testKeys);
const record = (email: string) => subscribers.items.get(idOf(email)) as Subscriber;
const unsubscribeToken = (email: string) =>
  signToken({ purpose: 'unsubscribe', subscriberId: idOf(email), expiresAt: 0 }, testKeys);

describe('addresses', () => {
  it('are trimmed, their domain lower-cased and in ASCII; the local part is kept as typed', () => {
    expect(normalizeEmail('  Ana.B@Example.ORG ')).toBe('Ana.B@example.org');
    expect(normalizeEmail('ana@Exämple.org')).toBe('ana@xn--exmple-cua.org');
    expect(request('ana@BÜCHER.example').email).toBe('ana@xn--bcher-kva.example');
    expect(SubscriptionRequestSchema.safeParse({ email: 'ana@exa mple.org' }).success).toBe(false);
  });
});

describe('accepting a sign-up', () => {
  it('queues it without reading the subscriber, and refuses past the per-address limit', async () => {
    const signups = new MemorySignupQueue();
    const limiter = new MemoryRateLimiter();
    const get = subscribers.get.bind(subscribers);
    let reads = 0;
    subscribers.get = async (id) => {
      reads += 1;
      return get(id);
    };
    const accepting = { limiter, signups, keys: testTokenKeys, clock, limits: defaultRateLimits };
    for (let i = 0; i < defaultRateLimits.perAddressPerHour; i += 1)
      await acceptSignup(request('a@example.org'), accepting);
    await expect(acceptSignup(request('a@example.org'), accepting)).rejects.toThrow(RateLimitedError);
    expect(signups.messages).toHaveLength(defaultRateLimits.perAddressPerHour);
    expect(reads).toBe(0);
  });
});

describe('case variants of an address', () => {
  it('count against one per-address limit: ANA@ and ana@ cannot flood one mailbox', async () => {
    const signups = new MemorySignupQueue();
    const accepting = {
      limiter: new MemoryRateLimiter(),
      signups,
      keys: testTokenKeys,
      clock,
      limits: defaultRateLimits,
    };
    const variants = [
      'ana@example.org',
      'ANA@example.org',
      'Ana@Example.org',
      'aNa@EXAMPLE.ORG',
      'anA@example.org',
    ];
    const results = [];
    for (let i = 0; i < defaultRateLimits.perAddressPerHour + 1; i += 1)
      results.push(
        await acceptSignup(request(variants[i % variants.length] as string), accepting).then(
          () => 'ok',
          (e: unknown) => (e instanceof RateLimitedError ? 'limited' : 'error'),
        ),
      );
    expect(results.at(-1)).toBe('limited');
    expect(signups.messages).toHaveLength(defaultRateLimits.perAddressPerHour);
  });

  it('are one subscriber: a pending ana@ is not a second sign-up as ANA@', async () => {
    expect(await signUp('ana@example.org', { topics: ['retrieval'] })).toBe('created');
    await signUp('ANA@Example.org', { topics: ['other'] });
    expect(subscribers.items.size).toBe(1);
    expect(record('ana@example.org')).toMatchObject({ email: 'ana@example.org', topics: ['retrieval'] });
    expect(idOf('ANA@EXAMPLE.ORG')).toBe(idOf('ana@example.org'));
  });
});

describe('sign-up → confirm → unsubscribe', () => {
  it('creates one pending subscriber per address and sends a confirmation bound to the sign-up', async () => {
    expect(await signUp('ana@Example.org', { topics: ['retrieval'] })).toBe('created');
    expect(subscribers.items.size).toBe(1);
    expect(record('ana@example.org')).toMatchObject({
      status: 'pending',
      email: 'ana@example.org',
      signupId: 'id-1',
    });
    expect(sender.sent).toHaveLength(1);
    expect(lastToken('confirm')).toMatch(/^v2\.confirm\.[\w-]+\.id-1\./u);
    expect(sender.sent[0]?.text).not.toContain('ana@example.org');
  });

  it('keeps the first request’s preferences while pending, and re-sends the confirmation at most hourly', async () => {
    await signUp('ana@example.org', { topics: ['retrieval'], frequency: 'daily' });
    expect(
      await signUp('ana@example.org', { topics: ['rewritten by someone else'], frequency: 'weekly' }),
    ).toBe('recent');
    expect(record('ana@example.org')).toMatchObject({ topics: ['retrieval'], frequency: 'daily' });
    expect(sender.sent).toHaveLength(1);
    clock.advance(61 * 60_000);
    expect(await signUp('ana@example.org', { topics: ['again'] })).toBe('resent');
    expect(sender.sent).toHaveLength(2);
    expect(record('ana@example.org').topics).toEqual(['retrieval']);
    // Both emails carry a link to the same sign-up.
    expect(lastToken('confirm')).toContain('.id-1.');
  });

  it('sends at most one confirmation for 20 sign-ups of one address within a minute', async () => {
    for (let i = 0; i < 20; i += 1) {
      await signUp('ana@example.org');
      clock.advance(3000);
    }
    expect(sender.sent).toHaveLength(1);
  });

  it('activates with the link, and a second click changes nothing', async () => {
    await signUp('ana@example.org');
    const token = lastToken('confirm');
    expect((await confirm(token, deps)).status).toBe('active');
    expect((await confirm(token, deps)).status).toBe('active');
    expect(record('ana@example.org')).not.toHaveProperty('expiresAt');
  });

  it('never downgrades an active subscriber, changes nothing and sends nothing when they sign up again', async () => {
    await signUp('ana@example.org');
    await confirm(lastToken('confirm'), deps);
    const before = structuredClone(record('ana@example.org'));
    expect(await signUp('ana@example.org', { topics: ['other'] })).toBe('ignored');
    expect(record('ana@example.org')).toEqual(before);
    expect(sender.sent).toHaveLength(1);
  });

  it('keeps bounced and complained addresses suppressed: nothing sent, nothing changed', async () => {
    for (const status of ['bounced', 'complained'] as const) {
      await signUp(`${status}@example.org`);
      subscribers.items.set(idOf(`${status}@example.org`), { ...record(`${status}@example.org`), status });
      const sent = sender.sent.length;
      expect(await signUp(`${status}@example.org`)).toBe('ignored');
      expect(sender.sent).toHaveLength(sent);
      expect(record(`${status}@example.org`).status).toBe(status);
    }
  });

  it('refuses an expired link, and forgets an unconfirmed sign-up after its TTL', async () => {
    await signUp('ana@example.org');
    const token = lastToken('confirm');
    clock.advance(9 * 86_400_000);
    await expect(confirm(token, deps)).rejects.toThrow(InvalidTokenError);
    expect(await signUp('ana@example.org')).toBe('created');
    expect(record('ana@example.org').createdAt).toBe(clock.now().toISOString());
  });

  it('unsubscribes at once and idempotently; coming back takes a new confirmation, and old links die', async () => {
    await signUp('ana@example.org');
    const firstLink = lastToken('confirm');
    await confirm(firstLink, deps);
    await unsubscribe(unsubscribeToken('ana@example.org'), deps);
    await unsubscribe(unsubscribeToken('ana@example.org'), deps);
    expect(record('ana@example.org').status).toBe('unsubscribed');
    expect(await signUp('ana@example.org', { topics: ['speech'] })).toBe('renewed');
    expect(record('ana@example.org')).toMatchObject({
      status: 'pending',
      topics: ['speech'],
      signupId: 'id-2',
    });
    // The first sign-up's link cannot confirm the second.
    await expect(confirm(firstLink, deps)).rejects.toThrow(InvalidTokenError);
    expect((await confirm(lastToken('confirm'), deps)).status).toBe('active');
  });

  it('gives back the claim when the provider refuses the confirmation, so a retry sends it', async () => {
    sender.failNext = 1;
    await expect(signUp('ana@example.org')).rejects.toThrow('Maximum sending rate exceeded.');
    expect(sender.sent).toHaveLength(0);
    expect(await signUp('ana@example.org')).toBe('resent');
    expect(sender.sent).toHaveLength(1);
  });

  it('makes one subscriber of concurrent sign-ups of one address, with one confirmation', async () => {
    await Promise.all(Array.from({ length: 10 }, () => signUp('ana@example.org')));
    expect(subscribers.items.size).toBe(1);
    expect(sender.sent).toHaveLength(1);
  });

  it('says when a confirmation arrives for a sign-up that no longer exists', async () => {
    await signUp('ana@example.org');
    const token = lastToken('confirm');
    subscribers.items.clear();
    await expect(confirm(token, deps)).rejects.toThrow(NotFoundError);
  });
});

describe('preferences and erasure', () => {
  async function active(email: string) {
    await signUp(email);
    await confirm(lastToken('confirm'), deps);
    return deps.links.preferencesToken(idOf(email), record(email).signupId, clock.now());
  }

  it('change only with the reader’s own link, for active readers', async () => {
    const token = await active('ana@example.org');
    const updated = await updatePreferences(token, { topics: ['speech'], pauseWeeks: 1 }, deps);
    expect(updated).toMatchObject({ topics: ['speech'], pausedUntil: '2026-12-04T06:00:00.000Z' });
    const wrongPurpose = unsubscribeToken('ana@example.org');
    await expect(updatePreferences(wrongPurpose, { topics: ['x'] }, deps)).rejects.toThrow(InvalidTokenError);
  });

  it('erases everything but a keyed hash of the address; every link to the reader then fails', async () => {
    const token = await active('ana@example.org');
    const personalData = new MemoryPersonalData(subscribers);
    await erase(token, { ...deps, personalData });
    expect(subscribers.items.get(idOf('ana@example.org'))).toMatchObject({ status: 'erased' });
    expect(JSON.stringify([...subscribers.items])).not.toContain('ana@example.org');
    await expect(updatePreferences(token, { topics: ['x'] }, deps)).rejects.toThrow(NotFoundError);
    await unsubscribe(unsubscribeToken('ana@example.org'), deps); // a no-op, not an error
    expect(subscribers.items.get(idOf('ana@example.org'))).toMatchObject({ status: 'erased' });
    expect(await signUp('ana@example.org')).toBe('renewed');
  });
});

describe('the request schema', () => {
  it('validates with clear messages and folds what a person typed onto one line', () => {
    const result = SubscriptionRequestSchema.safeParse({
      email: 'not-an-email',
      topics: [''],
      digestSize: 99,
    });
    expect(result.success).toBe(false);
    const parsed = request('a@example.org', { topics: 'speech,\r\nrobotics, ,', digestSize: '12' });
    expect(parsed).toMatchObject({ topics: ['speech', 'robotics'], digestSize: 12, frequency: 'daily' });
  });
});
