import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import sesModule from 'aws-ses-v2-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SesEmailSender, sesMaxSendRate } from '../../../functions/adapters/ses-email-sender.ts';
import { DELIVERY_HEADER, DELIVERY_TAGS } from '../../../functions/core/delivery-tags.ts';
import { ThrottledError } from '../../../functions/core/errors.ts';
import { type SesEvent, SesEventSchema } from '../../../functions/core/feedback.ts';
import { setAwsEnvironment } from '../../../functions/local/local-runtime.ts';
import { LocalSesEvents } from '../../../functions/local/ses-events.ts';
import { createSesThrottle } from '../../../functions/local/ses-throttle.ts';

const sesServer: typeof sesModule =
  typeof sesModule === 'function'
    ? sesModule
    : (sesModule as unknown as { default: typeof sesModule }).default;

let emulator: Server;
let throttle: Server;
let url: string;
let rate = 1000;

beforeAll(async () => {
  emulator = await sesServer({ host: '127.0.0.1', port: 0 });
  const upstream = { host: '127.0.0.1', port: (emulator.address() as AddressInfo).port };
  throttle = createSesThrottle(upstream, () => rate);
  await new Promise<void>((resolve) => throttle.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(throttle.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => throttle.close(resolve));
  await new Promise((resolve) => emulator.close(resolve));
});

/** The SES client as the functions make it, but with no retries: each throttle is seen. */
function sender(maxAttempts = 1): SesEmailSender {
  const client = new SESv2Client({
    endpoint: url,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts,
  });
  return new SesEmailSender(client, 'papers@example.org');
}

function email(to: string, subscriberId = 'sub-1') {
  return {
    to,
    subject: 'Trending papers',
    html: '<p>hi</p>',
    text: 'hi',
    headers: { [DELIVERY_HEADER]: `${subscriberId}/2026-11-26` },
    tags: { [DELIVERY_TAGS.subscriber]: subscriberId, [DELIVERY_TAGS.edition]: '2026-11-26' },
  };
}

describe('the local SES rate limit', () => {
  it('lets through one second of sends at once, answers the rest 429 as SES does', async () => {
    rate = 5;
    await new Promise((resolve) => setTimeout(resolve, 1100)); // a full bucket
    const outcomes = await Promise.allSettled(
      Array.from({ length: 15 }, (_, i) => sender().send(email(`r${i}@example.org`))),
    );
    const accepted = outcomes.filter((o) => o.status === 'fulfilled');
    const throttled = outcomes.filter((o) => o.status === 'rejected' && o.reason instanceof ThrottledError);
    expect(accepted.length).toBeGreaterThanOrEqual(5);
    expect(accepted.length).toBeLessThanOrEqual(6);
    expect(accepted.length + throttled.length).toBe(15);
    rate = 1000;
  });

  it('never throttles reads of the mailbox, however fast', async () => {
    rate = 5;
    await new Promise((resolve) => setTimeout(resolve, 1100));
    for (let i = 0; i < 20; i += 1) expect((await fetch(`${url}/store`)).status).toBe(200);
    rate = 1000;
  });

  it('is what the SDK retries: with retries, every send eventually goes through', async () => {
    rate = 4;
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => sender(8).send(email(`s${i}@example.org`))),
    );
    expect(results.every((r) => r.messageId.length > 0)).toBe(true);
    rate = 1000;
  });
});

describe("the local SES account (GetAccount, which the send function's pace reads)", () => {
  it('answers with the configured sending rate, in the full shape the emulator checks', async () => {
    setAwsEnvironment({ api: url, dynamodb: url, s3: url, ses: url, mailbox: url }, 42);
    const client = new SESv2Client({
      endpoint: url,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    expect(await sesMaxSendRate(client)).toBe(42);
  });
});

describe('LocalSesEvents', () => {
  it('publishes Send then Delivery for each new message, once, with its delivery tags', async () => {
    const events: SesEvent[] = [];
    const pump = new LocalSesEvents(url, (event) => events.push(event));
    await pump.pump(); // what earlier tests sent
    events.length = 0;
    const { messageId } = await sender().send(email('reader@example.org', 'sub-42'));
    expect(await pump.pump()).toBe(2);
    expect(await pump.pump()).toBe(0);
    expect(events.map((e) => e.detail.eventType)).toEqual(['Send', 'Delivery']);
    for (const event of events) {
      expect(SesEventSchema.parse(event).detail.mail.messageId).toBe(messageId);
      expect(event.detail.mail.tags?.[DELIVERY_TAGS.subscriber]).toEqual(['sub-42']);
      expect(event.detail.mail.tags?.[DELIVERY_TAGS.edition]).toEqual(['2026-11-26']);
    }
  });

  it('publishes both of two messages the emulator gave the same random id (its ids collide among thousands)', async () => {
    const events: SesEvent[] = [];
    const pump = new LocalSesEvents(url, (event) => events.push(event));
    await pump.pump();
    events.length = 0;
    const random = Math.random;
    Math.random = () => 0.5; // the emulator draws its message ids with Math.random, in this process
    try {
      const first = await sender().send(email('one@example.org', 'sub-1'));
      const second = await sender().send(email('two@example.org', 'sub-2'));
      expect(second.messageId).toBe(first.messageId);
    } finally {
      Math.random = random;
    }
    await pump.pump();
    const sends = events.filter((e) => e.detail.eventType === 'Send');
    expect(sends.map((e) => e.detail.mail.tags?.[DELIVERY_TAGS.subscriber]?.[0]).sort()).toEqual([
      'sub-1',
      'sub-2',
    ]);
  });

  it("answers SES's mailbox simulator addresses with a bounce and a complaint", async () => {
    const events: SesEvent[] = [];
    const pump = new LocalSesEvents(url, (event) => events.push(event));
    await pump.pump();
    events.length = 0;
    await sender().send(email('bounce@simulator.amazonses.com', 'sub-b'));
    await sender().send(email('complaint@simulator.amazonses.com', 'sub-c'));
    await pump.pump();
    const outcome = (id: string) =>
      events
        .filter((e) => e.detail.mail.tags?.[DELIVERY_TAGS.subscriber]?.[0] === id)
        .map((e) => e.detail.eventType);
    expect(outcome('sub-b')).toEqual(['Send', 'Bounce']);
    expect(outcome('sub-c')).toEqual(['Send', 'Complaint']);
    const bounce = events.find((e) => e.detail.eventType === 'Bounce');
    expect(bounce?.detail.bounce?.bounceType).toBe('Permanent');
  });

  it('shares one pump between overlapping calls, so no message is published twice', async () => {
    const events: SesEvent[] = [];
    const pump = new LocalSesEvents(url, (event) => events.push(event));
    await pump.pump();
    events.length = 0;
    await Promise.all(
      Array.from({ length: 5 }, (_, i) => sender().send(email(`p${i}@example.org`, `sub-p${i}`))),
    );
    const counts = await Promise.all([pump.pump(), pump.pump(), pump.pump()]);
    expect(counts).toEqual([10, 10, 10]); // one pump, three callers
    expect(events).toHaveLength(10);
  });
});
