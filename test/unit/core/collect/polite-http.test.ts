import { describe, expect, it } from 'vitest';
import {
  MAX_REDIRECTS,
  PoliteHttp,
  type PoliteHttpOptions,
  redirectProblem,
  retryAfterMs,
} from '../../../../functions/core/collect/polite-http.ts';
import { HttpRequestError } from '../../../../functions/core/errors.ts';
import type { HttpResponse } from '../../../../functions/core/ports.ts';

type Step = HttpResponse | HttpRequestError;

/** Virtual time: sleeping moves it on at once; each request takes `requestMs` of it. */
function harness(
  steps: Record<string, Step[]>,
  options: Partial<PoliteHttpOptions> = {},
  random = () => 0,
  signal?: AbortSignal,
) {
  let now = Date.parse('2026-11-27T05:00:00Z');
  const sleeps: number[] = [];
  const requests: { url: string; at: number; headers: Record<string, string> }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const http = new PoliteHttp(
    {
      userAgent: 'Paperboy/test (+mailto:ops@example.org)',
      timeoutMs: 1000,
      maxBytes: 1000,
      retries: 2,
      maxRetryAfterMs: 60_000,
      ...options,
    },
    {
      clock: { now: () => new Date(now) },
      sleeper: {
        sleep: async (ms) => {
          sleeps.push(ms);
          now += ms;
        },
      },
      random,
      ...(signal ? { signal } : {}),
      transport: {
        get: async (url, request) => {
          requests.push({ url, at: now, headers: request.headers });
          inFlight += 1;
          maxInFlight = Math.max(maxInFlight, inFlight);
          await new Promise((resolve) => setTimeout(resolve, 1));
          now += 100;
          inFlight -= 1;
          const step = steps[url]?.shift();
          if (!step) throw new Error(`no answer scripted for ${url}`);
          if (step instanceof HttpRequestError) throw step;
          return step;
        },
      },
    },
  );
  return { http, sleeps, requests, maxInFlight: () => maxInFlight, now: () => now };
}

const ok = (body = '[]', headers: Record<string, string> = {}): HttpResponse => ({
  status: 200,
  headers,
  body: new TextEncoder().encode(body),
});
const status = (code: number, headers: Record<string, string> = {}): HttpResponse => ({
  status: code,
  headers,
  body: new Uint8Array(),
});

describe('PoliteHttp', () => {
  it('spaces requests to one host from the end of the last one, and not those to another host', async () => {
    const a1 = 'https://a.example/1';
    const a2 = 'https://a.example/2';
    const b1 = 'https://b.example/1';
    const h = harness({ [a1]: [ok()], [a2]: [ok()], [b1]: [ok()] });
    await h.http.get(a1, { spacingMs: 3000 });
    await h.http.get(b1, { spacingMs: 3000 });
    await h.http.get(a2, { spacingMs: 3000 });
    // a1 ended at +100; b1 (another host) went at once; a2 waited until 3 s after a1 ended.
    expect(h.requests.map((r) => r.at - (h.requests[0]?.at ?? 0))).toEqual([0, 100, 3100]);
    expect(h.sleeps).toEqual([2900]);
  });

  it('sends one request at a time per host, even when asked for several at once', async () => {
    const urls = ['https://a.example/1', 'https://a.example/2', 'https://a.example/3'];
    const h = harness(Object.fromEntries(urls.map((u) => [u, [ok()]])));
    await Promise.all(urls.map((url) => h.http.get(url, { spacingMs: 1000 })));
    expect(h.maxInFlight()).toBe(1);
    const [a = 0, b = 0, c = 0] = h.requests.map((r) => r.at);
    expect(b - a).toBe(1100);
    expect(c - b).toBe(1100);
  });

  it('sends the User-Agent and the conditional headers it is given', async () => {
    const url = 'https://a.example/x';
    const h = harness({ [url]: [status(304)] });
    const result = await h.http.get(url, { spacingMs: 0, headers: { 'if-none-match': '"v1"' } });
    expect(result).toMatchObject({ ok: true, response: { status: 304 }, attempts: 1 });
    expect(h.requests[0]?.headers).toEqual({
      'user-agent': 'Paperboy/test (+mailto:ops@example.org)',
      'if-none-match': '"v1"',
    });
  });

  it('waits out a 429 Retry-After in seconds, then succeeds', async () => {
    const url = 'https://a.example/x';
    const h = harness({ [url]: [status(429, { 'retry-after': '7' }), ok()] });
    const result = await h.http.get(url, { spacingMs: 1000 });
    expect(result).toMatchObject({ ok: true, attempts: 2 });
    expect(h.sleeps).toEqual([7000]);
    expect((h.requests[1]?.at ?? 0) - (h.requests[0]?.at ?? 0)).toBe(7100);
  });

  it('waits out a 503 Retry-After given as an HTTP date', async () => {
    const url = 'https://a.example/x';
    // The answer comes at 05:00:00.100; the date asks for 05:00:30.
    const h = harness({ [url]: [status(503, { 'retry-after': 'Fri, 27 Nov 2026 05:00:30 GMT' }), ok()] });
    const result = await h.http.get(url, { spacingMs: 0 });
    expect(result).toMatchObject({ ok: true, attempts: 2 });
    expect(h.sleeps).toEqual([29_900]);
  });

  it('gives up at once when Retry-After asks for longer than the cap', async () => {
    const url = 'https://a.example/x';
    const h = harness({ [url]: [status(429, { 'retry-after': '3600' }), ok()] }, { maxRetryAfterMs: 60_000 });
    const result = await h.http.get(url, { spacingMs: 0 });
    expect(result).toMatchObject({ ok: false, status: 429, attempts: 1 });
    expect(result.ok ? '' : result.error).toMatch(/retry after 3600 s, longer than the 60 s/u);
    expect(h.sleeps).toEqual([]);
  });

  it('retries a 500 and a network error after jittered, doubling pauses', async () => {
    const url = 'https://a.example/x';
    const low = harness(
      { [url]: [status(500), new HttpRequestError('network', 'ECONNRESET'), ok()] },
      { backoffMs: 1000 },
      () => 0,
    );
    expect(await low.http.get(url, { spacingMs: 0 })).toMatchObject({ ok: true, attempts: 3 });
    expect(low.sleeps).toEqual([500, 1000]);
    const high = harness({ [url]: [status(502), status(504), ok()] }, { backoffMs: 1000 }, () => 0.999);
    expect(await high.http.get(url, { spacingMs: 0 })).toMatchObject({ ok: true, attempts: 3 });
    expect(high.sleeps).toEqual([1000, 1999]);
  });

  it('gives up after retries + 1 attempts, saying what the last answer was', async () => {
    const url = 'https://a.example/x';
    const h = harness({
      [url]: [status(500), status(500), new HttpRequestError('timeout', 'no complete answer within 1000 ms')],
    });
    const result = await h.http.get(url, { spacingMs: 0 });
    expect(result).toMatchObject({ ok: false, attempts: 3 });
    expect(result.ok ? '' : result.error).toBe(
      'no complete answer within 1000 ms (gave up after 3 attempts)',
    );
  });

  it('does not retry a 404, nor a body past the size limit', async () => {
    const url = 'https://a.example/x';
    const notFound = harness({ [url]: [status(404), ok()] });
    expect(await notFound.http.get(url, { spacingMs: 0 })).toMatchObject({
      ok: false,
      status: 404,
      attempts: 1,
      error: 'answered 404',
    });
    const large = harness({ [url]: [new HttpRequestError('too-large', 'too large'), ok()] });
    expect(await large.http.get(url, { spacingMs: 0 })).toMatchObject({
      ok: false,
      attempts: 1,
      error: 'too large',
    });
  });

  it('starts no request that could not end within the time left', async () => {
    const url = 'https://a.example/x';
    let left = 10_000;
    const h = harness({ [url]: [status(500), ok()] }, { timeoutMs: 5000, backoffMs: 8000 });
    const http = new PoliteHttp(
      {
        userAgent: 'x',
        timeoutMs: 5000,
        maxBytes: 1000,
        retries: 2,
        maxRetryAfterMs: 60_000,
        backoffMs: 8000,
      },
      {
        clock: { now: () => new Date(h.now()) },
        sleeper: { sleep: async () => {} },
        random: () => 0,
        remainingMs: () => left,
        transport: {
          get: async () => {
            left -= 100;
            return status(500);
          },
        },
      },
    );
    const result = await http.get(url, { spacingMs: 0 });
    // 10 s left: the first attempt fits (5 s timeout); 9.9 s left: the retry's 4 s pause and 5 s
    // timeout fit; 9.8 s left: the next one's 8 s pause and 5 s timeout do not.
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.error).toMatch(
      /answered 500; then stopped: too little of the run's time left/u,
    );
    expect(result.attempts).toBe(2);
  });
});

const redirect = (location: string, code = 302) => status(code, { location });

describe('PoliteHttp and redirects', () => {
  it('follows a redirect on the same host itself: each hop a request, spaced, and says which URL answered', async () => {
    const from = 'https://a.example/api/daily_papers?date=2026-11-27';
    const to = 'https://a.example/api/v2/daily_papers?date=2026-11-27';
    const h = harness({ [from]: [redirect('/api/v2/daily_papers?date=2026-11-27', 301)], [to]: [ok()] });
    const result = await h.http.get(from, { spacingMs: 1000 });
    expect(result).toMatchObject({ ok: true, url: to, attempts: 2 });
    expect(h.requests.map((r) => r.url)).toEqual([from, to]);
    // The hop waited for the host's spacing like any request.
    expect(h.sleeps).toEqual([1000]);
    expect((h.requests[1]?.at ?? 0) - (h.requests[0]?.at ?? 0)).toBe(1100);
  });

  it('refuses a redirect to another host or port, to plain http, to a link-local address, and sends nothing there', async () => {
    const from = 'http://127.0.0.1:18938/api/daily_papers';
    const targets = [
      'http://127.0.0.1:18999/secret',
      'http://169.254.169.254/latest/meta-data/',
      'http://example.com/x',
      'https://evil.example/x',
    ];
    for (const target of targets) {
      const h = harness({ [from]: [redirect(target)], [target]: [ok()] });
      const result = await h.http.get(from, { spacingMs: 0 });
      expect(result).toMatchObject({ ok: false, kind: 'redirect', status: 302, attempts: 1 });
      expect(result.ok ? '' : result.error).toMatch(/redirecting to .*: refused, /u);
      expect(h.requests.map((r) => r.url)).toEqual([from]);
    }
    const https = 'https://a.example/x';
    const down = harness({ [https]: [redirect('http://a.example/x')] });
    expect(await down.http.get(https, { spacingMs: 0 })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/refused, plain http/u),
    });
  });

  it('follows a redirect to a host of redirectHosts, over https only', async () => {
    const from = 'https://a.example/x';
    const to = 'https://cdn.example/x';
    const h = harness({ [from]: [redirect(to)], [to]: [ok()] }, { redirectHosts: ['cdn.example'] });
    expect(await h.http.get(from, { spacingMs: 0 })).toMatchObject({ ok: true, url: to, attempts: 2 });
    expect(redirectProblem(new URL(from), new URL('http://cdn.example/x'), ['cdn.example'])).toMatch(
      /plain http/u,
    );
    expect(redirectProblem(new URL(from), new URL('https://169.254.169.254/'), ['169.254.169.254'])).toMatch(
      /link-local/u,
    );
  });

  it('ends a redirect loop after MAX_REDIRECTS hops, each spaced and counted, without retrying it', async () => {
    const url = 'https://a.example/loop';
    const h = harness({ [url]: Array.from({ length: 50 }, () => redirect(url)) });
    const result = await h.http.get(url, { spacingMs: 1000 });
    expect(result).toMatchObject({ ok: false, kind: 'redirect', attempts: MAX_REDIRECTS + 1 });
    expect(result.ok ? '' : result.error).toMatch(/more than 5 redirects \(a loop\?\), stopped/u);
    expect(h.requests).toHaveLength(MAX_REDIRECTS + 1);
    expect(h.sleeps).toEqual(Array.from({ length: MAX_REDIRECTS }, () => 1000));
  });
});

describe('PoliteHttp, bodies and cancelling', () => {
  it('does not retry a body that cannot be decoded (a corrupt gzip), and says it is the body', async () => {
    const url = 'https://a.example/x';
    const h = harness({
      [url]: [new HttpRequestError('bad-body', 'the body could not be decompressed'), ok()],
    });
    expect(await h.http.get(url, { spacingMs: 0 })).toMatchObject({
      ok: false,
      kind: 'bad-body',
      attempts: 1,
      error: 'the body could not be decompressed',
    });
    expect(h.requests).toHaveLength(1);
  });

  it('gives up at once on a Retry-After of 10 or more digits, as on any past the cap', async () => {
    for (const value of ['1000000000', '99999999999999999999']) {
      const url = 'https://a.example/x';
      const h = harness({ [url]: [status(429, { 'retry-after': value }), ok()] });
      const result = await h.http.get(url, { spacingMs: 0 });
      expect(result).toMatchObject({ ok: false, status: 429, attempts: 1 });
      expect(result.ok ? '' : result.error).toMatch(/longer than the 60 s this collector waits/u);
      expect(h.requests).toHaveLength(1);
    }
  });

  it('starts nothing once its signal aborts, and stops a pause', async () => {
    const controller = new AbortController();
    const url = 'https://a.example/x';
    const h = harness({ [url]: [status(500), ok()] }, {}, () => 0, controller.signal);
    controller.abort();
    expect(await h.http.get(url, { spacingMs: 0 })).toMatchObject({
      ok: false,
      kind: 'cancelled',
      attempts: 0,
    });
    expect(h.requests).toHaveLength(0);
  });
});

describe('retryAfterMs', () => {
  const now = Date.parse('2026-11-27T05:00:00Z');
  it('reads seconds and HTTP dates, and nothing else', () => {
    expect(retryAfterMs('120', now)).toBe(120_000);
    expect(retryAfterMs(' 0 ', now)).toBe(0);
    expect(retryAfterMs('Fri, 27 Nov 2026 05:01:00 GMT', now)).toBe(60_000);
    expect(retryAfterMs('Fri, 27 Nov 2026 04:00:00 GMT', now)).toBe(0);
    expect(retryAfterMs(undefined, now)).toBeUndefined();
    expect(retryAfterMs('-5', now)).toBeUndefined();
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs('1.5', now)).toBeUndefined();
    // Any number of digits is seconds (not a date, not dropped): a huge one is past any cap.
    expect(retryAfterMs('1000000000', now)).toBe(1_000_000_000_000);
    expect(retryAfterMs('12345678901234', now)).toBe(12_345_678_901_234_000);
  });
});
