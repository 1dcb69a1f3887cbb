import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeSource, loadSamples, sourceRoutes, startFakeSource } from '../support/fake-sources.ts';
import { hasSharedData, sharedDataSkipReason } from '../support/shared-data.ts';
import { paperboy as launchPaperboy } from './processes.ts';

/**
 * End to end, as an operator runs it: `npx paperboy collect --base-url <fake>` (no stack running,
 * so the command starts the emulators itself) → objects in s3rver → the ingestion → papers in the
 * table; then `npx paperboy edition run` makes an edition from them.
 */
const BIN = new URL('../../bin/paperboy.mjs', import.meta.url).pathname;
const DAY = '2026-06-12';

let dataDir: string;
let fake: FakeSource;

async function paperboy(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)('node', [BIN, ...args, '--data-dir', dataDir], {
      env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'ERROR', ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code: number; stdout: string; stderr: string };
    return { code: failure.code, stdout: failure.stdout, stderr: failure.stderr };
  }
}

/** Small spacings, so that the run takes a second; --base-url sends every source to the fake. */
const FAST = {
  PAPERBOY_COLLECTOR_CONFIG: JSON.stringify({
    contact: 'ops@example.org',
    hf: { spacingMs: 20 },
    arxivRss: { spacingMs: 20, categories: ['cs.CL'] },
    arxivApi: { spacingMs: 20, pageSize: 10 },
  }),
};

beforeAll(async () => {
  if (!hasSharedData) return;
  dataDir = await mkdtemp(join(tmpdir(), 'paperboy-collect-'));
  const samples = await loadSamples();
  fake = await startFakeSource(sourceRoutes(samples, { [DAY]: samples.hf2026 }, ['cs.CL']), {
    validators: 'etag',
  });
});
afterAll(async () => {
  await fake?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe.skipIf(!hasSharedData)(
  `npx paperboy collect${hasSharedData ? '' : ` (${sharedDataSkipReason})`}`,
  { timeout: 120_000 },
  () => {
    it('collects from a fake source into the bucket, the ingestion stores the papers, and an edition is made from them', async () => {
      const collected = await paperboy(['collect', '--base-url', fake.url, '--date', DAY, '--json'], FAST);
      expect(collected.stderr).not.toMatch(/paperboy: /u);
      expect(collected.code).toBe(0);
      const run = JSON.parse(collected.stdout) as {
        sources: { source: string; objects: string[]; papers: number; fetched: { outcome: string }[] }[];
        ingested: Record<string, { status: string; accepted: number; format: string }>;
      };
      const bySource = Object.fromEntries(run.sources.map((s) => [s.source, s]));
      // HF: the day's 30 items in one page of 50; the two days before are empty.
      expect(bySource.hf).toMatchObject({ papers: 30 });
      expect(bySource.hf?.objects).toHaveLength(1);
      expect(bySource.hf?.fetched.map((f) => f.outcome)).toEqual(['written', 'empty', 'empty']);
      // The feeds list only today's announcements: not asked for another day.
      expect(bySource['arxiv-rss']?.fetched.map((f) => f.outcome)).toEqual([
        expect.stringMatching(/^skipped: the listing feeds only list today's/u),
      ]);
      expect(bySource['arxiv-api']).toMatchObject({ papers: 10 });
      const submitted = fake.seen.find((r) => r.path.startsWith('/api/query'));
      expect(new URL(submitted?.path ?? '', 'http://x').searchParams.get('search_query')).toBe(
        '(cat:cs.CL OR cat:cs.LG) AND submittedDate:[202606120000 TO 202606122359]',
      );
      const keys = run.sources.flatMap((s) => s.objects);
      expect(keys).toHaveLength(2);
      for (const key of keys) {
        expect(key.startsWith('incoming/collected/')).toBe(true);
        expect(run.ingested[key]).toMatchObject({ status: 'ingested' });
      }
      expect(run.ingested[bySource.hf?.objects[0] ?? '']).toMatchObject({ format: 'hf-daily', accepted: 30 });

      const edition = await paperboy(['edition', 'run', '--date', DAY, '--json']);
      expect(edition.code).toBe(0);
      const made = JSON.parse(edition.stdout) as { outcome: string; entries: number };
      expect(made.outcome).toBe('made');
      expect(made.entries).toBeGreaterThan(0);
    });

    it('asks again conditionally, writes nothing new, and prints each source in words', async () => {
      const again = await paperboy(
        ['collect', '--base-url', fake.url, '--date', DAY, '--source', 'hf'],
        FAST,
      );
      expect(again.code).toBe(0);
      expect(again.stdout).toMatch(
        /^hf: 3 request\(s\), 0 file\(s\) written with 0 paper\(s\), 3 not modified/mu,
      );
      expect(again.stdout).toMatch(
        /not modified 304 http:\/\/127\.0\.0\.1:\d+\/api\/daily_papers\?date=2026-06-12&p=0&limit=50/u,
      );
    });

    it('exits 1 and says why when a source fails, 2 for a bad --base-url', async () => {
      fake.faults.set('/api/daily_papers', [{ kind: 'html' }, { kind: 'html' }, { kind: 'html' }]);
      const failed = await paperboy(
        ['collect', '--base-url', fake.url, '--source', 'hf', '--date', DAY],
        FAST,
      );
      expect(failed.code).toBe(1);
      expect(failed.stderr).toMatch(
        /hf: failed: .*not a Hugging Face daily papers JSON array: an XML document with root <html>/u,
      );
      const bad = await paperboy(['collect', '--base-url', 'ftp://example.org'], FAST);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/--base-url ftp:\/\/example\.org has the scheme ftp: only https/u);
      // Each wrong URL is told what is wrong with it, not one message for every reason.
      const fragment = await paperboy(['collect', '--base-url', `${fake.url}/#frag`], FAST);
      expect(fragment.code).toBe(2);
      expect(fragment.stderr).toMatch(/has a fragment \(#frag\)/u);
      // A day far outside the sources' range is bad input, not sent to them.
      for (const day of ['9999-12-31', '0001-01-01']) {
        const far = await paperboy(['collect', '--base-url', fake.url, '--date', day], FAST);
        expect(far.code).toBe(2);
        expect(far.stderr).toMatch(day.startsWith('9') ? /is after tomorrow/u : /is before 2018-01-01/u);
      }
    });

    it('stops in order on Ctrl-C: the request cancelled, the run recorded, the lease given back for the next run', async () => {
      fake.faults.set('/api/daily_papers', [{ kind: 'hang' }]);
      const before = fake.seen.length;
      const run = launchPaperboy('collect', '--base-url', fake.url, '--source', 'hf', '--data-dir', dataDir);
      await run.waitFor('stderr', 'collecting from hf', 60_000);
      for (let i = 0; i < 400 && fake.seen.length === before; i += 1)
        await new Promise((r) => setTimeout(r, 25));
      run.child.kill('SIGINT');
      const { code } = await run.exited;
      expect(code).toBe(1);
      expect(run.stderr).toMatch(/stopping the collection: its requests are cancelled/u);
      expect(run.stderr).toMatch(/stopped by Ctrl-C: the run is recorded/u);
      expect(run.stderr).toMatch(/cancelled: the collection was stopped/u);
      // The lease was given back: the next run collects (else: "a collection is running").
      const next = await paperboy(['collect', '--base-url', fake.url, '--source', 'hf'], FAST);
      expect(next.stderr).not.toMatch(/a collection is running/u);
      expect(next.code).toBe(0);
    });
  },
);
