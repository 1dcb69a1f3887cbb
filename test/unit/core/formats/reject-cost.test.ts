import { describe, expect, it } from 'vitest';
import { collectPapers, openPapers } from '../../../../functions/core/formats/open-papers.ts';
import type { ParsedRecord } from '../../../../functions/core/formats/records.ts';
import {
  type IngestFileDeps,
  ingestFile,
  MAX_REPORTED_REJECTS,
} from '../../../../functions/core/ingest-file.ts';
import { FixedClock } from '../../../support/memory-ports.ts';
import { chunked } from '../../../support/text.ts';

const observedAt = '2026-11-27T06:00:00.000Z';
const MiB = 1024 ** 2;

/** Reads every record as ingestion does past its reported rejects: counting, reading no reason. */
async function count(
  text: string,
): Promise<{ format: string; papers: number; rejected: number; ms: number }> {
  const start = performance.now();
  const { format, records } = await openPapers(chunked(text, 64 * 1024), { observedAt });
  let papers = 0;
  let rejected = 0;
  for await (const record of records) {
    if ('paper' in record) papers += 1;
    else rejected += 1;
  }
  return { format, papers, rejected, ms: performance.now() - start };
}

describe('a file of rejected records reads about as fast per character as a normal one', () => {
  // Before, each rejected record built its schema error and issue list, read or not: 48 MB of
  // `{}` lines or of `1,` elements took two minutes (0.4 MB/s, 2.5 µs per character; 1.5–2 µs
  // here). The budget, 0.5 µs per character, is twice what a normal file costs (about 50 ns per
  // character) and about twice what these cost now on a loaded 2-core machine.
  const budget = (chars: number) => 300 + chars * 0.0005;

  it.each([
    ['JSON Lines of `{}`', `${'{}\n'.repeat(MiB / 3)}`, 'jsonl'],
    ['JSON Lines of `null`', `{}\n${'null\n'.repeat(MiB / 5)}`, 'jsonl'],
    ['JSON Lines of objects without a date', `${'{"title":"t"}\n'.repeat(MiB / 14)}`, 'jsonl'],
    ['a daily papers array of `1`', `[${'1,'.repeat(MiB / 2)}1]`, 'hf-daily'],
    ['a daily papers array of `{}`', `[${'{},'.repeat(MiB / 3)}{}]`, 'hf-daily'],
  ])('%s', { timeout: 20_000 }, async (_name, text, format) => {
    const result = await count(text);
    expect(result.format).toBe(format);
    expect(result.papers).toBe(0);
    expect(result.rejected).toBeGreaterThan(MiB / 15);
    expect(result.ms, `${result.rejected} rejects in ${result.ms.toFixed(0)} ms`).toBeLessThan(
      budget(text.length),
    );
  });

  it('the reasons are all there when read, in full', async () => {
    const { rejects } = await collectPapers(
      chunked(`{}\n{"title":"t"}\nnull\n[1]\n{"title":5,"publishedAt":"2026-11-20T00:00:00Z"}\n`, 5),
      { observedAt },
    );
    expect(rejects.map((r) => [r.index, r.field])).toEqual([
      [0, 'title'],
      [0, 'publishedAt'],
      [1, 'publishedAt'],
      [2, '(root)'],
      [3, '(root)'],
      [4, 'title'],
    ]);
    expect(rejects[3]?.reason).toBe('expected an object, got null');
    expect(rejects[4]?.reason).toBe('expected an object, got an array');
    const hf = await collectPapers(`[1,{},{"paper":{"title":"x"}}]`, { observedAt });
    expect(hf.rejects.map((r) => [r.index, r.field])).toEqual([
      [0, '(root)'],
      [1, 'paper'],
      [2, 'paper.id'],
      [2, 'paper.publishedAt'],
    ]);
  });

  it('a reject read twice gives the same reasons, built once', async () => {
    const { records } = await openPapers(chunked('{}\n', 10), { observedAt });
    const first = (await records.next()).value as ParsedRecord & { rejects: unknown[] };
    expect(first.rejects).toBe(first.rejects);
    expect(first.rejects).toHaveLength(2);
  });
});

describe('ingest: past the reported rejects, rejects are only counted', () => {
  it('reports the first ones in full and counts all of them, quickly', { timeout: 20_000 }, async () => {
    const lines = MAX_REPORTED_REJECTS * 30;
    const text = '{}\n'.repeat(lines);
    const reports = new Map<string, unknown>();
    const deps: IngestFileDeps = {
      files: {
        open: async () => ({
          text: chunked(text, 64 * 1024),
          lastModified: new Date(observedAt),
          size: text.length,
          close: () => {},
        }),
        writeJson: async (key, value) => {
          reports.set(key, value);
        },
        move: async () => {},
      },
      papers: {
        store: async () => ({ new: 0, updated: 0, unchanged: 0, merged: 0, linked: 0 }),
        listPublishedOn: async () => [],
        signalHistory: async () => new Map(),
      },
      ingestLog: { record: async () => {} },
      clock: new FixedClock(new Date(observedAt)),
    };
    const start = performance.now();
    const result = await ingestFile({ key: 'incoming/empty.jsonl', etag: 'e' }, deps);
    const ms = performance.now() - start;
    expect(result).toMatchObject({ status: 'ingested', accepted: 0, rejected: lines });
    const report = reports.get('reports/incoming/empty.jsonl.rejects.json') as {
      rejectedRecords: number;
      reportedRejects: number;
      rejected: { index: number; field: string }[];
    };
    expect(report.rejectedRecords).toBe(lines);
    expect(report.reportedRejects).toBe(MAX_REPORTED_REJECTS);
    expect(report.rejected[0]).toMatchObject({ index: 0, field: 'title' });
    expect(report.rejected.at(-1)).toMatchObject({
      index: MAX_REPORTED_REJECTS / 2 - 1,
      field: 'publishedAt',
    });
    expect(ms).toBeLessThan(300 + text.length * 0.0005);
  });
});
