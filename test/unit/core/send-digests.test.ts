import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HtmlDigestRenderer } from '../../../functions/adapters/html-digest-renderer.ts';
import { compileTemplates } from '../../../functions/adapters/mjml-compiler.ts';
import { renderDigestText } from '../../../functions/core/digest.ts';
import { LinkBuilder } from '../../../functions/core/links.ts';
import { rankTrending } from '../../../functions/core/ranking.ts';
import { defaultSchedulePolicy } from '../../../functions/core/schedule-policy.ts';
import { createSelectorCache } from '../../../functions/core/selection.ts';
import { type SendDigestsDeps, sendDigests } from '../../../functions/core/send-digests.ts';
import { type Subscriber, SubscriptionRequestSchema } from '../../../functions/core/subscriber.ts';
import {
  activeSubscriber,
  FixedClock,
  MemoryEditions,
  MemoryLedger,
  MemorySentPapers,
  MemorySubscribers,
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

let deps: SendDigestsDeps & { sender: RecordingSender; ledger: MemoryLedger; sent: MemorySentPapers };
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
  deps = {
    editions,
    subscribers,
    ledger: new MemoryLedger(),
    sent: new MemorySentPapers(),
    selectorFor: createSelectorCache(),
    policy: defaultSchedulePolicy,
    sender: new RecordingSender(),
    renderer,
    links: new LinkBuilder('https://papers.example.org', testTokenKeys),
    clock,
    listId: 'daily.papers.example.org',
  };
});

const job = { editionDate: '2026-11-26', subscriberIds: ['a', 'b', 'gone', 'unknown'] };

describe('sendDigests', () => {
  it('sends each active subscriber their digest size, with both unsubscribe headers', async () => {
    const result = await sendDigests(job, deps);
    expect(result).toEqual({ sent: 2, skipped: 2, nothingNew: 0, failed: [] });
    const [first] = deps.sender.sent;
    expect(first?.to).toBe('a@example.org');
    expect(first?.headers['List-Unsubscribe']).toMatch(
      /^<https:\/\/papers\.example\.org\/unsubscribe\?token=.+>$/u,
    );
    expect(first?.headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    expect(first?.headers['List-Id']).toContain('daily.papers.example.org');
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
    expect([...(deps.sent.items.get('a') ?? [])].sort()).toEqual(['1', '2']);
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
    await deps.sent.record('a', ['1', '2']);
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
      subject: 'Trending papers',
      preheader: '',
      webViewUrl: 'https://papers.example.org/editions/2026-11-26',
      footerLinks: [{ text: 'Unsubscribe', url: 'https://papers.example.org/unsubscribe?token=t' }],
      papers: [
        {
          title: 'A\r\nUnsubscribe: https://evil.example/',
          url: 'https://arxiv.org/abs/1',
          authors: 'B\nC',
          summary: 'S',
          reasons: [`matches ${'speech\nUnsubscribe: https://evil.example/'}`],
        },
      ],
    });
    expect(text.split('\n').filter((line) => line.startsWith('Unsubscribe:'))).toEqual([
      'Unsubscribe: https://papers.example.org/unsubscribe?token=t',
    ]);
  });

  it('fails loudly for an edition that does not exist', async () => {
    await expect(sendDigests({ editionDate: '2026-01-01', subscriberIds: ['a'] }, deps)).rejects.toThrow(
      /does not exist/u,
    );
  });
});
