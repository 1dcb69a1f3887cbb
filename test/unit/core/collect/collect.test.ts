import { beforeAll, describe, expect, it } from 'vitest';
import { type CollectDeps, collect } from '../../../../functions/core/collect/collect.ts';
import {
  type CollectorConfigInput,
  CollectorConfigSchema,
} from '../../../../functions/core/collect/config.ts';
import type {
  CollectedObject,
  CollectLeaseHolder,
  CollectRun,
  FetchState,
  HttpResponse,
} from '../../../../functions/core/ports.ts';
import { hasSharedData, readSample, sharedDataSkipReason } from '../../../support/shared-data.ts';

/**
 * The collector's run rules with every port in memory and virtual time: what a rerun does after
 * a run stopped before the ingestion, one run at a time, the page cap, a reordered answer,
 * sources one after another, redirects, a cancelled run.
 */
type Answer = (url: string, headers: Record<string, string>) => HttpResponse;

interface World {
  deps: CollectDeps;
  objects: CollectedObject[];
  states: Map<string, FetchState>;
  ingested: Set<string>;
  runs: CollectRun[];
  requests: { url: string; headers: Record<string, string> }[];
  maxInFlight: () => number;
  holder: { current?: CollectLeaseHolder };
}

function world(answer: Answer, config: CollectorConfigInput, signal?: AbortSignal): World {
  let now = Date.parse('2026-11-27T05:00:00Z');
  let id = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const objects: CollectedObject[] = [];
  const states = new Map<string, FetchState>();
  const ingested = new Set<string>();
  const runs: CollectRun[] = [];
  const requests: World['requests'] = [];
  const holder: World['holder'] = {};
  const deps: CollectDeps = {
    config: CollectorConfigSchema.parse(config),
    transport: {
      get: async (url, request) => {
        requests.push({ url, headers: request.headers });
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 1));
        now += 50;
        inFlight -= 1;
        return answer(url, request.headers);
      },
    },
    state: {
      get: async (url) => states.get(url),
      put: async (state) => {
        states.set(state.url, state);
      },
    },
    files: {
      put: async (object) => {
        objects.push(object);
      },
    },
    runs: {
      record: async (run) => {
        runs.push(run);
      },
    },
    ingests: { ingested: async (key) => ingested.has(key) },
    lease: {
      acquire: async (owner, at, until) => {
        const current = holder.current;
        if (current && current.until >= at.toISOString()) return { acquired: false, holder: current };
        holder.current = { owner, since: at.toISOString(), until: until.toISOString() };
        return { acquired: true };
      },
      release: async (owner) => {
        if (holder.current?.owner === owner) delete holder.current;
      },
    },
    leaseMs: 600_000,
    clock: { now: () => new Date(now) },
    sleeper: {
      sleep: async (ms) => {
        now += ms;
      },
    },
    random: () => 0.5,
    ids: {
      next: () => {
        id += 1;
        return `run-${id}`;
      },
    },
    ...(signal ? { signal } : {}),
  };
  return { deps, objects, states, ingested, runs, requests, maxInFlight: () => maxInFlight, holder };
}

const json = (value: unknown, headers: Record<string, string> = {}): HttpResponse => ({
  status: 200,
  headers,
  body: new TextEncoder().encode(JSON.stringify(value)),
});

const hfOnly = (base: string, hf: Record<string, unknown> = {}): CollectorConfigInput => ({
  contact: 'ops@example.org',
  hf: { baseUrl: base, pastDays: 0, spacingMs: 1000, ...hf },
  arxivRss: { enabled: false },
  arxivApi: { enabled: false },
});

let items: { paper: { id: string; upvotes: number } }[] = [];
beforeAll(async () => {
  if (hasSharedData) items = JSON.parse(await readSample('hf-daily-papers-2026-06-12.json'));
});

describe.skipIf(!hasSharedData)(
  `collect, its run rules${hasSharedData ? '' : ` (${sharedDataSkipReason})`}`,
  () => {
    it('fetches in full and writes again a URL whose last object was never ingested (a run stopped before the ingestion)', async () => {
      const w = world(
        (_url, headers) =>
          headers['if-none-match'] === '"v1"'
            ? { status: 304, headers: { etag: '"v1"' }, body: new Uint8Array() }
            : json(items, { etag: '"v1"' }),
        hfOnly('https://hf.example'),
      );
      const first = await collect({ day: '2026-11-27' }, w.deps);
      const [written] = first.sources[0]?.objects ?? [];
      expect(written).toBeDefined();
      // Stopped here: the object is in the bucket, the ingestion never ran.
      const second = await collect({ day: '2026-11-27' }, w.deps);
      const hf = second.sources[0];
      expect(w.requests[1]?.headers['if-none-match']).toBeUndefined();
      expect(hf).toMatchObject({ notModified: 0, unchanged: 0, papers: 30 });
      expect(hf?.objects).toHaveLength(1);
      expect(hf?.fetched.some((f) => f.outcome.includes('was never ingested'))).toBe(true);
      // Once the ingestion has a record of the object, the URL's state is trusted again: 304.
      w.ingested.add(hf?.objects[0] as string);
      const third = await collect({ day: '2026-11-27' }, w.deps);
      expect(w.requests[2]?.headers['if-none-match']).toBe('"v1"');
      expect(third.sources[0]).toMatchObject({ notModified: 1, objects: [] });
    });

    it('writes nothing for the same papers in another order, and writes a changed upvote', async () => {
      let answer = items;
      const w = world(() => json(answer), hfOnly('https://hf.example'));
      await collect({ day: '2026-11-27' }, w.deps);
      for (const key of w.objects.map((o) => o.key)) w.ingested.add(key);
      answer = [...items].reverse();
      const reordered = await collect({ day: '2026-11-27' }, w.deps);
      expect(reordered.sources[0]).toMatchObject({ unchanged: 1, objects: [] });
      answer = structuredClone(answer);
      (answer[5] as { paper: { upvotes: number } }).paper.upvotes += 10;
      const upvoted = await collect({ day: '2026-11-27' }, w.deps);
      expect(upvoted.sources[0]).toMatchObject({ unchanged: 0, papers: 30 });
      expect(upvoted.sources[0]?.objects).toHaveLength(1);
    });

    it('says so when it stopped at maxPages with a full last page', async () => {
      const w = world(
        (url) => {
          const page = Number(new URL(url).searchParams.get('p'));
          return json(
            items.slice(0, 10).map((item, i) => ({
              ...item,
              paper: { ...item.paper, id: `2611.${page}${String(i).padStart(4, '0')}` },
            })),
          );
        },
        hfOnly('https://hf.example', { pageSize: 10, maxPages: 3 }),
      );
      const run = await collect({ day: '2026-11-27' }, w.deps);
      expect(w.requests).toHaveLength(3);
      expect(run.sources[0]?.fetched.at(-1)).toEqual({
        url: '',
        outcome:
          'stopped after 3 page(s) of 2026-11-27 (maxPages); the last was full, so more are left unread',
      });
      const short = world(
        () => json(items.slice(0, 4)),
        hfOnly('https://hf.example', { pageSize: 10, maxPages: 3 }),
      );
      const done = await collect({ day: '2026-11-27' }, short.deps);
      expect(done.sources[0]?.fetched.some((f) => f.outcome.startsWith('stopped after'))).toBe(false);
    });

    it('collects nothing while another collection holds the lease, and says who holds it', async () => {
      const w = world(() => json(items), hfOnly('https://hf.example'));
      w.holder.current = {
        owner: 'run-other',
        since: '2026-11-27T04:59:00.000Z',
        until: '2026-11-27T05:09:00.000Z',
      };
      const run = await collect({ day: '2026-11-27' }, w.deps);
      expect(run.skipped).toMatch(
        /^a collection is running \(run run-other, started 2026-11-27T04:59:00.000Z/u,
      );
      expect(run.sources).toEqual([]);
      expect(w.requests).toHaveLength(0);
      expect(w.holder.current?.owner).toBe('run-other');
      // A lease that ended (its run crashed) is taken over, and given back at the end.
      w.holder.current = {
        owner: 'run-crashed',
        since: '2026-11-27T03:00:00.000Z',
        until: '2026-11-27T03:10:00.000Z',
      };
      const next = await collect({ day: '2026-11-27' }, w.deps);
      expect(next.skipped).toBeUndefined();
      expect(next.sources[0]?.objects).toHaveLength(1);
      expect(w.holder.current).toBeUndefined();
    });

    it('runs the sources one after another: one answer in memory at a time', async () => {
      const w = world(
        (url) =>
          url.includes('/api/daily_papers')
            ? json(items.slice(0, 3))
            : { status: 500, headers: {}, body: new Uint8Array() },
        {
          contact: 'ops@example.org',
          hf: { baseUrl: 'https://hf.example', pastDays: 2, spacingMs: 0 },
          arxivRss: { baseUrl: 'https://rss.example', spacingMs: 0 },
          arxivApi: { baseUrl: 'https://api.example', spacingMs: 0 },
          retries: 0,
        },
      );
      const run = await collect({ day: '2026-11-27' }, w.deps);
      expect(run.sources.map((s) => s.source)).toEqual(['hf', 'arxiv-rss', 'arxiv-api']);
      expect(w.requests.length).toBeGreaterThanOrEqual(6);
      expect(w.maxInFlight()).toBe(1);
    });

    it('names the URL that answered after a redirect in the object’s metadata', async () => {
      const w = world(
        (url) =>
          url.includes('/api/daily_papers')
            ? { status: 302, headers: { location: '/api/v2/daily?date=2026-11-27' }, body: new Uint8Array() }
            : json(items),
        hfOnly('https://hf.example'),
      );
      const run = await collect({ day: '2026-11-27' }, w.deps);
      expect(run.sources[0]?.requests).toBe(2);
      expect(w.objects[0]?.metadata).toMatchObject({
        url: 'https://hf.example/api/v2/daily?date=2026-11-27',
        'requested-url': 'https://hf.example/api/daily_papers?date=2026-11-27&p=0&limit=50',
      });
      expect(run.sources[0]?.fetched[0]?.redirectedTo).toBe(
        'https://hf.example/api/v2/daily?date=2026-11-27',
      );
    });

    it('stops when its signal aborts, and still records its run', async () => {
      const controller = new AbortController();
      const w = world(
        () => {
          controller.abort();
          return json(items.slice(0, 3));
        },
        { ...hfOnly('https://hf.example', { pastDays: 2 }), arxivRss: { baseUrl: 'https://rss.example' } },
        controller.signal,
      );
      const run = await collect({ day: '2026-11-27' }, w.deps);
      // The first answer came in (and is written); nothing else was asked.
      expect(w.requests).toHaveLength(1);
      expect(run.sources[0]?.errorMessages).toEqual([
        'stopped: the collection was stopped (cancelled) before this source was done',
      ]);
      expect(run.sources[1]?.errorMessages).toEqual(['not started: the collection was stopped']);
      expect(w.runs).toHaveLength(1);
      expect(w.holder.current).toBeUndefined();
    });
  },
);
