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
function scheduler(fired: string[], log: string[] = [], timeZone = 'Europe/Paris') {
  return new DailyScheduler(
    { at: '06:00', timeZone, statePath: join(dir, 'scheduler.json'), tickMs: 3_600_000 },
    (e) => fired.push(e.time),
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
    expect(await s.start(new Date('2026-11-27T10:00:00Z'))).toEqual({ caughtUp: false });
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
    expect(await restarted.start(new Date('2026-11-27T09:00:00Z'))).toEqual({ caughtUp: true });
    restarted.stop();
    expect(fired).toEqual(['2026-11-27T09:00:00.000Z']);
    expect(log.join('\n')).toContain("catching up today's edition: it was due at 06:00 Europe/Paris");

    // Restarted again the same day: the edition has run; nothing fires.
    const again = scheduler(fired, log);
    expect(await again.start(new Date('2026-11-27T11:00:00Z'))).toEqual({ caughtUp: false });
    again.stop();
    expect(fired).toHaveLength(1);
    expect(JSON.parse(await readFile(join(dir, 'scheduler.json'), 'utf8'))).toEqual({
      since: '2026-11-27',
      lastRunDay: '2026-11-27',
    });
  });
});
