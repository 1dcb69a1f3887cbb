import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DailyScheduler } from '../../../functions/local/scheduler.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'paperboy-scheduler-'));
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

/** A scheduler as `npm start` makes it, whose state file survives "restarts" in this test. */
function scheduler(fired: string[], log: string[] = [], timeZone = 'Europe/Paris', at = '06:00') {
  return new DailyScheduler(
    { at, timeZone, statePath: join(dir, 'scheduler.json'), tickMs: 3_600_000 },
    (e) => fired.push('time' in e ? e.time : `resume ${e.date}`),
    (line) => log.push(line),
  );
}

describe('DailyScheduler', () => {
  it('fires once a day, at or after the time in its time zone', async () => {
    const fired: string[] = [];
    const s = scheduler(fired);
    await s.start(new Date('2026-11-27T04:00:00Z')); // 05:00 in Paris: today is still ahead
    s.stop();
    await s.tick(new Date('2026-11-27T04:59:00Z')); // 05:59
    await s.tick(new Date('2026-11-27T05:00:00Z')); // 06:00
    await s.tick(new Date('2026-11-27T09:00:00Z'));
    await s.tick(new Date('2026-11-28T05:30:00Z')); // 06:30 the next day
    expect(fired).toEqual(['2026-11-27T05:00:00.000Z', '2026-11-28T05:30:00.000Z']);
  });

  it('on its very first start after the day’s time, begins with the next day', async () => {
    const fired: string[] = [];
    const s = scheduler(fired);
    expect(await s.start(new Date('2026-11-27T10:00:00Z'))).toEqual({ caughtUp: false, resumed: false });
    s.stop();
    await s.tick(new Date('2026-11-27T12:00:00Z'));
    await s.tick(new Date('2026-11-28T05:01:00Z'));
    expect(fired).toEqual(['2026-11-28T05:01:00.000Z']);
  });

  it('catches up the day’s edition after a restart that missed it, says so, and never runs it twice', async () => {
    const fired: string[] = [];
    const log: string[] = [];
    const first = scheduler(fired, log);
    await first.start(new Date('2026-11-26T20:00:00Z')); // schedule begins on the 27th
    first.stop(); // the stack is stopped overnight, through 06:00

    const restarted = scheduler(fired, log);
    expect(await restarted.start(new Date('2026-11-27T09:00:00Z'))).toEqual({
      caughtUp: true,
      resumed: false,
    });
    restarted.stop();
    expect(fired).toEqual(['2026-11-27T09:00:00.000Z']);
    expect(log.join('\n')).toContain("catching up today's edition: it was due at 06:00 Europe/Paris");

    // Restarted again the same day: the edition has run; its sending resumes (the edition is
    // kept, only readers still owed it are sent), and the day does not run again.
    const again = scheduler(fired, log);
    expect(await again.start(new Date('2026-11-27T11:00:00Z'))).toEqual({ caughtUp: false, resumed: true });
    again.stop();
    await again.tick(new Date('2026-11-27T12:00:00Z'));
    expect(fired).toEqual(['2026-11-27T09:00:00.000Z', 'resume 2026-11-27']);
    expect(log.join('\n')).toContain("resuming today's sending");
    expect(JSON.parse(await readFile(join(dir, 'scheduler.json'), 'utf8'))).toEqual({
      since: '2026-11-27',
      lastRunDay: '2026-11-27',
    });
  });

  it('catches up the day on a restart with a --send-at earlier than now, even on the day of the first start', async () => {
    const fired: string[] = [];
    const log: string[] = [];
    // First start at 16:10 UTC with the default 06:00: today is left alone (rule 1).
    const first = scheduler(fired, log, 'UTC', '06:00');
    expect(await first.start(new Date('2026-11-27T16:10:00Z'))).toEqual({ caughtUp: false, resumed: false });
    first.stop(); // kill -9
    expect(JSON.parse(await readFile(join(dir, 'scheduler.json'), 'utf8'))).toEqual({ since: '2026-11-28' });

    // Restarted at 16:24 with --send-at 16:00: today's edition is owed, and runs at once.
    const restarted = scheduler(fired, log, 'UTC', '16:00');
    expect(await restarted.start(new Date('2026-11-27T16:24:00Z'))).toEqual({
      caughtUp: true,
      resumed: false,
    });
    restarted.stop();
    expect(fired).toEqual(['2026-11-27T16:24:00.000Z']);
    expect(log.join('\n')).toContain("catching up today's edition: it was due at 16:00 UTC and had not run");
    expect(JSON.parse(await readFile(join(dir, 'scheduler.json'), 'utf8'))).toEqual({
      since: '2026-11-27',
      lastRunDay: '2026-11-27',
    });

    // Restarted again, back on 06:00: today has run, nothing fires; tomorrow fires once.
    const again = scheduler(fired, log, 'UTC', '06:00');
    expect(await again.start(new Date('2026-11-27T17:00:00Z'))).toEqual({ caughtUp: false, resumed: true });
    again.stop();
    await again.tick(new Date('2026-11-27T23:59:00Z'));
    await again.tick(new Date('2026-11-28T06:00:00Z'));
    await again.tick(new Date('2026-11-28T07:00:00Z'));
    expect(fired).toEqual(['2026-11-27T16:24:00.000Z', 'resume 2026-11-27', '2026-11-28T06:00:00.000Z']);
  });

  it('on a restart whose send time is still ahead, runs the day once, at that time', async () => {
    const fired: string[] = [];
    const first = scheduler(fired, [], 'UTC', '06:00');
    await first.start(new Date('2026-11-27T16:10:00Z'));
    first.stop();
    // --send-at 16:30 at 16:24: not caught up, but due today (before, `since` kept it for tomorrow).
    const later = scheduler(fired, [], 'UTC', '16:30');
    expect(await later.start(new Date('2026-11-27T16:24:00Z'))).toEqual({ caughtUp: false, resumed: false });
    later.stop();
    await later.tick(new Date('2026-11-27T16:29:00Z'));
    await later.tick(new Date('2026-11-27T16:30:00Z'));
    await later.tick(new Date('2026-11-27T16:45:00Z'));
    expect(fired).toEqual(['2026-11-27T16:30:00.000Z']);
  });

  it('never runs a day again after a time zone change moves "today" back to a day at or before the last run', async () => {
    const fired: string[] = [];
    const tokyo = scheduler(fired, [], 'Asia/Tokyo', '06:00');
    await tokyo.start(new Date('2026-11-26T12:00:00Z')); // 21:00 on the 26th in Tokyo: begins on the 27th
    tokyo.stop();
    await tokyo.tick(new Date('2026-11-27T21:30:00Z')); // 06:30 on the 28th in Tokyo
    expect(fired).toHaveLength(1);
    // Restarted in Los Angeles, where it is 13:30 on the 27th: a day before the last one run.
    const angeles = scheduler(fired, [], 'America/Los_Angeles', '06:00');
    expect(await angeles.start(new Date('2026-11-27T21:30:00Z'))).toEqual({
      caughtUp: false,
      resumed: false,
    });
    angeles.stop();
    await angeles.tick(new Date('2026-11-28T14:30:00Z')); // 06:30 on the 28th in Los Angeles: ran already
    await angeles.tick(new Date('2026-11-29T14:30:00Z')); // the 29th: runs
    expect(fired).toEqual(['2026-11-27T21:30:00.000Z', '2026-11-29T14:30:00.000Z']);
  });
});
