import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CollectorConfigSchema } from '../../functions/core/collect/config.ts';
import type { CollectRun } from '../../functions/core/ports.ts';
import { describeCollectRun } from '../../functions/local/stack.ts';
import { type FakeSource, loadSamples, sourceRoutes, startFakeSource } from '../support/fake-sources.ts';
import { bootTestStack } from '../support/local-stack.ts';
import { hasSharedData, sharedDataSkipReason } from '../support/shared-data.ts';

/**
 * `npm start -- --collect` stopping (Ctrl-C) while a collection waits on a source that never
 * answers: the stack counts the collection as work in flight, cancelling it ends its request at
 * once (not after the 20 s request limit), and the run still records what was interrupted.
 */
let stack: Awaited<ReturnType<typeof bootTestStack>>;
let fake: FakeSource;

beforeAll(async () => {
  if (!hasSharedData) return;
  const samples = await loadSamples();
  fake = await startFakeSource(sourceRoutes(samples, { '2026-06-12': samples.hf2026 }, ['cs.CL']), {
    validators: 'etag',
  });
  stack = await bootTestStack({
    collector: {
      config: CollectorConfigSchema.parse({
        contact: 'ops@example.org',
        hf: { baseUrl: fake.url, pastDays: 0, spacingMs: 0 },
        arxivRss: { enabled: false },
        arxivApi: { enabled: false },
        requestTimeoutMs: 20_000,
      }),
      times: [],
    },
  });
});
afterAll(async () => {
  await fake?.close();
  await stack?.cleanup();
});

describe.skipIf(!hasSharedData)(
  `npm start's collection, stopped${hasSharedData ? '' : ` (${sharedDataSkipReason})`}`,
  () => {
    it('is work in flight, and Ctrl-C cancels its request at once and records what was interrupted', async () => {
      fake.faults.set('/api/daily_papers', [{ kind: 'hang' }]);
      const running = (stack.collect as () => Promise<CollectRun>)();
      for (let i = 0; i < 200 && fake.seen.length === 0; i += 1) await new Promise((r) => setTimeout(r, 25));
      expect(fake.seen).toHaveLength(1);
      expect((await stack.inFlight()).collections).toBe(1);

      const cancelledAt = Date.now();
      stack.cancelCollections();
      const run = await running;
      // Far below the 20 s request limit: the request was cancelled, not waited out.
      expect(Date.now() - cancelledAt).toBeLessThan(5000);
      expect(run.sources[0]?.errorMessages).toEqual([
        expect.stringMatching(/cancelled: the collection was stopped/u),
        'stopped: the collection was stopped (cancelled) before this source was done',
      ]);
      expect((await stack.inFlight()).collections).toBe(0);
      expect(describeCollectRun(run)).toMatch(
        /^hf 0 file\(s\), 0 papers, 0 not modified, 0 unchanged, 2 error\(s\) \(FAILED\) \[.*cancelled.*\]$/u,
      );
      // No request after the cancel.
      expect(fake.seen).toHaveLength(1);
    });
  },
);

describe('a collector run in one line', () => {
  it('shows the unchanged answers, a run skipped for another, and what was left unread', () => {
    const source = {
      source: 'hf',
      requests: 6,
      notModified: 0,
      unchanged: 6,
      papers: 0,
      bytes: 100,
      errors: 0,
      failed: false,
      objects: [],
      fetched: [
        { url: '', outcome: 'stopped after 4 page(s) of 2026-11-27 (maxPages); more are left unread' },
      ],
      errorMessages: [],
    };
    const run = { runId: 'r', startedAt: '', finishedAt: '', day: '2026-11-27', sources: [source] };
    expect(describeCollectRun(run)).toBe(
      'hf 0 file(s), 0 papers, 0 not modified, 6 unchanged, 0 error(s) [stopped after 4 page(s) of 2026-11-27 (maxPages); more are left unread]',
    );
    expect(describeCollectRun({ ...run, sources: [], skipped: 'a collection is running (…)' })).toBe(
      'skipped: a collection is running (…)',
    );
  });
});
