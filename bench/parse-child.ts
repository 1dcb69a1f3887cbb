/**
 * Runs in its own process so that its peak RSS is its own: parses one file streaming (as
 * ingestion does), through the whole ingest use case, or the naive way (read the whole file,
 * then parse it in one go), and prints {papers, rejected, ms, peakRssMb} as JSON.
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { decodeText } from '../functions/adapters/text-decoding.ts';
import { hfItemRecord } from '../functions/core/formats/hf-daily.ts';
import { openPapers } from '../functions/core/formats/open-papers.ts';
import type { Format, ParsedRecord } from '../functions/core/formats/records.ts';
import { ingestFile } from '../functions/core/ingest-file.ts';

const [file, mode, format] = process.argv.slice(2) as [string, 'streaming' | 'whole' | 'ingest', Format];
const observedAt = '2026-11-27T00:00:00.000Z';
let papers = 0;
let rejected = 0;
const count = (record: ParsedRecord) => {
  if ('paper' in record) papers += 1;
  else rejected += 1;
};

const start = performance.now();
if (mode === 'ingest') {
  // The ingest use case end to end (open, detect, parse, batch, count duplicates, report),
  // reading the file from disk and with the table writes replaced by a counter.
  const { stat } = await import('node:fs/promises');
  const result = await ingestFile(
    { key: 'incoming/bench.json', etag: 'bench' },
    {
      files: {
        open: async () => {
          const stream = createReadStream(file, { highWaterMark: 256 * 1024 });
          return {
            text: decodeText(stream),
            lastModified: new Date(),
            size: (await stat(file)).size,
            close: () => stream.destroy(),
          };
        },
        writeJson: async () => {},
        move: async () => {},
      },
      papers: {
        store: async (batch) => ({ new: batch.length, updated: 0, unchanged: 0, merged: 0, linked: 0 }),
        listPublishedOn: async () => [],
        signalHistory: async () => new Map(),
      },
      ingestLog: { record: async () => {} },
      clock: { now: () => new Date() },
    },
  );
  papers = result.accepted;
  rejected = result.rejected;
} else if (mode === 'streaming') {
  const { records } = await openPapers(decodeText(createReadStream(file, { highWaterMark: 256 * 1024 })), {
    observedAt,
    format,
  });
  for await (const record of records) count(record);
} else {
  const text = await readFile(file, 'utf8');
  if (format === 'hf-daily') {
    // The naive way for a JSON array: one JSON.parse of the whole document.
    const items = JSON.parse(text) as unknown[];
    for (const [i, item] of items.entries()) count(hfItemRecord(i, item, observedAt));
  } else {
    // The other formats: the same parser, handed the whole file as one piece.
    const { records } = await openPapers(
      (async function* () {
        yield text;
      })(),
      { observedAt, format },
    );
    for await (const record of records) count(record);
  }
}
const ms = performance.now() - start;
console.log(JSON.stringify({ papers, rejected, ms, peakRssMb: process.resourceUsage().maxRSS / 1024 }));
