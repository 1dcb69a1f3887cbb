import { describe, expect, it } from 'vitest';
import type { SendJob } from '../../../functions/core/ports.ts';
import { rankEdition, windowDays } from '../../../functions/core/rank-edition.ts';
import {
  defaultTrendingConfig,
  type RankedPaper,
  rankTrending,
  signalScore,
} from '../../../functions/core/ranking.ts';
import {
  defaultSchedulePolicy,
  parseDayPolicies,
  weekdayOf,
} from '../../../functions/core/schedule-policy.ts';
import {
  activeSubscriber,
  FixedClock,
  MemoryEditions,
  MemorySubscribers,
} from '../../support/memory-ports.ts';
import { NOW, paper } from '../../support/papers.ts';

const hours = (h: number) => new Date(NOW.getTime() - h * 3_600_000).toISOString();

describe('trending score parts, on hand-made signals with known answers', () => {
  it('velocity comes from the two snapshots at least 6 hours apart', () => {
    const p = paper('1', 48, { upvotes: 90, observedAt: hours(0) });
    const history = new Map([
      [
        '1',
        [
          { observedAt: hours(24), upvotes: 30 },
          { observedAt: hours(2), upvotes: 88 },
        ],
      ],
    ]);
    const [ranked] = rankTrending([p], NOW, history);
    // 90 now vs 30 a day earlier (the 2-hours-old snapshot is too close): +60 per day.
    expect(ranked?.parts.upvotesPerDay).toBeCloseTo(60);
    expect(ranked?.parts.upvotes).toBeCloseTo(Math.log(61));
    expect(ranked?.reasons[0]).toBe('+60 upvotes/day (▲ 90)');
  });

  it('with one observation, velocity is the count averaged since publication', () => {
    const [ranked] = rankTrending([paper('1', 96, { upvotes: 40, stars: 200 })], NOW);
    expect(ranked?.parts.upvotesPerDay).toBeCloseTo(10);
    expect(ranked?.parts.starsPerDay).toBeCloseTo(50);
    expect(ranked?.parts.stars).toBeCloseTo(0.5 * Math.log(51));
    // Not measured between two snapshots, so the reason claims no rate.
    expect(ranked?.reasons).toEqual(['▲ 40 upvotes', '★ 200']);
  });

  it('decays by half per half-life, and damps comments', () => {
    const [ranked] = rankTrending([paper('1', 48, { comments: 9 })], NOW);
    expect(ranked?.parts.recency).toBeCloseTo(0.5);
    expect(ranked?.parts.comments).toBeCloseTo(0.3 * Math.log(10));
    expect(ranked?.score).toBeCloseTo((0.5 + 0.3 + 0.3 * Math.log(10)) * 0.5); // base + curation (hf-daily) + comments
  });

  it('ranks a fast riser over a slow giant, and a fresh paper over last week’s favourite', () => {
    const riser = paper('riser', 24, { upvotes: 50 });
    const giant = paper('giant', 24 * 6, { upvotes: 300 });
    const order = rankTrending([giant, riser], NOW).map((r) => r.paper.id);
    expect(order).toEqual(['riser', 'giant']);
  });

  it('ranks papers without signals by recency, then by their listing order (curation)', () => {
    const listed = (id: string, rank: number, age: number) => ({
      ...paper(id, age),
      source: 'page-dump' as const,
      sourceRank: rank,
    });
    const order = rankTrending(
      [listed('third', 2, 5), listed('first', 0, 5), listed('second', 1, 5), listed('old', 3, 200)],
      NOW,
    ).map((r) => r.paper.id);
    expect(order).toEqual(['first', 'second', 'third', 'old']);
  });

  it('counts only measured signals as a signal score: a listing position alone makes none', () => {
    const listed = rankTrending(
      [0, 1, 2].map((rank) => ({ ...paper(`p${rank}`, 5), source: 'page-dump' as const, sourceRank: rank })),
      NOW,
    );
    // The page's order still orders the trending list (first above third)…
    expect(listed.map((r) => r.paper.id)).toEqual(['p0', 'p1', 'p2']);
    expect((listed[0] as (typeof listed)[number]).score).toBeGreaterThan(
      (listed[2] as (typeof listed)[number]).score,
    );
    // …but it is no signal: nothing was measured.
    expect(listed.map(signalScore)).toEqual([0, 0, 0]);
    const [voted, picked, bare] = rankTrending(
      [
        paper('voted', 5, { upvotes: 30 }),
        paper('picked', 5),
        { ...paper('bare', 5), source: 'arxiv-rss' as const },
      ],
      NOW,
    );
    expect(signalScore(voted as RankedPaper)).toBeGreaterThan(signalScore(picked as RankedPaper));
    // Being on a curated daily list (not a position in it) is a signal; an arXiv listing has none.
    expect(signalScore(picked as RankedPaper)).toBeGreaterThan(0);
    expect(signalScore(bare as RankedPaper)).toBe(0);
  });

  it('uses the configured half-life', () => {
    const [slow] = rankTrending([paper('1', 24)], NOW, new Map(), {
      ...defaultTrendingConfig,
      halfLifeHours: 24,
    });
    expect(slow?.parts.recency).toBeCloseTo(0.5);
  });
});

describe('rankEdition', () => {
  const setup = (weekdays = defaultSchedulePolicy.days) => {
    const clock = new FixedClock(NOW);
    const subscribers = new MemorySubscribers(clock);
    const editions = new MemoryEditions();
    const jobs: SendJob[] = [];
    const papers = [paper('1', 5, { upvotes: 3 }), paper('2', 30, { upvotes: 30 }), paper('old', 24 * 20)];
    const deps = {
      papers: {
        store: async () => ({ new: 0, updated: 0, unchanged: 0, merged: 0, linked: 0 }),
        listPublishedOn: async (days: readonly string[]) =>
          papers.filter((p) => days.includes(p.publishedAt.slice(0, 10))),
        signalHistory: async () => new Map(),
      },
      editions,
      subscribers,
      queue: { enqueue: async (more: readonly SendJob[]) => void jobs.push(...more) },
      clock,
      config: {
        trending: defaultTrendingConfig,
        windowDays: 7,
        freshDays: 2,
        editionSize: 30,
        jobSize: 2,
        policy: { ...defaultSchedulePolicy, days: weekdays },
      },
    };
    return { deps, subscribers, editions, jobs };
  };
  const active = (id: string) => activeSubscriber(id, { email: `${id}@x.org` });

  it('ranks the week, stores the edition and pages subscribers into send jobs', async () => {
    const { deps, subscribers, editions, jobs } = setup();
    for (const id of ['a', 'b', 'c']) await subscribers.create(active(id));
    const result = await rankEdition({ date: '2026-11-26' }, deps);
    expect(result).toEqual({
      date: '2026-11-26',
      created: true,
      skipped: false,
      mode: 'daily',
      candidates: 2,
      entries: 2,
      subscribers: 3,
      jobs: 2,
    });
    expect(editions.items.get('2026-11-26')).toMatchObject({
      mode: 'daily',
      freshSince: '2026-11-25T00:00:00.000Z',
    });
    expect(jobs.map((j) => j.subscriberIds)).toEqual([['a', 'b'], ['c']]);
  });

  it('dispatches only the readers an edition is for: not weekly readers off their day, not paused ones', async () => {
    const { deps, subscribers, jobs } = setup();
    await subscribers.create(active('daily'));
    await subscribers.create(activeSubscriber('weekly', { frequency: 'weekly' }));
    await subscribers.create(activeSubscriber('paused', { pausedUntil: '2026-12-24T00:00:00.000Z' }));
    await subscribers.create(activeSubscriber('resumed', { pausedUntil: '2026-11-01T00:00:00.000Z' }));
    const result = await rankEdition({ date: '2026-11-26' }, deps);
    expect(result.subscribers).toBe(2);
    expect(jobs.flatMap((j) => j.subscriberIds).sort()).toEqual(['daily', 'resumed']);
  });

  it('follows the weekday policy: skip makes nothing, best-of-week makes a week edition', async () => {
    expect(weekdayOf('2026-11-28')).toBe('sat');
    const skipping = setup();
    expect(await rankEdition({ date: '2026-11-28' }, skipping.deps)).toMatchObject({
      skipped: true,
      created: false,
    });
    expect(skipping.editions.items.size).toBe(0);
    const weekly = setup(parseDayPolicies('thu=best-of-week'));
    expect(await rankEdition({ date: '2026-11-26' }, weekly.deps)).toMatchObject({ mode: 'week' });
  });

  it('stores no edition for a day without papers, so a later run can make it', async () => {
    const { deps, editions, jobs } = setup();
    const result = await rankEdition({ date: '2026-10-01' }, deps);
    expect(result).toMatchObject({ created: false, skipped: false, entries: 0, jobs: 0 });
    expect(editions.items.size).toBe(0);
    expect(jobs).toEqual([]);
  });

  it('keeps an existing edition as it was', async () => {
    const { deps, editions } = setup();
    await editions.create({
      date: '2026-11-26',
      createdAt: 'earlier',
      mode: 'daily',
      freshSince: '',
      entries: [],
    });
    const result = await rankEdition({ date: '2026-11-26' }, deps);
    expect(result.created).toBe(false);
    expect(editions.items.get('2026-11-26')?.createdAt).toBe('earlier');
  });

  it('builds the window of days ending on the edition day', () => {
    expect(windowDays('2026-03-01', 3)).toEqual(['2026-03-01', '2026-02-28', '2026-02-27']);
  });

  it('reads weekday policies and names a wrong one', () => {
    expect(parseDayPolicies('sat=send, sun=skip')).toMatchObject({ sat: 'send', sun: 'skip', mon: 'send' });
    expect(() => parseDayPolicies('someday=send')).toThrow(/not a weekday/u);
    expect(() => parseDayPolicies('mon=maybe')).toThrow();
  });
});
