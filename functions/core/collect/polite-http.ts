import { HttpRequestError } from '../errors.ts';
import type { Clock, HttpResponse, HttpTransport, Sleeper } from '../ports.ts';

export interface PoliteHttpOptions {
  /** Sent with every request: who we are and how to reach us. */
  userAgent: string;
  timeoutMs: number;
  maxBytes: number;
  /** Further attempts after a network error, a timeout, a 5xx or a 429. */
  retries: number;
  /** The longest Retry-After waited for; a longer one ends the request as an error. */
  maxRetryAfterMs: number;
  /** The first retry's pause, doubled for each next one, jittered (the actual pause is half to all of it). */
  backoffMs?: number;
}

export interface PoliteHttpDeps {
  transport: HttpTransport;
  clock: Clock;
  sleeper: Sleeper;
  /** A number in [0, 1): the jitter of retry pauses. */
  random: () => number;
  /** Milliseconds the caller may still spend; no attempt starts that could not end in time. */
  remainingMs?: () => number;
}

/** The answer to one polite GET: a usable response (200 or 304), or why there is none. */
export type PoliteResult =
  | { ok: true; response: HttpResponse; attempts: number }
  | { ok: false; error: string; status?: number; attempts: number };

/** Statuses worth asking again: the server is busy or broke on its side. */
const RETRYABLE = (status: number) => status === 429 || status >= 500;
const DEFAULT_BACKOFF_MS = 1000;

/**
 * A good citizen's HTTP GET, on top of a transport that makes one request:
 * 1. One request at a time per host: a second caller for the same host waits for the first to
 *    finish (its retries included).
 * 2. Between two requests to a host, at least `spacingMs` (the largest spacing any caller asked
 *    for that host), counted from the end of the previous request.
 * 3. 429 and 503 with `Retry-After` (seconds or an HTTP date): waited for, up to
 *    `maxRetryAfterMs`; asking for longer ends the request as an error for this run.
 * 4. Network errors, timeouts, 5xx and 429 without `Retry-After`: retried `retries` times after a
 *    jittered exponential pause. Other statuses are answers: 200 and 304 are usable, the rest errors.
 * Time and waiting are ports, so that all of this is tested without sleeping.
 */
export class PoliteHttp {
  private readonly hosts = new Map<
    string,
    { lastEnd?: number; spacingMs: number; queue: Promise<unknown> }
  >();

  constructor(
    private readonly options: PoliteHttpOptions,
    private readonly deps: PoliteHttpDeps,
  ) {}

  /** GETs `url` politely; `headers` are added to the User-Agent (conditional request headers). */
  get(url: string, request: { headers?: Record<string, string>; spacingMs: number }): Promise<PoliteResult> {
    const host = new URL(url).host;
    const slot = this.hosts.get(host) ?? { spacingMs: 0, queue: Promise.resolve() };
    slot.spacingMs = Math.max(slot.spacingMs, request.spacingMs);
    this.hosts.set(host, slot);
    const run = slot.queue.then(() => this.attempts(url, request.headers ?? {}, slot));
    // The next caller for this host waits for this one, however it ends.
    slot.queue = run.catch(() => {});
    return run;
  }

  private async attempts(
    url: string,
    headers: Record<string, string>,
    slot: { lastEnd?: number; spacingMs: number },
  ): Promise<PoliteResult> {
    const { retries, maxRetryAfterMs } = this.options;
    let wait = 0;
    let last: { error: string; status?: number } = { error: 'not attempted' };
    for (let attempt = 1; attempt <= retries + 1; attempt += 1) {
      const sinceLast = slot.lastEnd === undefined ? Infinity : this.now() - slot.lastEnd;
      const pause = Math.max(wait, slot.spacingMs - sinceLast, 0);
      const remaining = this.deps.remainingMs?.();
      if (remaining !== undefined && remaining < pause + this.options.timeoutMs) {
        return {
          ok: false,
          error: `${last.error === 'not attempted' ? '' : `${last.error}; then `}stopped: too little of the run's time left for another request`,
          ...(last.status === undefined ? {} : { status: last.status }),
          attempts: attempt - 1,
        };
      }
      if (pause > 0) await this.deps.sleeper.sleep(pause);
      let response: HttpResponse;
      try {
        response = await this.deps.transport.get(url, {
          headers: { 'user-agent': this.options.userAgent, ...headers },
          timeoutMs: this.options.timeoutMs,
          maxBytes: this.options.maxBytes,
        });
      } catch (error) {
        slot.lastEnd = this.now();
        if (!(error instanceof HttpRequestError)) throw error;
        // A body past the limit will be as large next time: not retried.
        if (error.kind === 'too-large') return { ok: false, error: error.message, attempts: attempt };
        last = { error: error.message };
        wait = this.backoff(attempt);
        continue;
      }
      slot.lastEnd = this.now();
      const { status } = response;
      if (status === 200 || status === 304) return { ok: true, response, attempts: attempt };
      if (!RETRYABLE(status)) return { ok: false, error: `answered ${status}`, status, attempts: attempt };
      const retryAfter =
        status === 429 || status === 503
          ? retryAfterMs(response.headers['retry-after'], this.now())
          : undefined;
      if (retryAfter !== undefined && retryAfter > maxRetryAfterMs) {
        return {
          ok: false,
          error: `answered ${status} asking to retry after ${Math.ceil(retryAfter / 1000)} s, longer than the ${Math.round(maxRetryAfterMs / 1000)} s this collector waits`,
          status,
          attempts: attempt,
        };
      }
      last = {
        error: `answered ${status}${retryAfter === undefined ? '' : ` (Retry-After ${Math.ceil(retryAfter / 1000)} s)`}`,
        status,
      };
      wait = retryAfter ?? this.backoff(attempt);
    }
    return {
      ok: false,
      error: `${last.error} (gave up after ${retries + 1} attempts)`,
      ...(last.status === undefined ? {} : { status: last.status }),
      attempts: retries + 1,
    };
  }

  /** Half to all of `backoffMs × 2^(attempt-1)`: retries of many clients do not line up. */
  private backoff(attempt: number): number {
    const full = (this.options.backoffMs ?? DEFAULT_BACKOFF_MS) * 2 ** (attempt - 1);
    return Math.round(full / 2 + (this.deps.random() * full) / 2);
  }

  private now(): number {
    return this.deps.clock.now().getTime();
  }
}

/**
 * A `Retry-After` value in milliseconds from `now`: delay-seconds (`120`) or an HTTP date
 * (`Wed, 21 Oct 2026 07:28:00 GMT`); a date in the past is 0. Undefined when absent or neither.
 */
export function retryAfterMs(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d{1,9}$/u.test(text)) return Number(text) * 1000;
  if (!/[A-Za-z]{3}/u.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
