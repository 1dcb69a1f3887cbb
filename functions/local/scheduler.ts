import { dayIn } from '../shared/config.ts';

/**
 * Stands in for the EventBridge schedule: once a day at `HH:MM` in the time zone, it fires
 * the same scheduled event the rank Lambda receives on AWS. It checks every `tickMs`, so a
 * machine that slept through the time still runs that day's edition when it wakes.
 */
export class DailyScheduler {
  private timer: NodeJS.Timeout | undefined;
  private lastRunDay: string | undefined;

  constructor(
    private readonly options: { at: string; timeZone: string; tickMs?: number },
    private readonly fire: (event: { time: string; 'detail-type': string }) => void,
  ) {}

  /** Starts ticking; `ranToday` marks today's run as done (the start-up run). */
  start(ranToday: boolean, now = new Date()): void {
    if (ranToday) this.lastRunDay = dayIn(now, this.options.timeZone);
    this.timer = setInterval(() => this.tick(new Date()), this.options.tickMs ?? 30_000);
    this.timer.unref();
  }

  tick(now: Date): void {
    const day = dayIn(now, this.options.timeZone);
    if (day === this.lastRunDay || timeIn(now, this.options.timeZone) < this.options.at) return;
    this.lastRunDay = day;
    this.fire({ time: now.toISOString(), 'detail-type': 'Scheduled Event' });
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

function timeIn(instant: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(instant);
}
