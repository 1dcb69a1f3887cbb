import { type CollectorConfig, CollectorConfigSchema, withBaseUrl } from '../core/collect/config.ts';
import { ConfigError, describeIssues, formatIssues } from '../core/errors.ts';
import { dayIn } from '../shared/config.ts';

/** The contact the local collector sends in its User-Agent unless PAPERBOY_COLLECT_CONTACT says otherwise. */
export const LOCAL_COLLECT_CONTACT = 'operator@paperboy.local';

/**
 * The environment variables that configure collection on this machine (`npm start -- --collect`
 * and `npx paperboy collect`): the whole configuration as JSON, or its parts.
 */
export const LOCAL_COLLECT_ENV = {
  /** JSON of the collector configuration (functions/core/collect/config.ts), as on AWS. */
  config: 'PAPERBOY_COLLECTOR_CONFIG',
  contact: 'PAPERBOY_COLLECT_CONTACT',
  hfUrl: 'PAPERBOY_COLLECT_HF_URL',
  arxivRssUrl: 'PAPERBOY_COLLECT_ARXIV_RSS_URL',
  arxivApiUrl: 'PAPERBOY_COLLECT_ARXIV_API_URL',
} as const;

/**
 * The local collector's configuration: PAPERBOY_COLLECTOR_CONFIG (JSON) when set, else the
 * defaults with PAPERBOY_COLLECT_CONTACT; then each source's URL variable, then `baseUrl` for
 * every source (the CLI's --base-url). A wrong value is a ConfigError that names it.
 */
export function localCollectorConfig(
  env: Record<string, string | undefined>,
  baseUrl?: string,
): CollectorConfig {
  let raw: Record<string, unknown>;
  const json = env[LOCAL_COLLECT_ENV.config];
  if (json) {
    try {
      raw = JSON.parse(json) as Record<string, unknown>;
    } catch {
      throw new ConfigError(`${LOCAL_COLLECT_ENV.config} must be JSON (the collector configuration)`);
    }
  } else {
    raw = { contact: env[LOCAL_COLLECT_ENV.contact] ?? LOCAL_COLLECT_CONTACT };
  }
  const part = (name: string) =>
    typeof raw[name] === 'object' && raw[name] !== null ? (raw[name] as object) : {};
  const urls: [string, string | undefined][] = [
    ['hf', env[LOCAL_COLLECT_ENV.hfUrl]],
    ['arxivRss', env[LOCAL_COLLECT_ENV.arxivRssUrl]],
    ['arxivApi', env[LOCAL_COLLECT_ENV.arxivApiUrl]],
  ];
  for (const [name, url] of urls) if (url) raw[name] = { ...part(name), baseUrl: url };
  const parsed = CollectorConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      `invalid collector configuration: ${formatIssues(describeIssues(parsed.error.issues))}`,
    );
  }
  if (!baseUrl) return parsed.data;
  // A ConfigError that says what is wrong with it (scheme, query, fragment, …).
  return withBaseUrl(parsed.data, baseUrl);
}

/** `HH:MM` times of day, comma-separated: `05:00,11:00,17:00`. */
export function parseTimesOfDay(value: string): string[] {
  const times = value
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  if (times.length === 0 || times.some((t) => !/^([01]\d|2[0-3]):[0-5]\d$/u.test(t))) {
    throw new ConfigError(`"${value}" must be times of day such as 05:00,11:00,17:00`);
  }
  return [...new Set(times)].sort();
}

/**
 * Stands in for the collector's EventBridge schedule on this machine: fires at each of `times`
 * (`HH:MM` in the time zone), once per time per day, checking every `tickMs`. Unlike the
 * edition's scheduler it keeps no state across restarts: a missed collection is simply the next
 * one's work (conditional requests make a run that finds nothing new cheap). A run still going
 * when the next time comes is not doubled.
 */
export class CollectScheduler {
  private timer: NodeJS.Timeout | undefined;
  private readonly done = new Set<string>();
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly options: { times: readonly string[]; timeZone: string; tickMs?: number },
    private readonly fire: () => Promise<unknown>,
  ) {}

  /** Starts ticking; times already past today are left for tomorrow. */
  start(now = new Date()): void {
    const today = dayIn(now, this.options.timeZone);
    for (const time of this.options.times) if (time <= this.timeIn(now)) this.done.add(`${today} ${time}`);
    this.timer = setInterval(() => void this.tick(new Date()), this.options.tickMs ?? 30_000);
    this.timer.unref();
  }

  /** Fires if a time has come that has not fired today; true when it fired. */
  tick(now: Date): boolean {
    const today = dayIn(now, this.options.timeZone);
    const due = this.options.times.filter((t) => t <= this.timeIn(now) && !this.done.has(`${today} ${t}`));
    if (due.length === 0 || this.running) return false;
    for (const time of due) this.done.add(`${today} ${time}`);
    // A failed run is the collector's own to report; the next time fires as usual.
    this.running = this.fire()
      .catch(() => {})
      .finally(() => {
        this.running = undefined;
      });
    return true;
  }

  /** Resolves when the run in flight (if any) ends. */
  async idle(): Promise<void> {
    await this.running?.catch(() => {});
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
}
