import { HttpRequestError } from '../errors.ts';
import type { Clock, HttpResponse, HttpTransport, Sleeper } from '../ports.ts';
import { isLinkLocalHost, isLoopbackHost } from './config.ts';

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
  /** Hosts (`host[:port]`) a redirect may lead to besides the requested URL's own host. */
  redirectHosts?: readonly string[];
}

/** Redirects followed for one GET; the next one ends it as an error. */
export const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export interface PoliteHttpDeps {
  transport: HttpTransport;
  clock: Clock;
  sleeper: Sleeper;
  /** A number in [0, 1): the jitter of retry pauses. */
  random: () => number;
  /** Milliseconds the caller may still spend; no attempt starts that could not end in time. */
  remainingMs?: () => number;
  /** Aborting it stops the request in flight and any pause: the result is an error, kind `cancelled`. */
  signal?: AbortSignal;
}

/**
 * The answer to one polite GET: a usable response (200 or 304) and the URL that gave it (after
 * redirects), or why there is none. `attempts` counts every request sent, redirect hops included.
 * `kind` says why for errors worth telling apart: a body that is not readable (`bad-body`), a
 * redirect refused or looping (`redirect`), the caller's cancel (`cancelled`).
 */
export type PoliteResult =
  | { ok: true; response: HttpResponse; url: string; attempts: number }
  | {
      ok: false;
      error: string;
      status?: number;
      attempts: number;
      kind?: 'bad-body' | 'redirect' | 'cancelled';
    };

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
 *    jittered exponential pause. A body past the size limit or one that cannot be decoded (a
 *    corrupt gzip) is not retried: it will be as broken next time. Other statuses are answers:
 *    200 and 304 are usable, the rest errors.
 * 5. Redirects are followed here, not by the transport: at most MAX_REDIRECTS hops, each a request
 *    with the host's spacing, and only to the requested URL's own host (or `redirectHosts`), over
 *    https (plain http only from and to this machine), never to a link-local address. A refused
 *    or looping redirect ends the request as an error, not retried.
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
    original: string,
    headers: Record<string, string>,
    slot: { lastEnd?: number; spacingMs: number },
  ): Promise<PoliteResult> {
    const { retries, maxRetryAfterMs } = this.options;
    const { signal } = this.deps;
    let url = original;
    let wait = 0;
    let sent = 0;
    let hops = 0;
    let last: { error: string; status?: number } = { error: 'not attempted' };
    const cancelled = (): PoliteResult => ({
      ok: false,
      error: 'cancelled: the collection was stopped',
      kind: 'cancelled',
      attempts: sent,
    });
    for (let attempt = 1; attempt <= retries + 1; ) {
      if (signal?.aborted) return cancelled();
      const sinceLast = slot.lastEnd === undefined ? Infinity : this.now() - slot.lastEnd;
      const pause = Math.max(wait, slot.spacingMs - sinceLast, 0);
      const remaining = this.deps.remainingMs?.();
      if (remaining !== undefined && remaining < pause + this.options.timeoutMs) {
        return {
          ok: false,
          error: `${last.error === 'not attempted' ? '' : `${last.error}; then `}stopped: too little of the run's time left for another request`,
          ...(last.status === undefined ? {} : { status: last.status }),
          attempts: sent,
        };
      }
      if (pause > 0) await this.deps.sleeper.sleep(pause, signal);
      if (signal?.aborted) return cancelled();
      let response: HttpResponse;
      sent += 1;
      try {
        response = await this.deps.transport.get(url, {
          headers: { 'user-agent': this.options.userAgent, ...headers },
          timeoutMs: this.options.timeoutMs,
          maxBytes: this.options.maxBytes,
          ...(signal ? { signal } : {}),
        });
      } catch (error) {
        slot.lastEnd = this.now();
        if (!(error instanceof HttpRequestError)) throw error;
        if (error.kind === 'cancelled') return cancelled();
        // A body past the limit will be as large next time: not retried.
        if (error.kind === 'too-large') return { ok: false, error: error.message, attempts: sent };
        // Nor will a body that cannot be decoded (a corrupt gzip) be better: a bad body, not a network error.
        if (error.kind === 'bad-body')
          return { ok: false, error: error.message, kind: 'bad-body', attempts: sent };
        last = { error: error.message };
        wait = this.backoff(attempt);
        attempt += 1;
        continue;
      }
      slot.lastEnd = this.now();
      const { status } = response;
      wait = 0;
      if (REDIRECTS.has(status)) {
        const refused = (error: string): PoliteResult => ({
          ok: false,
          error,
          status,
          kind: 'redirect',
          attempts: sent,
        });
        const location = response.headers.location;
        if (!location) return refused(`answered ${status} (a redirect) without a Location`);
        let target: URL;
        try {
          target = new URL(location, url);
        } catch {
          return refused(
            `answered ${status}, redirecting to ${JSON.stringify(location.slice(0, 200))}, which is not a URL`,
          );
        }
        const problem = redirectProblem(new URL(original), target, this.options.redirectHosts ?? []);
        if (problem)
          return refused(
            `answered ${status}, redirecting to ${target.href.slice(0, 300)}: refused, ${problem}`,
          );
        hops += 1;
        if (hops > MAX_REDIRECTS) {
          return refused(
            `answered ${status}, redirecting to ${target.href.slice(0, 300)}: more than ${MAX_REDIRECTS} redirects (a loop?), stopped`,
          );
        }
        // The hop is a request of its own: it waits for the spacing like any other, and does not use up a retry.
        url = target.href;
        continue;
      }
      if (status === 200 || status === 304) return { ok: true, response, url, attempts: sent };
      if (!RETRYABLE(status)) return { ok: false, error: `answered ${status}`, status, attempts: sent };
      const retryAfter =
        status === 429 || status === 503
          ? retryAfterMs(response.headers['retry-after'], this.now())
          : undefined;
      if (retryAfter !== undefined && retryAfter > maxRetryAfterMs) {
        return {
          ok: false,
          error: `answered ${status} asking to retry after ${Math.ceil(retryAfter / 1000)} s, longer than the ${Math.round(maxRetryAfterMs / 1000)} s this collector waits`,
          status,
          attempts: sent,
        };
      }
      last = {
        error: `answered ${status}${retryAfter === undefined ? '' : ` (Retry-After ${Math.ceil(retryAfter / 1000)} s)`}`,
        status,
      };
      wait = retryAfter ?? this.backoff(attempt);
      attempt += 1;
    }
    return {
      ok: false,
      error: `${last.error} (gave up after ${retries + 1} attempts)`,
      ...(last.status === undefined ? {} : { status: last.status }),
      attempts: sent,
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
 * Why a redirect from `from` to `to` is not followed, or undefined when it is: the same host as
 * asked (`host[:port]`, so another port on the same machine is another host) or one of
 * `allowed`; https, or plain http only when both ends are this machine (the base URL's own rule);
 * never a link-local address (cloud metadata).
 */
export function redirectProblem(from: URL, to: URL, allowed: readonly string[]): string | undefined {
  if (to.protocol !== 'https:' && to.protocol !== 'http:') return `the scheme ${to.protocol} is not fetched`;
  if (to.protocol === 'http:' && !(isLoopbackHost(to.hostname) && isLoopbackHost(from.hostname))) {
    return 'plain http (only https is followed, http only on this machine)';
  }
  if (isLinkLocalHost(to.hostname)) return 'a link-local address';
  if (to.username || to.password) return 'a user or password in the URL';
  if (to.host !== from.host && !allowed.includes(to.host)) {
    return `another host (${to.host}, asked ${from.host}; allow it with the collector setting redirectHosts)`;
  }
  return undefined;
}

/**
 * A `Retry-After` value in milliseconds from `now`: delay-seconds of any length (`120`,
 * `1000000000`: a huge one is simply more than any cap) or an HTTP date
 * (`Wed, 21 Oct 2026 07:28:00 GMT`); a date in the past is 0. Undefined when absent or neither.
 */
export function retryAfterMs(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/u.test(text)) return Number(text) * 1000;
  if (!/[A-Za-z]{3}/u.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
