import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HtmlDigestRenderer } from '../../../functions/adapters/html-digest-renderer.ts';
import { compileTemplates } from '../../../functions/adapters/mjml-compiler.ts';
import { renderDigestText } from '../../../functions/core/digest.ts';
import {
  RecipientRejectedError,
  SendingStoppedError,
  ThrottledError,
} from '../../../functions/core/errors.ts';
import { LinkBuilder } from '../../../functions/core/links.ts';
import type { OutgoingEmail } from '../../../functions/core/ports.ts';
import { rankTrending } from '../../../functions/core/ranking.ts';
import { defaultSchedulePolicy } from '../../../functions/core/schedule-policy.ts';
import { createSelectorCache } from '../../../functions/core/selection.ts';
import { type SendDigestsDeps, sendDigests } from '../../../functions/core/send-digests.ts';
import { type Subscriber, SubscriptionRequestSchema } from '../../../functions/core/subscriber.ts';
import {
  activeSubscriber,
  FixedClock,
  MemoryEditionStats,
  MemoryEditions,
  MemoryLedger,
  MemoryReaders,
  MemorySubscribers,
  NoPace,
  RecordingSender,
  testTokenKeys,
} from '../../support/memory-ports.ts';
import { paper } from '../../support/papers.ts';

let renderer: HtmlDigestRenderer;
beforeAll(async () => {
  renderer = new HtmlDigestRenderer(await compileTemplates());
});

const now = new Date('2026-11-26T12:00:00Z');
const subscriber = (id: string, overrides: Partial<Subscriber> = {}): Subscriber =>
  activeSubscriber(id, { digestSize: 2, ...overrides });

let deps: SendDigestsDeps & { sender: RecordingSender; ledger: MemoryLedger; readers: MemoryReaders };
beforeEach(async () => {
  const clock = new FixedClock(now);
  const subscribers = new MemorySubscribers(clock);
  const editions = new MemoryEditions();
  await editions.create({
    date: '2026-11-26',
    createdAt: now.toISOString(),
    mode: 'daily',
    freshSince: '2026-11-25T00:00:00.000Z',
    entries: rankTrending([paper('1', 1, { upvotes: 5 }), paper('2', 2), paper('3', 3)], now),
  });
  await subscribers.create(subscriber('a'));
  await subscribers.create(subscriber('b'));
  await subscribers.create(subscriber('gone', { status: 'unsubscribed' }));
  const ledger = new MemoryLedger(clock);
  deps = {
    editions,
    subscribers,
    ledger,
    readers: new MemoryReaders(subscribers, ledger),
    selectorFor: createSelectorCache(),
    policy: defaultSchedulePolicy,
    sender: new RecordingSender(),
    renderer,
    links: new LinkBuilder('https://papers.example.org', testTokenKeys),
    clock,
    pace: new NoPace(),
    stats: new MemoryEditionStats(),
    postalAddress: 'Paperboy, 1 Example Street, 00000 Exampletown',
    listId: 'daily.papers.example.org',
  };
});

const job = { editionDate: '2026-11-26', subscriberIds: ['a', 'b', 'gone', 'unknown'] };

describe('sendDigests', () => {
  it('sends each active subscriber their digest size, with both unsubscribe headers', async () => {
    const result = await sendDigests(job, deps);
    expect(result).toEqual({
      sent: 2,
      skipped: 2,
      sending: 0,
      nothingNew: 0,
      rejected: 0,
      feedOnly: 0,
      failed: [],
      unstarted: [],
    });
    const [first] = deps.sender.sent;
    expect(first?.to).toBe('a@example.org');
    expect(first?.headers['List-Unsubscribe']).toMatch(
      /^<https:\/\/papers\.example\.org\/unsubscribe\?token=.+>$/u,
    );
    expect(first?.headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    expect(first?.headers['List-Id']).toContain('daily.papers.example.org');
    // Tagged with its delivery, so that SES's events about it find the ledger item.
    expect(first?.tags).toEqual({ 'paperboy-subscriber': 'a', 'paperboy-edition': '2026-11-26' });
    expect(first?.headers['X-Paperboy-Delivery']).toBe('a/2026-11-26');
    // Paced: one wait per send. Nothing failed, so the worker adds no counts (SES's send events count the sent).
    expect((deps.pace as NoPace).taken).toBe(2);
    expect((deps.stats as MemoryEditionStats).counts.get('2026-11-26')).toBeUndefined();
    expect((await deps.ledger.get('a', '2026-11-26'))?.paperIds).toEqual(['1', '2']);
    expect(first?.text).toContain('1. Paper 1');
    expect(first?.text).not.toContain('Paper 3');
    expect(first?.html).toContain('Paper 2');
  });

  it('sends nobody twice when the same job runs again', async () => {
    await sendDigests(job, deps);
    const again = await sendDigests(job, deps);
    expect(again).toMatchObject({ sent: 0, failed: [] });
    expect(deps.sender.sent).toHaveLength(2);
  });

  it('never sends a paper twice: the next edition brings only what each reader has not had', async () => {
    await sendDigests(job, deps);
    expect([...(await deps.readers.load('a', '2026-11-27')).received].sort()).toEqual(['1', '2']);
    const first = await deps.editions.get('2026-11-26');
    if (!first) throw new Error('the first edition is missing');
    await deps.editions.create({
      ...first,
      date: '2026-11-27',
      createdAt: 'next',
    });
    await sendDigests({ ...job, editionDate: '2026-11-27' }, deps);
    const second = deps.sender.sent.filter((m) => m.to === 'a@example.org')[1];
    expect(second?.text).toContain('Paper 3');
    expect(second?.text).not.toContain('Paper 1');
  });

  it('follows the quiet-day policy when nothing is new: skip, or the best of the week', async () => {
    // A day whose fresh papers the reader already has; one older paper of the week remains.
    await deps.editions.create({
      date: '2026-11-27',
      createdAt: now.toISOString(),
      mode: 'daily',
      freshSince: '2026-11-26T00:00:00.000Z',
      entries: rankTrending([paper('1', 1), paper('2', 2), paper('old', 100, { upvotes: 9 })], now),
    });
    await deps.readers.receivedBefore('a', '2026-11-26', ['1', '2']);
    const day = { editionDate: '2026-11-27', subscriberIds: ['a'] };
    const skip = await sendDigests(day, {
      ...deps,
      policy: { ...defaultSchedulePolicy, whenNothingNew: 'skip' },
    });
    expect(skip).toMatchObject({ sent: 0, nothingNew: 1 });
    expect(deps.sender.sent).toHaveLength(0);

    const best = await sendDigests(day, {
      ...deps,
      policy: { ...defaultSchedulePolicy, whenNothingNew: 'best-of-week' },
    });
    expect(best).toMatchObject({ sent: 1, nothingNew: 0 });
    expect(deps.sender.sent[0]?.text).toContain('Paper old');
    expect(deps.sender.sent[0]?.text).not.toContain('Paper 1');
  });

  it('sends weekly readers only on their day', async () => {
    await deps.subscribers.create(subscriber('weekly', { frequency: 'weekly' }));
    const thursday = await sendDigests({ editionDate: '2026-11-26', subscriberIds: ['weekly'] }, deps);
    expect(thursday).toMatchObject({ sent: 0, skipped: 1 });
    const onThursday = await sendDigests(
      { editionDate: '2026-11-26', subscriberIds: ['weekly'] },
      { ...deps, policy: { ...defaultSchedulePolicy, weeklyDay: 'thu' } },
    );
    expect(onThursday).toMatchObject({ sent: 1 });
  });

  it('releases the claim when the provider refuses, so the retry sends it', async () => {
    deps.sender.failNext = 1;
    const first = await sendDigests(job, deps);
    expect(first.sent).toBe(1);
    expect(first.failed).toEqual([{ subscriberId: 'a', error: 'Maximum sending rate exceeded.' }]);
    const retry = await sendDigests(job, deps);
    expect(retry.sent).toBe(1);
    expect(deps.sender.sent.map((m) => m.to).sort()).toEqual(['a@example.org', 'b@example.org']);
  });

  it('keeps a topic typed with line breaks on one line, and every value of the text part too', () => {
    const { topics } = SubscriptionRequestSchema.parse({
      email: 'x@example.org',
      topics: ['speech\r\nUnsubscribe: https://evil.example/\u001b[8m'],
    });
    expect(topics).toEqual(['speech Unsubscribe: https://evil.example/[8m']);
    // Even a value that reached the view with a line break cannot start a line of its own.
    const text = renderDigestText({
      editionDate: '2026-11-26',
      dateLabel: 'Thursday, 26 November 2026',
      subject: 'Trending papers',
      preheader: '',
      heading: 'Trending papers',
      summary: '1 new paper\nUnsubscribe: https://evil.example/',
      webViewUrl: 'https://papers.example.org/editions/2026-11-26',
      footerLinks: [{ text: 'Unsubscribe', url: 'https://papers.example.org/unsubscribe?token=t' }],
      footerNote: '',
      postalAddress: 'Paperboy\nUnsubscribe: https://evil.example/',
      papers: [
        {
          rank: 1,
          title: 'A\r\nUnsubscribe: https://evil.example/',
          url: 'https://arxiv.org/abs/1',
          authors: 'B\nC',
          tldr: 'S\nUnsubscribe: https://evil.example/',
          keywords: ['k\nUnsubscribe: https://evil.example/'],
          links: [
            { text: 'PDF\nUnsubscribe', url: 'https://arxiv.org/pdf/1\nUnsubscribe: https://evil.example/' },
          ],
          reasons: [`matches ${'speech\nUnsubscribe: https://evil.example/'}`],
        },
      ],
    });
    expect(text.split('\n').filter((line) => line.startsWith('Unsubscribe:'))).toEqual([
      'Unsubscribe: https://papers.example.org/unsubscribe?token=t',
    ]);
  });

  it('gives the claim back on throttling; counts it; the retry sends it', async () => {
    const sender = deps.sender;
    let throttle = 1;
    deps.sender = Object.assign(Object.create(sender), {
      send: async (email: OutgoingEmail) => {
        if (throttle-- > 0) throw new ThrottledError('Maximum sending rate exceeded.');
        return sender.send(email);
      },
    });
    const first = await sendDigests(job, deps);
    expect(first).toMatchObject({ sent: 1, failed: [{ subscriberId: 'a' }] });
    expect((await deps.ledger.get('a', '2026-11-26'))?.status).toBe('released');
    // Sent is counted from SES's send events (the feedback loop); the worker counts what failed.
    expect((deps.stats as MemoryEditionStats).counts.get('2026-11-26')).toEqual({ throttled: 1 });
    expect((await sendDigests(job, deps)).sent).toBe(1);
  });

  it('stops the job when SES stops all sending, trying nobody after', async () => {
    deps.sender = {
      send: async () =>
        Promise.reject(new SendingStoppedError('SES stopped sending (SendingPausedException)')),
    } as never;
    const result = await sendDigests(job, deps);
    expect(result.stopped).toContain('SendingPausedException');
    expect(result.sent).toBe(0);
    expect((await deps.ledger.get('a', '2026-11-26'))?.status).toBe('released');
    // b was never tried: no claim.
    expect(await deps.ledger.get('b', '2026-11-26')).toBeUndefined();
  });

  it('works a few readers at once, each still exactly once; a stop of all sending stops them all', async () => {
    for (let i = 0; i < 20; i += 1) await deps.subscribers.create(subscriber(`c${i}`));
    const ids = Array.from({ length: 20 }, (_, i) => `c${i}`);
    let inFlight = 0;
    let most = 0;
    const recording = deps.sender;
    deps.sender = {
      send: async (email: OutgoingEmail) => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inFlight -= 1;
        return recording.send(email);
      },
    } as never;
    const result = await sendDigests(
      { editionDate: '2026-11-26', subscriberIds: [...ids, ...ids] },
      {
        ...deps,
        concurrency: 4,
      },
    );
    expect(most).toBe(4);
    // Each second mention is skipped: already sent, or still being sent by another lane.
    expect(result).toMatchObject({ sent: 20, failed: [] });
    expect(result.skipped + result.sending).toBe(20);
    // Each reader once, though the job named each twice.
    expect(new Set(recording.sent.map((m) => m.to)).size).toBe(20);
    expect(recording.sent).toHaveLength(20);

    // SES pauses the account after two more sends: nobody is sent after, their claims are given back.
    for (let i = 0; i < 20; i += 1) await deps.subscribers.create(subscriber(`d${i}`));
    let accepted = 0;
    deps.sender = {
      send: async (email: OutgoingEmail) => {
        await new Promise((resolve) => setTimeout(resolve, 2));
        if (accepted >= 2) throw new SendingStoppedError('SES stopped sending (SendingPausedException)');
        accepted += 1;
        return recording.send(email);
      },
    } as never;
    const d = Array.from({ length: 20 }, (_, i) => `d${i}`);
    const stopped = await sendDigests(
      { editionDate: '2026-11-26', subscriberIds: d },
      { ...deps, concurrency: 4 },
    );
    expect(stopped.stopped).toContain('SendingPausedException');
    expect(stopped.sent).toBe(2);
    const states = await Promise.all(d.map(async (id) => (await deps.ledger.get(id, '2026-11-26'))?.status));
    expect(states.filter((s) => s === 'sent')).toHaveLength(2);
    expect(states.filter((s) => s === 'sending')).toHaveLength(0);
    // The rest were given back or never claimed: a retry of the job sends them.
    deps.sender = recording;
    expect(
      (await sendDigests({ editionDate: '2026-11-26', subscriberIds: d }, { ...deps, concurrency: 4 })).sent,
    ).toBe(18);
  });

  it('marks a recipient SES refuses for good as bounced, and never tries it again', async () => {
    const sender = deps.sender;
    deps.sender = {
      send: async (email: OutgoingEmail) =>
        email.to === 'a@example.org'
          ? Promise.reject(new RecipientRejectedError('SES refused the address'))
          : sender.send(email),
    } as never;
    const result = await sendDigests(job, deps);
    expect(result).toMatchObject({ sent: 1, rejected: 1, failed: [] });
    expect((await deps.subscribers.get('a'))?.status).toBe('bounced');
    expect((await deps.ledger.get('a', '2026-11-26'))?.status).toBe('rejected');
    expect((await sendDigests(job, deps)).sent).toBe(0);
  });

  it('skips a paused reader, and claims or sends nothing on a dry run', async () => {
    await deps.subscribers.replace(
      { ...activeSubscriber('a', { digestSize: 2 }), pausedUntil: '2026-12-01T00:00:00Z', version: 2 },
      1,
    );
    const dry = await sendDigests(job, deps, { dryRun: true });
    expect(dry).toMatchObject({ sent: 1, skipped: 3 });
    expect(deps.sender.sent).toHaveLength(0);
    expect(await deps.ledger.get('b', '2026-11-26')).toBeUndefined();
    expect((await sendDigests(job, deps)).sent).toBe(1);
    expect((await sendDigests(job, deps, { dryRun: true })).sent).toBe(0);
  });

  it('fails loudly for an edition that does not exist', async () => {
    await expect(sendDigests({ editionDate: '2026-01-01', subscriberIds: ['a'] }, deps)).rejects.toThrow(
      /does not exist/u,
    );
  });
});
