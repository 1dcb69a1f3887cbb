import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMailbox } from '../../functions/local/mailbox.ts';
import { bootTestStack } from '../support/local-stack.ts';

/**
 * The subscription rules on the local stack, through HTTP as a browser or a bot would use them:
 * the real API, the sign-up queue and worker, DynamoDB and SES emulators.
 */
let stack: Awaited<ReturnType<typeof bootTestStack>>;
beforeAll(async () => {
  // Every request here comes from 127.0.0.1: the per-IP limit is raised so that the other rules
  // can be seen (it has tests of its own).
  stack = await bootTestStack({ rateLimits: { perIpPerMinute: 100_000 } });
});
afterAll(async () => stack?.cleanup());

const subscribe = (email: string) =>
  fetch(new URL('subscriptions', stack.urls.api), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email }),
  });
const mailTo = async (address: string, subject: string) =>
  (await readMailbox(stack.urls.ses)).filter(
    (m) => m.destination.to.includes(address) && m.subject.startsWith(subject),
  );
const confirmLink = async (address: string) => {
  await stack.idle();
  const [mail] = await mailTo(address, 'Confirm');
  return mail?.body.text?.match(/http\S+\/confirm\?token=\S+/u)?.[0] as string;
};
const statusOf = async (address: string) =>
  (await stack.local.operator.subscribers.get(await stack.local.operator.subscriberId(address)))?.status;

describe('subscriptions on the local stack', { timeout: 120_000 }, () => {
  it('sends at most two confirmations for 20 sign-ups of one address in a minute (429 past the limit)', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 20; i += 1) statuses.push((await subscribe('flood@example.org')).status);
    await stack.idle();
    expect(statuses.filter((s) => s === 202)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(15);
    expect((await mailTo('flood@example.org', 'Confirm')).length).toBeLessThanOrEqual(2);
  });

  it('makes exactly 50 subscribers of 200 concurrent sign-ups for 50 addresses, with no error', async () => {
    const addresses = Array.from({ length: 50 }, (_, i) => `load${i}@example.org`);
    const responses = await Promise.all(
      Array.from({ length: 200 }, (_, i) => subscribe(addresses[i % 50] as string)),
    );
    expect(responses.map((r) => r.status).filter((s) => s !== 202)).toEqual([]);
    await stack.idle();
    expect(stack.deadLetters).toEqual([]);
    const states = await Promise.all(addresses.map(statusOf));
    expect(states.filter((s) => s === 'pending')).toHaveLength(50);
    const confirmations = (await readMailbox(stack.urls.ses)).filter((m) => m.subject.startsWith('Confirm'));
    for (const address of addresses) {
      expect(
        confirmations.filter((m) => m.destination.to.includes(address)),
        address,
      ).toHaveLength(1);
    }
  });

  it('changes nothing in the table when a link scanner fetches every link of the emails', async () => {
    await subscribe('scanned@example.org');
    const link = await confirmLink('scanned@example.org');
    const id = await stack.local.operator.subscriberId('scanned@example.org');
    const before = await stack.local.operator.subscribers.get(id);
    // A scanner fetches the confirmation link, and every link of the page it gets.
    const page = await (await fetch(link)).text();
    const links = [
      link,
      ...[...page.matchAll(/(?:href|action)="([^"]+)"/gu)].map((m) =>
        (m[1] as string).replaceAll('&amp;', '&'),
      ),
    ];
    for (const url of links) if (url.startsWith('http')) await fetch(url);
    expect(await stack.local.operator.subscribers.get(id)).toEqual(before);
    expect(before?.status).toBe('pending');

    // Confirmed, with a digest's links: preferences, export, erase, unsubscribe, web view.
    await fetch(link, { method: 'POST' });
    const active = await stack.local.operator.subscribers.get(id);
    const signupId = (active as { signupId: string }).signupId;
    const preferences = await stack.local.operator.links.preferences(id, signupId, new Date());
    const token = new URL(preferences).searchParams.get('token') as string;
    const digestLinks = [
      preferences,
      new URL(`privacy/export?token=${encodeURIComponent(token)}`, stack.urls.api).toString(),
      new URL(`privacy/erase?token=${encodeURIComponent(token)}`, stack.urls.api).toString(),
      await stack.local.operator.links.unsubscribe(id),
      new URL('editions/2026-11-26', stack.urls.api).toString(),
    ];
    for (const url of digestLinks) {
      await fetch(url);
      await fetch(url, { method: 'HEAD' });
    }
    await stack.idle();
    expect(await stack.local.operator.subscribers.get(id)).toEqual(active);
  });

  it('answers a sign-up in the same time whatever the address’s state', async () => {
    // Addresses in each state, made through the real flow.
    const of = (state: string) => Array.from({ length: 30 }, (_, i) => `${state}${i}@example.org`);
    const states = { pending: of('pending'), active: of('active'), unsubscribed: of('left') };
    for (const address of [...states.pending, ...states.active, ...states.unsubscribed])
      await subscribe(address);
    for (const address of [...states.active, ...states.unsubscribed]) {
      await fetch(await confirmLink(address), { method: 'POST' });
    }
    for (const address of states.unsubscribed) {
      const id = await stack.local.operator.subscriberId(address);
      await fetch(await stack.local.operator.links.unsubscribe(id), { method: 'POST' });
    }
    await stack.idle();
    expect(await statusOf(states.unsubscribed[0] as string)).toBe('unsubscribed');
    expect(await statusOf(states.active[0] as string)).toBe('active');

    // Interleaved rounds: each round times one sign-up of an address in each state (and a new
    // one), waiting for the background work to end between requests so it cannot blur them.
    const samples: Record<string, number[]> = { new: [], pending: [], active: [], unsubscribed: [] };
    for (let round = 0; round < 30; round += 1) {
      const order: [string, string][] = [
        ['new', `new${round}@example.org`],
        ['pending', states.pending[round] as string],
        ['active', states.active[round] as string],
        ['unsubscribed', states.unsubscribed[round] as string],
      ];
      for (const [state, address] of round % 2 ? order.reverse() : order) {
        const started = performance.now();
        const response = await subscribe(address);
        samples[state]?.push(performance.now() - started);
        expect(response.status).toBe(202);
        await stack.idle();
      }
    }
    const median = (values: number[]) =>
      [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
    const medians = Object.fromEntries(
      Object.entries(samples).map(([state, values]) => [state, median(values)]),
    );
    const fastest = Math.min(...Object.values(medians));
    const slowest = Math.max(...Object.values(medians));
    // Before the sign-up queue, a known address took about twice as long as a new one. Now every
    // path makes the same calls; what remains is noise, well under the old gap.
    expect(slowest / fastest, JSON.stringify(medians)).toBeLessThan(1.35);
  });
});
