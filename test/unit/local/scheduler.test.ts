import { describe, expect, it } from 'vitest';
import { DailyScheduler } from '../../../functions/local/scheduler.ts';

describe('DailyScheduler', () => {
  it('fires once a day, at or after the time in its time zone', () => {
    const fired: string[] = [];
    const scheduler = new DailyScheduler({ at: '06:00', timeZone: 'Europe/Paris' }, (e) =>
      fired.push(e.time),
    );
    scheduler.tick(new Date('2026-11-27T04:59:00Z')); // 05:59 in Paris
    scheduler.tick(new Date('2026-11-27T05:00:00Z')); // 06:00
    scheduler.tick(new Date('2026-11-27T09:00:00Z'));
    scheduler.tick(new Date('2026-11-28T05:30:00Z')); // 06:30 the next day
    expect(fired).toEqual(['2026-11-27T05:00:00.000Z', '2026-11-28T05:30:00.000Z']);
  });

  it('skips the day whose edition the start-up run already made', () => {
    const fired: string[] = [];
    const scheduler = new DailyScheduler({ at: '06:00', timeZone: 'UTC', tickMs: 3_600_000 }, (e) =>
      fired.push(e.time),
    );
    scheduler.start(true, new Date('2026-11-27T07:00:00Z'));
    scheduler.tick(new Date('2026-11-27T08:00:00Z'));
    scheduler.stop();
    expect(fired).toEqual([]);
  });
});
