/**
 * Local fakes of the collector's sources: small node:http servers that answer as Hugging Face's
 * daily papers API, arXiv's listing feeds and arXiv's API do, replaying the real samples in
 * ../shared/data. Each fake can be told to misbehave for given requests (a 429 with Retry-After,
 * a 500, a hang, an HTML error page, a truncated body), and records what it was asked.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readSample } from './shared-data.ts';

export type Fault =
  | { kind: 'status'; status: number; retryAfter?: string }
  | { kind: 'hang' }
  | { kind: 'html' }
  | { kind: 'truncated' };

export interface SeenRequest {
  /** Path and query, as asked. */
  path: string;
  headers: IncomingMessage['headers'];
  /** Answered with this status (0 for a hang). */
  status: number;
  /** The test's clock when the request arrived (its virtual time, when the test's clock is virtual). */
  at: number;
}

export interface FakeSource {
  url: string;
  seen: SeenRequest[];
  /** The most requests it was ever answering at once. */
  maxInFlight: number;
  /** Faults for the next requests whose path (and query) contains the key, one per request. */
  faults: Map<string, Fault[]>;
  close(): Promise<void>;
}

/** What the fake answers for a path: a body and its content type, or 404. */
export type Routes = (path: string, query: URLSearchParams) => { body: string; type: string } | undefined;

/** Validators the fake sends and honours: ETag (If-None-Match), Last-Modified (If-Modified-Since), or none. */
export type Validators = 'etag' | 'last-modified' | 'none';

const LAST_MODIFIED = 'Thu, 26 Nov 2026 20:00:00 GMT';

export async function startFakeSource(
  routes: Routes,
  options: { validators: Validators; now?: () => number },
): Promise<FakeSource> {
  const seen: SeenRequest[] = [];
  const faults = new Map<string, Fault[]>();
  let inFlight = 0;
  const state = { maxInFlight: 0 };
  const hanging = new Set<ServerResponse>();
  const server: Server = createServer((request, response) => {
    inFlight += 1;
    state.maxInFlight = Math.max(state.maxInFlight, inFlight);
    response.on('close', () => {
      inFlight -= 1;
      hanging.delete(response);
    });
    const path = request.url ?? '/';
    const entry: SeenRequest = { path, headers: request.headers, status: 0, at: (options.now ?? Date.now)() };
    seen.push(entry);
    const fault = takeFault(faults, path);
    const url = new URL(path, 'http://fake');
    const answer = routes(url.pathname, url.searchParams);
    const send = (status: number, body = '', headers: Record<string, string> = {}) => {
      entry.status = status;
      response.writeHead(status, headers);
      response.end(body);
    };
    if (fault?.kind === 'hang') {
      hanging.add(response);
      return;
    }
    if (fault?.kind === 'status') {
      return send(fault.status, `error ${fault.status}`, {
        'content-type': 'text/plain',
        ...(fault.retryAfter ? { 'retry-after': fault.retryAfter } : {}),
      });
    }
    if (fault?.kind === 'html') {
      return send(
        200,
        '<!DOCTYPE html>\n<html><head><title>Service unavailable</title></head><body><h1>We are down for maintenance</h1></body></html>',
        { 'content-type': 'text/html' },
      );
    }
    if (!answer) return send(404, 'not found', { 'content-type': 'text/plain' });
    if (fault?.kind === 'truncated') {
      return send(200, answer.body.slice(0, Math.floor(answer.body.length / 2)), {
        'content-type': answer.type,
      });
    }
    const etag = `"${createHash('sha256').update(answer.body).digest('hex').slice(0, 16)}"`;
    if (options.validators === 'etag' && request.headers['if-none-match'] === etag)
      return send(304, '', { etag });
    if (options.validators === 'last-modified' && request.headers['if-modified-since'] === LAST_MODIFIED) {
      return send(304, '', { 'last-modified': LAST_MODIFIED });
    }
    send(200, answer.body, {
      'content-type': answer.type,
      ...(options.validators === 'etag' ? { etag } : {}),
      ...(options.validators === 'last-modified' ? { 'last-modified': LAST_MODIFIED } : {}),
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    get maxInFlight() {
      return state.maxInFlight;
    },
    faults,
    close: async () => {
      for (const response of hanging) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function takeFault(faults: Map<string, Fault[]>, path: string): Fault | undefined {
  for (const [key, queue] of faults) {
    if (path.includes(key) && queue.length > 0) return queue.shift();
  }
  return undefined;
}

/** The real samples, read once. */
export async function loadSamples() {
  return {
    hf2026: JSON.parse(await readSample('hf-daily-papers-2026-06-12.json')) as unknown[],
    hf2024: JSON.parse(await readSample('hf-daily-papers-2024-10-25.json')) as unknown[],
    rss: await readSample('arxiv-rss-2026-4items.xml'),
    atom10: await readSample('arxiv-api-2026-search-10.xml'),
    atomEmpty: await readSample('arxiv-api-2026-zero-results.xml'),
  };
}
export type Samples = Awaited<ReturnType<typeof loadSamples>>;

/**
 * Every source's routes on one fake: `/api/daily_papers` pages a sample by `p` and `limit`
 * (`days` maps a date to its items, other dates get `[]`), `/rss/<category>` answers the RSS
 * sample for the listed categories, `/api/query` answers the 10-entry Atom sample at start 0 and
 * the empty feed after it.
 */
export function sourceRoutes(
  samples: Samples,
  days: Record<string, unknown[]>,
  categories: string[],
): Routes {
  return (path, query) => {
    if (path === '/api/daily_papers') {
      const items = days[query.get('date') ?? ''] ?? [];
      const limit = Number(query.get('limit') ?? '50');
      const page = Number(query.get('p') ?? '0');
      return {
        body: JSON.stringify(items.slice(page * limit, (page + 1) * limit)),
        type: 'application/json',
      };
    }
    const rss = /^\/rss\/(.+)$/u.exec(path);
    if (rss)
      return categories.includes(rss[1] ?? '')
        ? { body: samples.rss, type: 'application/rss+xml' }
        : undefined;
    if (path === '/api/query') {
      const start = Number(query.get('start') ?? '0');
      return { body: start === 0 ? samples.atom10 : samples.atomEmpty, type: 'application/atom+xml' };
    }
    return undefined;
  };
}
