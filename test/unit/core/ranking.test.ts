import { describe, expect, it } from 'vitest';
import type { SendJob } from '../../../functions/core/ports.ts';
import { rankEdition, windowDays } from '../../../functions/core/rank-edition.ts';
import { defaultTrendingConfig, rankTrending } from '../../../functions/core/ranking.ts';
import { FixedClock, MemoryEditions, MemorySubscribers } from '../../support/memory-ports.ts';
import { NOW, paper } from '../../support/papers.ts';

const now = NOW;

describe('rankTrending', () => {
  it('computes the documented score parts', () => {
    const [ranked] = rankTrending([paper('1', 36, { upvotes: 9, comments: 3, stars: 99 })], now);
    expect(ranked?.parts.upvotes).toBeCloseTo(Math.log(10));
    expect(ranked?.parts.comments).toBeCloseTo(0.5 * Math.log(4));
    expect(ranked?.parts.stars).toBeCloseTo(0.3 * Math.log(100));
    // One half-life old: the recency factor is one half.
    expect(ranked?.parts.recency).toBeCloseTo(0.5);
    expect(ranked?.score).toBeCloseTo((0.5 + Math.log(10) + 0.5 * Math.log(4) + 0.3 * Math.log(100)) * 0.5);
  });

  it('ranks by signals, and lets a fresh paper overtake an old favourite', () => {
    const order = rankTrending(
      [paper('old-favourite', 96, { upvotes: 50 }), paper('fresh', 2, { upvotes: 10 }), paper('quiet', 2)],
      now,
    ).map((r) => r.paper.id);
    expect(order).toEqual(['fresh', 'old-favourite', 'quiet']);
  });

  it('ranks papers without signals by recency, then by source order', () => {
    const order = rankTrending([paper('a', 10), paper('b', 5), paper('c', 10)], now).map((r) => r.paper.id);
    expect(order).toEqual(['b', 'a', 'c']);
  });

  it('explains each pick', () => {
    const [ranked] = rankTrending(
      [paper('1', 1, { upvotes: 42, stars: 310, comments: 1 })],
      now,
      defaultTrendingConfig,
    );
    expect(ranked?.reasons).toEqual(['▲ 42 upvotes', '★ 310 GitHub stars', '1 comment']);
  });
});

describe('rankEdition', () => {
  const setup = () => {
    const clock = new FixedClock(now);
    const subscribers = new MemorySubscribers(clock);
    const editions = new MemoryEditions();
    const jobs: SendJob[] = [];
    const papers = [paper('1', 5, { upvotes: 3 }), paper('2', 30, { upvotes: 30 }), paper('old', 24 * 20)];
    const deps = {
      papers: {
        store: async () => ({ new: 0, updated: 0, unchanged: 0, merged: 0, linked: 0 }),
        listPublishedOn: async (days: readonly string[]) =>
          papers.filter((p) => days.includes(p.publishedAt.slice(0, 10))),
      },
      editions,
      subscribers,
      queue: { enqueue: async (more: readonly SendJob[]) => void jobs.push(...more) },
      clock,
      config: { trending: defaultTrendingConfig, windowDays: 7, editionSize: 30, jobSize: 2 },
    };
    return { deps, subscribers, editions, jobs };
  };

  it('ranks the window, stores the edition and pages subscribers into send jobs', async () => {
    const { deps, subscribers, editions, jobs } = setup();
    for (const id of ['a', 'b', 'c']) {
      await subscribers.create({
        id,
        email: `${id}@x.org`,
        status: 'active',
        topics: [],
        frequency: 'daily',
        digestSize: 10,
        createdAt: now.toISOString(),
        updatedAt: now.toISOString(),
      });
    }
    const result = await rankEdition({ date: '2026-11-26' }, deps);
    expect(result).toEqual({
      date: '2026-11-26',
      created: true,
      candidates: 2,
      entries: 2,
      subscribers: 3,
      jobs: 2,
    });
    expect(editions.items.get('2026-11-26')?.entries.map((e) => e.paper.id)).toEqual(['2', '1']);
    expect(jobs).toEqual([
      { editionDate: '2026-11-26', subscriberIds: ['a', 'b'] },
      { editionDate: '2026-11-26', subscriberIds: ['c'] },
    ]);
  });

  it('keeps an existing edition as it was', async () => {
    const { deps, editions } = setup();
    await editions.create({ date: '2026-11-26', createdAt: 'earlier', entries: [] });
    const result = await rankEdition({ date: '2026-11-26' }, deps);
    expect(result.created).toBe(false);
    expect(editions.items.get('2026-11-26')?.createdAt).toBe('earlier');
  });

  it('builds the window of days ending on the edition day', () => {
    expect(windowDays('2026-03-01', 3)).toEqual(['2026-03-01', '2026-02-28', '2026-02-27']);
  });
});
