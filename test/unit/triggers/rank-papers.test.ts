import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../functions/core/errors.ts';
import { defaultRankEditionConfig } from '../../../functions/core/rank-edition.ts';
import { defaultTrendingConfig } from '../../../functions/core/ranking.ts';
import { defaultSchedulePolicy } from '../../../functions/core/schedule-policy.ts';
import type { SendJob } from '../../../functions/core/send-job.ts';
import { createRankPapersHandler, editionDayOf } from '../../../functions/triggers/rank-papers.ts';
import { FixedClock, MemoryEditions, MemorySubscribers } from '../../support/memory-ports.ts';
import { NOW, paper } from '../../support/papers.ts';

function setup(timeZone: string) {
  const clock = new FixedClock(NOW);
  const editions = new MemoryEditions();
  const jobs: SendJob[] = [];
  const handler = createRankPapersHandler({
    papers: {
      store: async () => ({ new: 0, updated: 0, unchanged: 0, merged: 0, linked: 0 }),
      listPublishedOn: async (days) =>
        days.includes('2026-11-26') ? [paper('1', 2, { upvotes: 3 }), paper('2', 3)] : [],
      signalHistory: async () => new Map(),
    },
    editions,
    subscribers: new MemorySubscribers(clock),
    queue: { enqueue: async (more) => void jobs.push(...more) },
    clock,
    config: { ...defaultRankEditionConfig, trending: defaultTrendingConfig, policy: defaultSchedulePolicy },
    timeZone,
  });
  return { handler, editions, jobs };
}

describe('rank handler', () => {
  it('names the edition by the calendar day of the scheduled time in the operator’s zone', () => {
    // 06:00 in Tokyo on the 27th is still the 26th in UTC; 23:30 in Los Angeles is the 27th in UTC.
    expect(editionDayOf({ time: '2026-11-26T21:00:00Z' }, 'Asia/Tokyo')).toBe('2026-11-27');
    expect(editionDayOf({ time: '2026-11-26T21:00:00Z' }, 'UTC')).toBe('2026-11-26');
    expect(editionDayOf({ time: '2026-11-27T07:30:00Z' }, 'America/Los_Angeles')).toBe('2026-11-26');
    expect(editionDayOf({ date: '2026-11-20' }, 'Asia/Tokyo')).toBe('2026-11-20');
  });

  it('makes the edition of the scheduled day from an EventBridge Scheduler event', async () => {
    const { handler, editions } = setup('America/Los_Angeles');
    const result = await handler({
      version: '0',
      id: 'x',
      'detail-type': 'Scheduled Event',
      source: 'aws.scheduler',
      time: '2026-11-27T06:00:00Z',
      detail: {},
    });
    expect(result).toMatchObject({ date: '2026-11-26', created: true, entries: 2 });
    expect(editions.items.has('2026-11-26')).toBe(true);
  });

  it('takes an operator’s {"date"} re-run, and refuses anything else by name', async () => {
    const { handler } = setup('UTC');
    expect(await handler({ date: '2026-11-26' })).toMatchObject({ date: '2026-11-26', created: true });
    await expect(handler({ date: '26/11/2026' })).rejects.toThrow(ValidationError);
    await expect(handler({ hello: 'world' })).rejects.toThrow(
      /expected a scheduled event or \{"date":"YYYY-MM-DD"\}/u,
    );
  });
});
