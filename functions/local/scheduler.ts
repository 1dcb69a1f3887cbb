import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import * as z from 'zod';
import { dayIn } from '../shared/config.ts';

/**
 * What the scheduler remembers across restarts: the first day whose edition it owes, and the
 * last day it ran.
 */
const StateSchema = z.object({ since: z.iso.date(), lastRunDay: z.iso.date().optional() });
type SchedulerState = z.infer<typeof StateSchema>;

export interface ScheduledEvent {
  time: string;
  'detail-type': string;
}

/** The rank function's event for a day already run: keep its edition, queue the readers it still owes. */
export interface ResumeEvent {
  date: string;
}

/**
 * Stands in for the EventBridge schedule: once a day at `HH:MM` in the time zone, it fires the
 * same scheduled event the rank Lambda receives on AWS. It checks every `tickMs`, so a machine
 * that slept through the time still runs that day's edition when it wakes.
 *
 * Its state lives in a file in the data folder (`since`, `lastRunDay`). The rule:
 * 1. The very first start of a data folder (no state yet) after today's time leaves today alone:
 *    the schedule begins the next day. Nobody was waiting for an edition before the stack existed.
 * 2. Every later start owes today's edition when today's time, at the `at` and time zone in force
 *    now (a restart may change them), has passed and today's edition has not run: it runs it at
 *    once and says so. A restart with an earlier `--send-at` than before is such a start.
 * 3. Only today is caught up: days the stack was down for from start to end are not replayed.
 * 4. A day is recorded before it runs, and no day at or before the last one run ever runs, so no
 *    day runs twice, whatever the crashes, restarts and time zone changes.
 * 5. A restart on a day whose edition has run resumes its sending: the rank function is asked
 *    for that day again (`{date}`), which keeps the edition as it was and queues only the readers
 *    due (the ledger skips whoever has it). A stack killed while sending loses its in-process send jobs; this is how the
 *    readers they had not reached still get the day's edition.
 */
export class DailyScheduler {
  private timer: NodeJS.Timeout | undefined;
  private state: SchedulerState | undefined;

  constructor(
    private readonly options: { at: string; timeZone: string; statePath: string; tickMs?: number },
    private readonly fire: (event: ScheduledEvent | ResumeEvent) => void,
    private readonly log: (line: string) => void = () => {},
  ) {}

  /** Starts ticking; returns whether it caught up a missed run of today, or resumed today's sending. */
  async start(now = new Date()): Promise<{ caughtUp: boolean; resumed: boolean }> {
    const saved = await this.load();
    const today = dayIn(now, this.options.timeZone);
    if (!saved) {
      // The first start (rule 1).
      this.state = { since: this.timeIn(now) >= this.options.at ? nextDay(today) : today };
      await this.save();
    } else if (saved.since > today) {
      // A restart on the first start's day, or in a time zone whose day is earlier: the schedule
      // covers today from now on (rule 2), whatever `at` was when it began.
      this.state = { ...saved, since: today };
      await this.save();
    } else {
      this.state = saved;
    }
    const caughtUp = await this.tick(now);
    if (caughtUp) {
      this.log(
        `catching up today's edition: it was due at ${this.options.at} ${this.options.timeZone} and had not run`,
      );
    }
    // Rule 5: today ran before this start; its send jobs may have died with the last process.
    const resumed = !caughtUp && this.state?.lastRunDay === today;
    if (resumed) {
      this.log("resuming today's sending: readers the last run had not reached get the edition now");
      this.fire({ date: today });
    }
    this.timer = setInterval(() => void this.tick(new Date()), this.options.tickMs ?? 30_000);
    this.timer.unref();
    return { caughtUp, resumed };
  }

  /** Runs the day's edition if it is due and has not run; true when it fired. */
  async tick(now: Date): Promise<boolean> {
    const state = this.state;
    if (!state) return false;
    const day = dayIn(now, this.options.timeZone);
    const ran = state.lastRunDay !== undefined && day <= state.lastRunDay;
    if (day < state.since || ran || this.timeIn(now) < this.options.at) return false;
    // Recorded before firing: a crash during the run never makes the day run twice.
    state.lastRunDay = day;
    await this.save();
    this.fire({ time: now.toISOString(), 'detail-type': 'Scheduled Event' });
    return true;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private timeIn(instant: Date): string {
    return new Intl.DateTimeFormat('en-GB', {
      timeZone: this.options.timeZone,
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    }).format(instant);
  }

  private async load(): Promise<SchedulerState | undefined> {
    try {
      return StateSchema.parse(JSON.parse(await readFile(this.options.statePath, 'utf8')));
    } catch {
      return undefined;
    }
  }

  private async save(): Promise<void> {
    await mkdir(dirname(this.options.statePath), { recursive: true });
    const partial = `${this.options.statePath}.${process.pid}`;
    await writeFile(partial, JSON.stringify(this.state));
    await rename(partial, this.options.statePath);
  }
}

function nextDay(day: string): string {
  return new Date(Date.parse(`${day}T12:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}
