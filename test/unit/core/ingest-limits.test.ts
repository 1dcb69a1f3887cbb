import { describe, expect, it } from 'vitest';
import {
  type IngestFileDeps,
  type IngestFileInput,
  ingestFile,
} from '../../../functions/core/ingest-file.ts';
import type { Paper } from '../../../functions/core/paper.ts';
import type { IngestRecord } from '../../../functions/core/ports.ts';
import { FixedClock } from '../../support/memory-ports.ts';
import { chunked } from '../../support/text.ts';

const KEY = 'incoming/papers.json';
const hfItem = (n: number) =>
  JSON.stringify({
    paper: {
      id: `2611.${String(n).padStart(5, '0')}`,
      title: `Paper ${n}`,
      summary: 'S',
      authors: [{ name: 'A' }],
      publishedAt: '2026-11-20T00:00:00.000Z',
    },
  });
const hfFile = (count: number) => `[${Array.from({ length: count }, (_, i) => hfItem(i)).join(',\n')}]`;

/** A bucket of one file and a table, in memory, recording what the use case did with them. */
function world(text: string, options: { size?: number; chunk?: number } = {}) {
  const state = {
    opened: false,
    charsRead: 0,
    stored: [] as Paper[],
    reports: new Map<string, unknown>(),
    moved: [] as [string, string][],
    closed: false,
    log: [] as IngestRecord[],
  };
  async function* read(): AsyncGenerator<string> {
    for await (const chunk of chunked(text, options.chunk ?? 1000)) {
      state.charsRead += chunk.length;
      yield chunk;
    }
  }
  const deps: IngestFileDeps = {
    files: {
      open: async () => {
        state.opened = true;
        return {
          text: read(),
          lastModified: new Date('2026-11-27T06:00:00Z'),
          size: options.size ?? text.length,
          close: () => {
            state.closed = true;
          },
        };
      },
      writeJson: async (key, value) => {
        state.reports.set(key, value);
      },
      move: async (from, to) => {
        state.moved.push([from, to]);
      },
    },
    papers: {
      store: async (batch) => {
        state.stored.push(...batch);
        return { new: batch.length, updated: 0, unchanged: 0, merged: 0, linked: 0 };
      },
      listPublishedOn: async () => [],
      signalHistory: async () => new Map(),
    },
    ingestLog: {
      record: async (entry) => {
        state.log.push(entry);
      },
    },
    clock: new FixedClock(new Date('2026-11-27T06:01:00Z')),
  };
  return { deps, state };
}

const input = (extra: Partial<IngestFileInput> = {}): IngestFileInput => ({ key: KEY, etag: 'e1', ...extra });

describe('ingest: a file too large to read', () => {
  it('is quarantined before a byte is read, by the size in the event, naming maxFileBytes', async () => {
    const { deps, state } = world(hfFile(3));
    const result = await ingestFile(input({ size: 3 * 1024 ** 3 }), deps);
    expect(result).toMatchObject({ status: 'quarantined', accepted: 0, format: 'unknown' });
    expect(result.error).toBe(
      'the file is 3,221,225,472 bytes, more than ingestion reads (limit maxFileBytes = 2,147,483,648 bytes, 2 GiB); split it into smaller files',
    );
    expect(state.charsRead).toBe(0);
    // The unread body is let go of (on S3, its connection).
    expect(state.closed).toBe(true);
    expect(state.moved).toEqual([[KEY, `quarantine/${KEY}`]]);
    expect(state.reports.get(`quarantine/${KEY}.error.json`)).toEqual({
      file: KEY,
      etag: 'e1',
      error: result.error,
      format: 'unknown',
      recordsBeforeTheFailure: 0,
      papersStoredBeforeTheFailure: 0,
      limit: { name: 'maxFileBytes', value: 2 * 1024 ** 3 },
    });
    expect(state.log).toMatchObject([{ key: KEY, status: 'quarantined', error: result.error }]);
  });

  it('uses the size the file store reports when the event has none, and honours a configured limit', async () => {
    const text = hfFile(3);
    const { deps, state } = world(text);
    const result = await ingestFile(input(), { ...deps, limits: { maxFileBytes: text.length - 1 } });
    expect(result.error).toMatch(/limit maxFileBytes = /u);
    expect(state.charsRead).toBe(0);
    const ok = world(text);
    expect(await ingestFile(input(), { ...ok.deps, limits: { maxFileBytes: text.length } })).toMatchObject({
      status: 'ingested',
      accepted: 3,
    });
  });
});

describe('ingest: a file that cannot be finished in time', () => {
  it('stores what was parsed, then quarantines the file saying how far it got and to split it', async () => {
    const { deps, state } = world(hfFile(1000), { chunk: 2000 });
    // The function's clock: a minute left, and each look at it costs a second.
    let left = 60_000;
    const remainingTimeMs = () => {
      left -= 1000;
      return left;
    };
    const result = await ingestFile(input({ remainingTimeMs }), deps);
    expect(result.status).toBe('quarantined');
    expect(result.error).toMatch(
      /^read as hf-daily: not finished within the function's time limit after [\d,]+ records \(stopped when less than 30,000 ms were left, limit deadlineMarginMs = 30,000 ms, 30 s; the papers read so far are stored\); split the file into smaller ones$/u,
    );
    // Everything parsed before the deadline is stored, and nothing after it was read.
    expect(result.accepted).toBeGreaterThan(100);
    expect(result.accepted).toBeLessThan(1000);
    expect(state.stored).toHaveLength(result.accepted);
    expect(state.stored.map((p) => p.id)).toEqual(
      Array.from({ length: result.accepted }, (_, i) => `2611.${String(i).padStart(5, '0')}`),
    );
    expect(state.charsRead).toBeLessThan(hfFile(1000).length);
    expect(state.reports.get(`quarantine/${KEY}.error.json`)).toMatchObject({
      recordsBeforeTheFailure: result.accepted,
      papersStoredBeforeTheFailure: result.accepted,
      limit: { name: 'deadlineMarginMs', value: 30_000 },
    });
    expect(state.moved).toEqual([[KEY, `quarantine/${KEY}`]]);
  });

  it('a file that fits in the time is ingested; without a deadline there is none', async () => {
    const fits = world(hfFile(50));
    expect(await ingestFile(input({ remainingTimeMs: () => 60_000 }), fits.deps)).toMatchObject({
      status: 'ingested',
      accepted: 50,
    });
    const none = world(hfFile(50));
    expect(await ingestFile(input(), { ...none.deps, limits: { deadlineMarginMs: 10 ** 9 } })).toMatchObject({
      status: 'ingested',
    });
  });

  it('starting with too little time left reads nothing and says so', async () => {
    const { deps, state } = world(hfFile(5));
    const result = await ingestFile(input({ remainingTimeMs: () => 10_000 }), deps);
    expect(result).toMatchObject({ status: 'quarantined', accepted: 0 });
    expect(result.error).toMatch(/after 0 records/u);
    expect(state.charsRead).toBe(0);
  });
});

describe('ingest: a file past a parsing limit', () => {
  it('is quarantined with the limit in its reason and in the report; records before it are stored', async () => {
    const depth = 200_000;
    const entry = (n: number) =>
      `<entry><id>http://arxiv.org/abs/2611.0000${n}</id><title>P${n}</title><summary>S</summary><published>2026-11-20T00:00:00Z</published></entry>`;
    const text = `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">${entry(1)}<entry>${'<a>'.repeat(depth)}${'</a>'.repeat(depth)}</entry></feed>`;
    const { deps, state } = world(text, { chunk: 64 * 1024 });
    const result = await ingestFile(input(), deps);
    expect(result).toMatchObject({ status: 'quarantined', format: 'arxiv-api', accepted: 1 });
    expect(result.error).toMatch(/^read as arxiv-api: XML elements nested deeper than 64 levels at line 1/u);
    expect(state.stored.map((p) => p.id)).toEqual(['2611.00001']);
    expect(state.reports.get(`quarantine/${KEY}.error.json`)).toMatchObject({
      papersStoredBeforeTheFailure: 1,
      limit: { name: 'maxXmlDepth', value: 64 },
    });
  });

  it('a record past a limit is only a rejected record: the file is ingested', async () => {
    const text = `[${hfItem(1)},{"paper":{"title":"${'x'.repeat(5000)}"}},${hfItem(3)}]`;
    const { deps, state } = world(text);
    const result = await ingestFile(input(), { ...deps, limits: { maxJsonElementChars: 1000 } });
    expect(result).toMatchObject({ status: 'ingested', accepted: 2, rejected: 1 });
    expect(state.reports.get(`reports/${KEY}.rejects.json`)).toMatchObject({
      rejected: [{ index: 1, field: '(root)', reason: expect.stringContaining('maxJsonElementChars') }],
    });
  });
});

describe('ingest: maxDecompressedBytes holds whatever the file store', () => {
  // The file store's gunzip has its own bound (S3FileStore's constructor argument, which the
  // composition root now sets from the same limits); the use case checks the text it reads too,
  // so that `deps.limits.maxDecompressedBytes` is never silently ignored.
  it('a file whose text outgrows both the object and the limit is quarantined as soon as it does', async () => {
    const text = hfFile(2000);
    // A 1,000-byte object whose text is 300 KB: only a compressed file does that.
    const { deps, state } = world(text, { size: 1000, chunk: 4096 });
    const result = await ingestFile(input(), { ...deps, limits: { maxDecompressedBytes: 100_000 } });
    expect(result).toMatchObject({ status: 'quarantined', format: 'hf-daily' });
    expect(result.error).toBe(
      'read as hf-daily: the file expands past 100,000 bytes once decompressed; refused as a decompression bomb (limit maxDecompressedBytes = 100,000 bytes)',
    );
    // Stopped at the chunk that passed the limit; the papers read before it are stored.
    expect(state.charsRead).toBeLessThanOrEqual(100_000 + 4096);
    expect(result.accepted).toBeGreaterThan(0);
    expect(state.stored).toHaveLength(result.accepted);
    expect(state.reports.get(`quarantine/${KEY}.error.json`)).toMatchObject({
      limit: { name: 'maxDecompressedBytes', value: 100_000 },
    });
  });

  it('counts bytes of text, not characters', async () => {
    // Three bytes per character in UTF-8: 40,000 characters are 120,000 bytes.
    const text = hfFile(1).replace('Paper 0', `Paper ${'€'.repeat(40_000)}`);
    const { deps } = world(text, { size: 1000, chunk: 4096 });
    const result = await ingestFile(input(), { ...deps, limits: { maxDecompressedBytes: 100_000 } });
    expect(result).toMatchObject({ status: 'quarantined' });
    expect(result.error).toMatch(/limit maxDecompressedBytes = 100,000 bytes/u);
  });

  it('a file that is not compressed is bounded by maxFileBytes, not by this', async () => {
    const text = hfFile(2000);
    const { deps } = world(text, { size: text.length });
    const result = await ingestFile(input(), { ...deps, limits: { maxDecompressedBytes: 100_000 } });
    expect(result).toMatchObject({ status: 'ingested', accepted: 2000 });
  });
});
