import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoCollectRunLog } from '../../functions/adapters/dynamo-collector-state.ts';
import { keys } from '../../functions/adapters/dynamo-keys.ts';
import { COLLECTED_PREFIX, collect } from '../../functions/core/collect/collect.ts';
import type { CollectorConfigInput } from '../../functions/core/collect/config.ts';
import type { CollectRun, SourceRun } from '../../functions/core/ports.ts';
import { CollectEnv, collectDeps } from '../../functions/roots/collect.ts';
import { documentClient } from '../../functions/shared/aws/dynamodb.ts';
import { parseEnv } from '../../functions/shared/config.ts';
import {
  type FakeSource,
  loadSamples,
  type Samples,
  sourceRoutes,
  startFakeSource,
} from '../support/fake-sources.ts';
import { bootTestStack } from '../support/local-stack.ts';
import { hasSharedData, sharedDataSkipReason } from '../support/shared-data.ts';

/**
 * The collector against local fakes of its three sources (replaying the real samples), writing
 * into the local stack's bucket and table, whose ingestion then reads what it wrote. Time is
 * virtual: every pause the collector takes (spacing, Retry-After, back-off) moves the clock on at
 * once, and the fakes stamp each request with that clock, so that spacing is checked without
 * sleeping.
 */
const DAY = '2026-06-12';
const DAY_BEFORE = '2026-06-11';

let stack: Awaited<ReturnType<typeof bootTestStack>>;
let samples: Samples;
let hf: FakeSource;
let rss: FakeSource;
let api: FakeSource;
let offset = 0;
const sleeps: number[] = [];
const virtualNow = () => Date.now() + offset;

function config(): CollectorConfigInput {
  return {
    contact: 'ops@example.org',
    hf: { baseUrl: hf.url, pastDays: 1, pageSize: 12, maxPages: 5, spacingMs: 1000 },
    arxivRss: { baseUrl: rss.url, categories: ['cs.CL', 'cs.LG'], spacingMs: 3000 },
    arxivApi: { baseUrl: api.url, query: 'cat:cs.CL', pageSize: 10, maxPages: 3, spacingMs: 3000 },
    requestTimeoutMs: 400,
    retries: 1,
    maxRetryAfterMs: 30_000,
  };
}

async function runCollector(): Promise<CollectRun> {
  const env = parseEnv(CollectEnv, {
    TABLE_NAME: stack.options.tableName,
    BUCKET_NAME: stack.options.bucket,
    COLLECTOR_CONFIG: JSON.stringify(config()),
  });
  const deps = collectDeps(env, {
    clock: { now: () => new Date(virtualNow()) },
    sleeper: {
      sleep: async (ms) => {
        sleeps.push(ms);
        offset += ms;
      },
    },
    random: () => 0.5,
  });
  const run = await collect({ day: DAY }, deps);
  await stack.idle();
  return run;
}

const source = (run: CollectRun, name: string) => run.sources.find((s) => s.source === name) as SourceRun;

async function collectedKeys(): Promise<string[]> {
  const listed = await stack.s3.send(
    new ListObjectsV2Command({ Bucket: stack.options.bucket, Prefix: COLLECTED_PREFIX }),
  );
  return (listed.Contents ?? []).map((o) => o.Key as string).sort();
}

/** Requests to one fake in order: each at least `spacing` (virtual) ms after the one before. */
function gaps(fake: FakeSource): number[] {
  return fake.seen.slice(1).map((request, i) => request.at - (fake.seen[i]?.at ?? 0));
}

beforeAll(async () => {
  if (!hasSharedData) return;
  stack = await bootTestStack();
  samples = await loadSamples();
  const routes = sourceRoutes(samples, { [DAY]: samples.hf2026, [DAY_BEFORE]: samples.hf2024 }, [
    'cs.CL',
    'cs.LG',
  ]);
  hf = await startFakeSource(routes, { validators: 'etag', now: virtualNow });
  rss = await startFakeSource(routes, { validators: 'none', now: virtualNow });
  api = await startFakeSource(routes, { validators: 'last-modified', now: virtualNow });
});
afterAll(async () => {
  await Promise.all([hf?.close(), rss?.close(), api?.close()]);
  await stack?.cleanup();
});

describe.skipIf(!hasSharedData)(
  `the collector against fake sources${hasSharedData ? '' : ` (${sharedDataSkipReason})`}`,
  () => {
    let first: CollectRun;

    it('pages, waits out a 429 and a 500, refuses an HTML page, and writes what is new for ingestion', async () => {
      hf.faults.set(`date=${DAY}&p=0&`, [{ kind: 'status', status: 429, retryAfter: '5' }]);
      hf.faults.set(`date=${DAY}&p=1&`, [{ kind: 'status', status: 500 }]);
      rss.faults.set('/rss/cs.LG', [{ kind: 'html' }]);
      first = await runCollector();

      const h = source(first, 'hf');
      // The day: pages of 12, 12 and 6 items (one 429, one 500 retried); the day before: 12, 12, 5.
      expect(h).toMatchObject({
        requests: 8,
        notModified: 0,
        unchanged: 0,
        errors: 0,
        failed: false,
        papers: 59,
      });
      expect(h.objects).toHaveLength(6);
      expect(hf.seen.map((r) => [new URL(r.path, 'http://x').searchParams.get('date'), r.status])).toEqual([
        [DAY, 429],
        [DAY, 200],
        [DAY, 500],
        [DAY, 200],
        [DAY, 200],
        [DAY_BEFORE, 200],
        [DAY_BEFORE, 200],
        [DAY_BEFORE, 200],
      ]);
      // Retry-After (5 s) was waited for, on the virtual clock; every other gap is at least the spacing.
      expect(sleeps).toContain(5000);
      expect(gaps(hf)[0]).toBeGreaterThanOrEqual(5000);
      for (const gap of gaps(hf)) expect(gap).toBeGreaterThanOrEqual(1000);

      const r = source(first, 'arxiv-rss');
      expect(r).toMatchObject({ requests: 2, errors: 1, failed: false, papers: 4 });
      expect(r.objects).toHaveLength(1);
      expect(r.errorMessages[0]).toMatch(
        /rss\/cs\.LG: not an arXiv RSS feed: an XML document with root <html>/u,
      );
      for (const gap of gaps(rss)) expect(gap).toBeGreaterThanOrEqual(3000);

      const a = source(first, 'arxiv-api');
      // start=0 is full (10 entries), so start=10 is asked for; it is empty: nothing written for it.
      expect(a).toMatchObject({ requests: 2, errors: 0, failed: false, papers: 10 });
      expect(a.objects).toHaveLength(1);
      expect(a.fetched.map((f) => f.outcome)).toEqual(['written', 'empty']);
      const query = new URL(api.seen[0]?.path ?? '', 'http://x').searchParams;
      expect(Object.fromEntries(query)).toEqual({
        search_query: 'cat:cs.CL',
        sortBy: 'submittedDate',
        sortOrder: 'descending',
        start: '0',
        max_results: '10',
      });
      for (const gap of gaps(api)) expect(gap).toBeGreaterThanOrEqual(3000);

      // One request at a time per host, each saying who we are.
      for (const fake of [hf, rss, api]) {
        expect(fake.maxInFlight).toBe(1);
        expect(fake.seen[0]?.headers['user-agent']).toMatch(
          /^Paperboy\/\S+ \(.*\+mailto:ops@example\.org\)$/u,
        );
      }
    });

    it('stores gzip objects with source, URL and fetch time, which the ingestion reads into the table', async () => {
      const written = await collectedKeys();
      expect(written).toEqual([...first.sources.flatMap((s) => s.objects)].sort());
      expect(written).toHaveLength(8);
      const [key] = source(first, 'hf').objects;
      expect(key).toMatch(
        new RegExp(
          `^incoming/collected/hf/\\d{4}-\\d{2}-\\d{2}/daily-${DAY}-p0\\.\\d{8}T\\d{6}\\.\\d{3}Z\\.json\\.gz$`,
          'u',
        ),
      );
      const object = await stack.s3.send(new GetObjectCommand({ Bucket: stack.options.bucket, Key: key }));
      expect(object.Metadata).toMatchObject({
        source: 'hf',
        'fetched-at': expect.any(String),
        'observed-at': expect.any(String),
      });
      expect(object.Metadata?.url).toBe(`${hf.url}/api/daily_papers?date=${DAY}&p=0&limit=12`);
      const body = JSON.parse(
        gunzipSync((await object.Body?.transformToByteArray()) ?? new Uint8Array()).toString('utf8'),
      );
      expect(body).toEqual(samples.hf2026.slice(0, 12));

      const ingested = stack.ingested.filter((r) => r.key.startsWith(COLLECTED_PREFIX));
      expect(ingested.map((r) => r.key).sort()).toEqual(written);
      for (const result of ingested) expect(result.status).toBe('ingested');
      expect(ingested.reduce((n, r) => n + r.accepted, 0)).toBe(59 + 4 + 10);
      const formats = new Set(ingested.map((r) => r.format));
      expect(formats).toEqual(new Set(['hf-daily', 'arxiv-rss', 'arxiv-api']));
      // A paper from the HF page, with its signals observed at the fetch time (observed-at).
      const id = (samples.hf2026[0] as { paper: { id: string } }).paper.id;
      const { Item } = await documentClient().send(
        new GetCommand({ TableName: stack.options.tableName, Key: keys.paper(id) }),
      );
      expect(Item?.title).toBeTruthy();
      expect(Item?.source).toBe('hf-daily');
    });

    it('records the run, per source', async () => {
      const [stored] = await new DynamoCollectRunLog(documentClient(), stack.options.tableName).latest(1);
      expect(stored).toEqual(first);
    });

    it('asks conditionally next time, writes nothing for what did not change, and survives a truncated body and a hanging source', async () => {
      offset += 6 * 3600_000;
      sleeps.length = 0;
      const before = { hf: hf.seen.length, rss: rss.seen.length, api: api.seen.length };
      hf.faults.set(`date=${DAY_BEFORE}&p=0&`, [{ kind: 'truncated' }]);
      api.faults.set('start=0&', [{ kind: 'hang' }, { kind: 'hang' }]);
      const second = await runCollector();

      // The day's three pages are not modified (ETag); their remembered sizes still page through them.
      const h = source(second, 'hf');
      expect(h).toMatchObject({ requests: 4, notModified: 3, errors: 1, failed: false, objects: [] });
      expect(h.errorMessages[0]).toMatch(
        /not a Hugging Face daily papers JSON array: the JSON array ends early/u,
      );
      const asked = hf.seen.slice(before.hf);
      expect(asked.slice(0, 3).every((r) => typeof r.headers['if-none-match'] === 'string')).toBe(true);

      // cs.CL: the same bytes again (no validators from this server): unchanged. cs.LG answers properly now.
      const r = source(second, 'arxiv-rss');
      expect(r).toMatchObject({ requests: 2, unchanged: 1, errors: 0, failed: false });
      expect(r.objects).toEqual([expect.stringMatching(/^incoming\/collected\/arxiv-rss\/.*\/cs\.LG\./u)]);

      // The API hangs past the time limit twice: the source failed this run; the others went on.
      const a = source(second, 'arxiv-api');
      expect(a).toMatchObject({ requests: 2, errors: 1, failed: true, objects: [], papers: 0 });
      expect(a.errorMessages[0]).toMatch(/no complete answer within 400 ms .*gave up after 2 attempts/u);

      expect(await collectedKeys()).toHaveLength(9);
      const runs = await new DynamoCollectRunLog(documentClient(), stack.options.tableName).latest(5);
      expect(runs.map((run) => run.runId)).toEqual([second.runId, first.runId]);
    });

    it('takes a Last-Modified source at its word', async () => {
      offset += 3600_000;
      const before = api.seen.length;
      const third = await runCollector();
      const a = source(third, 'arxiv-api');
      // Both pages keep the Last-Modified of the first run (the hang changed nothing): both are 304,
      // and the remembered size of the first (10, a full page) is what asks for the second.
      expect(api.seen[before]?.headers['if-modified-since']).toBe('Thu, 26 Nov 2026 20:00:00 GMT');
      expect(a).toMatchObject({ notModified: 2, errors: 0, failed: false, objects: [] });
    });

    it('runs one collection at a time: a second one at the same moment fetches nothing and says a collection is running', async () => {
      offset += 3600_000;
      const before = { hf: hf.seen.length, rss: rss.seen.length, api: api.seen.length };
      const [one, two] = await Promise.all([runCollector(), runCollector()]);
      const skipped = [one, two].filter((run) => run.skipped);
      expect(skipped).toHaveLength(1);
      expect(skipped[0]?.skipped).toMatch(
        /^a collection is running \(run .+; its lease ends at the latest /u,
      );
      expect(skipped[0]?.sources).toEqual([]);
      // Only the other run asked anything: once per URL, as one run does.
      const ran = (one.skipped ? two : one) as CollectRun;
      expect(hf.seen.length - before.hf).toBe(source(ran, 'hf').requests);
      expect(api.seen.length - before.api).toBe(source(ran, 'arxiv-api').requests);
      // The lease was given back: the next run collects.
      offset += 60_000;
      expect((await runCollector()).skipped).toBeUndefined();
    });

    it('fetches in full a URL whose last object the ingestion has no record of', async () => {
      offset += 3600_000;
      const url = `${rss.url}/rss/cs.CL`;
      const db = documentClient();
      const { DynamoFetchStateStore } = await import('../../functions/adapters/dynamo-collector-state.ts');
      const states = new DynamoFetchStateStore(db, stack.options.tableName);
      const state = await states.get(url);
      expect(state?.objectKey).toMatch(/^incoming\/collected\/arxiv-rss\//u);
      // As if the last run had been stopped between writing its object and the ingestion.
      await states.put({
        ...(state as NonNullable<typeof state>),
        objectKey: 'incoming/collected/arxiv-rss/never/ingested.xml.gz',
      });
      const run = await runCollector();
      const r = source(run, 'arxiv-rss');
      expect(r.unchanged).toBe(1);
      expect(r.objects).toEqual([expect.stringMatching(/\/cs\.CL\./u)]);
      expect(r.fetched[0]?.outcome).toMatch(
        /never\/ingested\.xml\.gz\) was never ingested: fetched again in full/u,
      );
    });
  },
);
