import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { decodeText } from '../adapters/text-decoding.ts';
import { UnreadableFileError } from '../core/errors.ts';
import { openPapers } from '../core/formats/open-papers.ts';
import type { Format } from '../core/formats/records.ts';
import { SeenIds } from '../core/seen-ids.ts';
import { jsonForTerminal } from './terminal.ts';

export interface ParseSummary {
  file: string;
  format: Format | 'unknown';
  accepted: number;
  rejected: number;
  duplicates: number;
  error?: string;
}

/**
 * Parses a local file exactly as ingestion does (same detection, parsers and normalization),
 * writing each paper as one JSON line to `out`, streaming: a file of any size parses in flat
 * memory. Rejected records go to `log` with index, field and reason.
 */
export async function parseFile(
  file: string,
  options: {
    format?: Format;
    out: NodeJS.WritableStream;
    log: (line: string) => void;
    maxRejectLines?: number;
  },
): Promise<ParseSummary> {
  const summary: ParseSummary = { file, format: 'unknown', accepted: 0, rejected: 0, duplicates: 0 };
  const seen = new SeenIds();
  const maxRejectLines = options.maxRejectLines ?? 50;
  // The file's modification time stands for the observation time of its signals.
  const { mtime } = await import('node:fs/promises').then((fs) => fs.stat(file));
  try {
    const opened = await openPapers(decodeText(createReadStream(file)), {
      observedAt: mtime.toISOString(),
      ...(options.format ? { format: options.format } : {}),
    });
    summary.format = opened.format;
    for await (const record of opened.records) {
      if ('paper' in record) {
        summary.accepted += 1;
        if (seen.check(record.paper.id)) summary.duplicates += 1;
        if (!options.out.write(`${jsonForTerminal(record.paper)}\n`)) await once(options.out, 'drain');
      } else {
        summary.rejected += 1;
        if (summary.rejected <= maxRejectLines) {
          for (const reject of record.rejects)
            options.log(`rejected record ${record.index}: ${reject.field}: ${reject.reason}`);
        }
      }
    }
  } catch (error) {
    if (!(error instanceof UnreadableFileError)) throw error;
    summary.error = error.message;
  }
  if (summary.rejected > maxRejectLines)
    options.log(`… and ${summary.rejected - maxRejectLines} more rejected records`);
  return summary;
}
