/**
 * Runs in its own process so that its peak RSS is its own: parses one file as ingestion does
 * (streamed from disk, gunzipped if need be, format detected from the content, default limits)
 * and prints {format, papers, rejected, refused, ms, peakRssMb} as JSON. `refused` is the limit
 * that refused the file (or `unreadable` for another reason), absent when the file was read.
 */
import { createReadStream } from 'node:fs';
import { decodeText } from '../functions/adapters/text-decoding.ts';
import { UnreadableFileError } from '../functions/core/errors.ts';
import { LimitExceededError } from '../functions/core/formats/limits.ts';
import { openPapers } from '../functions/core/formats/open-papers.ts';

const [file] = process.argv.slice(2) as [string];
let format = 'unknown';
let papers = 0;
let rejected = 0;
let refused: string | undefined;

const start = performance.now();
try {
  const opened = await openPapers(decodeText(createReadStream(file, { highWaterMark: 256 * 1024 })), {
    observedAt: '2026-11-27T00:00:00.000Z',
  });
  format = opened.format;
  for await (const record of opened.records) {
    if ('paper' in record) papers += 1;
    else rejected += 1;
  }
} catch (error) {
  if (!(error instanceof UnreadableFileError)) throw error;
  refused = error instanceof LimitExceededError ? error.limit : 'unreadable';
}
const ms = performance.now() - start;
console.log(
  JSON.stringify({ format, papers, rejected, refused, ms, peakRssMb: process.resourceUsage().maxRSS / 1024 }),
);
