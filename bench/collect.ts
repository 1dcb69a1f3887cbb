/**
 * The collector's own cost, over real HTTP against a local fake of the three sources replaying the
 * real samples (../shared/data; no spacing, so that only the work is timed). The stores are in
 * memory (Maps), so that what is timed is the collector: requests, checking each body with the
 * ingestion's parsers, hashing, gzip.
 * - a run whose sources all changed (everything fetched, checked, compressed, written) vs plain
 *   `fetch` of the same URLs with the bodies read and nothing else: what the checks cost;
 * - a run whose sources did not change (conditional requests answered 304) vs a run whose sources
 *   all changed: what remembering ETags saves.
 */
import { gzipSync } from 'node:zlib';
import { FetchHttpTransport } from '../functions/adapters/fetch-http-transport.ts';
import { collect } from '../functions/core/collect/collect.ts';
import { CollectorConfigSchema } from '../functions/core/collect/config.ts';
import type { CollectedFiles, FetchState, FetchStateStore } from '../functions/core/ports.ts';
import { loadSamples, sourceRoutes, startFakeSource } from '../test/support/fake-sources.ts';
import { hasSharedData } from '../test/support/shared-data.ts';
import { type BenchResult, result, timePerCall } from './harness.ts';

const DAY = '2026-06-12';

class MapState implements FetchStateStore {
  readonly states = new Map<string, FetchState>();
  /** When set, nothing is remembered: every run fetches everything, as the first one does. */
  constructor(private readonly forget = false) {}
  async get(url: string) {
    return this.forget ? undefined : this.states.get(url);
  }
  async put(state: FetchState) {
    this.states.set(state.url, state);
  }
}

export async function benchCollect(): Promise<BenchResult[]> {
  if (!hasSharedData) {
    console.error('  collect: the real samples (../shared/data) are missing; skipped');
    return [];
  }
  const samples = await loadSamples();
  const fake = await startFakeSource(sourceRoutes(samples, { [DAY]: samples.hf2026 }, ['cs.CL', 'cs.LG']), {
    validators: 'etag',
  });
  try {
    const config = CollectorConfigSchema.parse({
      contact: 'bench@example.org',
      hf: { baseUrl: fake.url, pastDays: 0, spacingMs: 0 },
      arxivRss: { baseUrl: fake.url, spacingMs: 0 },
      arxivApi: { baseUrl: fake.url, pageSize: 10, spacingMs: 0 },
    });
    let written = 0;
    const files: CollectedFiles = {
      put: async (object) => {
        // What the S3 adapter does before the upload: compress.
        written += gzipSync(object.body).byteLength;
      },
    };
    let id = 0;
    const deps = (state: FetchStateStore) => ({
      config,
      transport: new FetchHttpTransport(),
      state,
      files,
      runs: { record: async () => {} },
      ingests: { ingested: async () => true },
      lease: { acquire: async () => ({ acquired: true as const }), release: async () => {} },
      leaseMs: 600_000,
      clock: { now: () => new Date() },
      sleeper: { sleep: async () => {} },
      random: Math.random,
      ids: {
        next: () => {
          id += 1;
          return String(id);
        },
      },
    });
    const changed = deps(new MapState(true));
    const remembered = new MapState();
    const unchanged = deps(remembered);
    const first = await collect({ day: DAY }, unchanged);
    const urls = first.sources.flatMap((s) => s.fetched.map((f) => f.url)).filter(Boolean);
    const check = await collect({ day: DAY }, unchanged);
    const notModified = check.sources.reduce((n, s) => n + s.notModified, 0);
    if (notModified !== urls.length)
      throw new Error(`expected ${urls.length} not-modified answers, got ${notModified}`);

    const full = await timePerCall(() => collect({ day: DAY }, changed), { minMs: 1000, rounds: 3 });
    const plain = await timePerCall(
      async () => {
        for (const url of urls) await (await fetch(url)).arrayBuffer();
      },
      { minMs: 1000, rounds: 3 },
    );
    const conditional = await timePerCall(() => collect({ day: DAY }, unchanged), { minMs: 1000, rounds: 3 });
    console.error(
      `  collect: ${urls.length} URLs a run; ${written.toLocaleString('en-US')} gzip bytes written in all`,
    );
    return [
      result(
        `collector run, ${urls.length} URLs, all changed (fetch, check, gzip)`,
        full,
        'ms',
        'plain fetch of the same URLs',
        plain,
        false,
      ),
      result(
        `collector run, ${urls.length} URLs, none changed (304s)`,
        conditional,
        'ms',
        'the same run, all changed',
        full,
        false,
      ),
    ];
  } finally {
    await fake.close();
  }
}
