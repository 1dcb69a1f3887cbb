import { type PaperboyError, UnreadableFileError } from './errors.ts';
import { parseHfDailyPapers } from './hf-daily-papers.ts';
import type { ParseResult } from './parse-result.ts';
import type { Clock, FileStore, IngestLog, PaperRepository } from './ports.ts';

export interface IngestFileInput {
  key: string;
  etag: string;
}

export interface IngestFileDeps {
  files: FileStore;
  papers: PaperRepository;
  ingestLog: IngestLog;
  clock: Clock;
}

export interface IngestFileResult {
  key: string;
  status: 'ingested' | 'quarantined' | 'gone';
  format: string;
  accepted: number;
  rejected: number;
  written: number;
  unchanged: number;
  reportKey?: string;
  error?: string;
}

/** Uploaded paper files go under this prefix; the bucket notification fires only there. */
export const INGEST_PREFIX = 'incoming/';

/** Where the reports of a file go: outside the ingest prefix, so writing them triggers nothing. */
export const reportKeys = {
  rejects: (key: string) => `reports/${key}.rejects.json`,
  quarantine: (key: string) => `quarantine/${key}`,
  error: (key: string) => `quarantine/${key}.error.json`,
};

/**
 * Ingests one uploaded paper file.
 * 1. Read the object; its upload time is when its signals were observed.
 * 2. Parse it. A file that cannot be read at all is moved to quarantine with an error report.
 * 3. Store every valid paper (idempotent: the same observation twice changes nothing).
 * 4. Write the rejected records, with index, field and reason, to a report beside the file.
 * 5. Record the outcome in the ingest log.
 */
export async function ingestFile(input: IngestFileInput, deps: IngestFileDeps): Promise<IngestFileResult> {
  const object = await deps.files.read(input.key);
  if (!object) {
    return {
      key: input.key,
      status: 'gone',
      format: 'unknown',
      accepted: 0,
      rejected: 0,
      written: 0,
      unchanged: 0,
    };
  }
  const { body, lastModified } = object;
  let parsed: ParseResult;
  try {
    parsed = parseFile(body, lastModified.toISOString());
  } catch (error) {
    if (!(error instanceof UnreadableFileError)) throw error;
    return quarantine(input, error, deps);
  }

  const { written, unchanged } = await deps.papers.upsert(parsed.papers);
  let reportKey: string | undefined;
  if (parsed.rejects.length > 0) {
    reportKey = reportKeys.rejects(input.key);
    await deps.files.writeJson(reportKey, {
      file: input.key,
      etag: input.etag,
      format: parsed.format,
      accepted: parsed.papers.length,
      rejected: parsed.rejects,
    });
  }
  const result: IngestFileResult = {
    key: input.key,
    status: 'ingested',
    format: parsed.format,
    accepted: parsed.papers.length,
    rejected: new Set(parsed.rejects.map((r) => r.index)).size,
    written,
    unchanged,
    ...(reportKey ? { reportKey } : {}),
  };
  await deps.ingestLog.record({ ...result, etag: input.etag, at: deps.clock.now().toISOString() });
  return result;
}

/** Reads a file's bytes as one of the supported formats. */
export function parseFile(body: Buffer, observedAt: string): ParseResult {
  const text = decodeUtf8(body);
  return parseHfDailyPapers(text, observedAt);
}

function decodeUtf8(body: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch (error) {
    throw new UnreadableFileError('file is not UTF-8 text', { cause: error });
  }
}

async function quarantine(
  input: IngestFileInput,
  error: PaperboyError,
  deps: IngestFileDeps,
): Promise<IngestFileResult> {
  const reportKey = reportKeys.error(input.key);
  await deps.files.writeJson(reportKey, { file: input.key, etag: input.etag, error: error.message });
  await deps.files.move(input.key, reportKeys.quarantine(input.key));
  const result: IngestFileResult = {
    key: input.key,
    status: 'quarantined',
    format: 'unknown',
    accepted: 0,
    rejected: 0,
    written: 0,
    unchanged: 0,
    reportKey,
    error: error.message,
  };
  await deps.ingestLog.record({ ...result, etag: input.etag, at: deps.clock.now().toISOString() });
  return result;
}
