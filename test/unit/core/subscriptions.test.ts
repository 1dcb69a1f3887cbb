import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HtmlDigestRenderer } from '../../../functions/adapters/html-digest-renderer.ts';
import { compileTemplates } from '../../../functions/adapters/mjml-compiler.ts';
import { InvalidTokenError, NotFoundError } from '../../../functions/core/errors.ts';
import { LinkBuilder } from '../../../functions/core/links.ts';
import { SubscriptionRequestSchema } from '../../../functions/core/subscriber.ts';
import {
  confirm,
  type SubscriptionDeps,
  subscribe,
  unsubscribe,
} from '../../../functions/core/subscriptions.ts';
import { subscriberIdFor } from '../../../functions/core/tokens.ts';
import {
  FixedClock,
  MemorySubscribers,
  RecordingSender,
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
  };
});

const request = (email: string, topics: string[] = []) => SubscriptionRequestSchema.parse({ email, topics });
const confirmToken = () => {
  const url = sender.sent.at(-1)?.text.match(/https:\S+confirm\?token=(\S+)/u);
  if (!url?.[1]) throw new Error('no confirmation link was sent');
  return decodeURIComponent(url[1]);
};
const idOf = (email: string) => subscriberIdFor(email, testKeys);

describe('subscribe → confirm → unsubscribe', () => {
  it('creates one pending subscriber per address, whatever its case, and sends a confirmation link', async () => {
    await subscribe(request('Ana@Example.org', ['retrieval']), deps);
    await subscribe(request('ana@example.org'), deps);
    expect(subscribers.items.size).toBe(1);
    expect(subscribers.items.get(idOf('ana@example.org'))).toMatchObject({
      status: 'pending',
      email: 'ana@example.org',
    });
    expect(sender.sent).toHaveLength(2);
    expect(sender.sent[0]?.html).toContain('/confirm?token=');
    expect(sender.sent[0]?.text).not.toContain('ana@example.org');
  });

  it('activates with the link, and a second click changes nothing', async () => {
    await subscribe(request('ana@example.org'), deps);
    const token = confirmToken();
    expect((await confirm(token, deps)).status).toBe('active');
    expect((await confirm(token, deps)).status).toBe('active');
    expect(subscribers.items.get(idOf('ana@example.org'))?.expiresAt).toBeUndefined();
  });

  it('never downgrades an active subscriber and sends them nothing when they subscribe again', async () => {
    await subscribe(request('ana@example.org'), deps);
    await confirm(confirmToken(), deps);
    const before = structuredClone(subscribers.items.get(idOf('ana@example.org')));
    await subscribe(request('ana@example.org', ['other']), deps);
    expect(subscribers.items.get(idOf('ana@example.org'))).toEqual(before);
    expect(sender.sent).toHaveLength(1);
  });

  it('refuses an expired confirmation link, and forgets an unconfirmed sign-up after its TTL', async () => {
    await subscribe(request('ana@example.org'), deps);
    const token = confirmToken();
    clock.advance(9 * 86_400_000);
    await expect(confirm(token, deps)).rejects.toThrow(InvalidTokenError);
    // The pending item has expired: the address can sign up again from scratch.
    await subscribe(request('ana@example.org'), deps);
    expect(subscribers.items.get(idOf('ana@example.org'))?.createdAt).toBe(clock.now().toISOString());
  });

  it('unsubscribes at once, idempotently, and lets the person come back through double opt-in', async () => {
    await subscribe(request('ana@example.org'), deps);
    await confirm(confirmToken(), deps);
    const unsubscribeToken =
      new URL(await deps.links.unsubscribe(idOf('ana@example.org'))).searchParams.get('token') ?? '';
    await unsubscribe(unsubscribeToken, deps);
    await unsubscribe(unsubscribeToken, deps);
    expect(subscribers.items.get(idOf('ana@example.org'))?.status).toBe('unsubscribed');
    await subscribe(request('ana@example.org'), deps);
    expect(subscribers.items.get(idOf('ana@example.org'))?.status).toBe('pending');
  });

  it('says when a confirmation arrives for a sign-up that no longer exists', async () => {
    await subscribe(request('ana@example.org'), deps);
    const token = confirmToken();
    subscribers.items.clear();
    await expect(confirm(token, deps)).rejects.toThrow(NotFoundError);
  });

  it('validates the request with clear messages', () => {
    const result = SubscriptionRequestSchema.safeParse({ email: 'not-an-email', topics: [''] });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      'email: email must be a valid email address',
      'topics.0: a topic cannot be empty',
    ]);
  });
});
