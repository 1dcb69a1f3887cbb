import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import * as z from 'zod';
import { dayIn } from '../shared/config.ts';

/** What the scheduler remembers across restarts: from which day it is responsible, and its last run. */
const StateSchema = z.object({ since: z.iso.date(), lastRunDay: z.iso.date().optional() });
type SchedulerState = z.infer<typeof StateSchema>;

export interface ScheduledEvent {
  time: string;
  'detail-type': string;
}

/**
 * Stands in for the EventBridge schedule: once a day at `HH:MM` in the time zone, it fires the
 * same scheduled event the rank Lambda receives on AWS. It checks every `tickMs`, so a machine
 * that slept through the time still runs that day's edition when it wakes.
 *
 * Its state lives in a file in the data folder, written before each run: a restart after the
 * day's time catches up that day's edition (and says so), and no day ever runs twice. The very
 * first start after the day's time leaves that day alone: the schedule begins the next day.
 */
export class DailyScheduler {
  private timer: NodeJS.Timeout | undefined;
  private state: SchedulerState | undefined;

  constructor(
    private readonly options: { at: string; timeZone: string; statePath: string; tickMs?: number },
    private readonly fire: (event: ScheduledEvent) => void,
    private readonly log: (line: string) => void = () => {},
  ) {}

  /** Starts ticking; returns whether it caught up a missed run of today. */
  async start(now = new Date()): Promise<{ caughtUp: boolean }> {
    this.state = await this.load();
    const today = dayIn(now, this.options.timeZone);
    if (!this.state) {
      const started = this.timeIn(now) >= this.options.at ? nextDay(today) : today;
      this.state = { since: started };
      await this.save();
    }
    const caughtUp = await this.tick(now);
    if (caughtUp) {
      this.log(
        `catching up today's edition: it was due at ${this.options.at} ${this.options.timeZone} and had not run`,
      );
    }
    this.timer = setInterval(() => void this.tick(new Date()), this.options.tickMs ?? 30_000);
    this.timer.unref();
    return { caughtUp };
  }

  /** Runs the day's edition if it is due and has not run; true when it fired. */
  async tick(now: Date): Promise<boolean> {
    const state = this.state;
    if (!state) return false;
    const day = dayIn(now, this.options.timeZone);
    if (day < state.since || day === state.lastRunDay || this.timeIn(now) < this.options.at) return false;
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
