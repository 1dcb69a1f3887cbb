import { UnreadableFileError } from './errors.ts';
import {
  describeLimit,
  type IngestLimitName,
  type IngestLimits,
  ingestLimits,
  LimitExceededError,
} from './formats/limits.ts';
import { openPapers } from './formats/open-papers.ts';
import type { Format } from './formats/records.ts';
import type { Paper } from './paper.ts';
import type { RejectedRecord } from './parse-result.ts';
import type {
  Clock,
  FileStore,
  IngestLog,
  IngestRecord,
  OpenedFile,
  PaperRepository,
  StoreOutcome,
} from './ports.ts';
import { SeenIds } from './seen-ids.ts';
import { stripControl } from './text.ts';

/** Uploaded paper files go under this prefix; the bucket notification fires only there. */
export const INGEST_PREFIX = 'incoming/';

/** Where the reports of a file go: outside the ingest prefix, so writing them triggers nothing. */
export const reportKeys = {
  rejects: (key: string) => `reports/${key}.rejects.json`,
  quarantine: (key: string) => `quarantine/${key}`,
  error: (key: string) => `quarantine/${key}.error.json`,
};

/** Papers stored per repository call: bounds memory whatever the file's size. */
export const STORE_BATCH = 100;
/** Rejected records kept in full in a report; past this, they are counted (and their reasons never built). */
export const MAX_REPORTED_REJECTS = 10_000;

export interface IngestFileInput {
  key: string;
  etag: string;
  /**
   * The object's size in bytes, from the S3 event (`s3.object.size`). A file over `maxFileBytes`
   * is quarantined before a byte of it is read. Without it, the size the file store reports is used.
   */
  size?: number;
  /**
   * Milliseconds left before the function is stopped (Lambda's `context.getRemainingTimeInMillis`).
   * When fewer than `deadlineMarginMs` are left, what was parsed is stored and the file is
   * quarantined as too large to ingest in one run. Without it, there is no deadline.
   */
  remainingTimeMs?: () => number;
}

export interface IngestFileDeps {
  files: FileStore;
  papers: PaperRepository;
  ingestLog: IngestLog;
  clock: Clock;
  /** Limits to ingest with; those left out are `defaultIngestLimits`. */
  limits?: Partial<IngestLimits>;
}

export type IngestFileResult = Omit<IngestRecord, 'etag' | 'at'> & { reportKey?: string };

const emptyOutcome = (): StoreOutcome => ({ new: 0, updated: 0, unchanged: 0, merged: 0, linked: 0 });

/**
 * Ingests one uploaded paper file, streaming: memory holds one batch of papers, whatever the
 * file's size.
 * 1. Open the object; its upload time is when its signals were observed. A missing object is
 *    an event that arrived after the file was moved: nothing to do.
 * 2. Detect the format from the content and parse record by record.
 * 3. Store valid papers in batches (merged, de-duplicated, idempotent); keep every rejected
 *    record's index, field and reason.
 * 4. Write the rejects report beside the file. If the file turns out unreadable (not any format,
 *    truncated, binary, entity expansion, bad encoding, past a file-level limit) it moves to
 *    quarantine with an error report that says how many records before the failure were stored
 *    (each is a valid paper) and, for a limit, which one.
 * 5. Record the outcome in the ingest log.
 *
 * Bounds (`deps.limits`): a file larger than `maxFileBytes` is quarantined before it is read; one
 * that cannot be finished while more than `deadlineMarginMs` of the function's time is left
 * (`input.remainingTimeMs`) has what was parsed stored, then is quarantined with a reason that
 * says to split it; one whose text passes `maxDecompressedBytes` once decompressed is quarantined
 * as soon as it does, whatever the file store. Parsing limits: see IngestLimits.
 */
export async function ingestFile(input: IngestFileInput, deps: IngestFileDeps): Promise<IngestFileResult> {
  const limits = ingestLimits(deps.limits);
  const file = await deps.files.open(input.key);
  try {
    return await ingestOpened(input, file, limits, deps);
  } finally {
    // A file refused unread, or left part-read by a failure, must not hold its connection.
    file?.close();
  }
}

async function ingestOpened(
  input: IngestFileInput,
  file: OpenedFile | undefined,
  limits: IngestLimits,
  deps: IngestFileDeps,
): Promise<IngestFileResult> {
  const stored = emptyOutcome();
  const tally = { accepted: 0, rejectedRecords: 0, duplicates: 0 };
  if (!file) {
    return {
      key: input.key,
      status: 'gone',
      format: 'unknown',
      accepted: 0,
      rejected: 0,
      duplicates: 0,
      stored,
    };
  }
  // Opening does not read the body: a file too large to read is refused here.
  const size = input.size ?? file.size;
  if (size > limits.maxFileBytes) {
    const error = new LimitExceededError(
      'maxFileBytes',
      limits.maxFileBytes,
      `the file is ${size.toLocaleString('en-US')} bytes, more than ingestion reads (${describeLimit('maxFileBytes', limits.maxFileBytes)}); split it into smaller files`,
    );
    return quarantine(input, error.message, { format: 'unknown', stored, tally, limit: error }, deps);
  }
  const rejects: RejectedRecord[] = [];
  let format: Format | 'unknown' = 'unknown';
  let batch: Paper[] = [];
  const seen = new SeenIds();
  const flush = async () => {
    if (batch.length === 0) return;
    addOutcome(stored, await deps.papers.store(batch));
    batch = [];
  };

  const deadline = input.remainingTimeMs;
  const checkTime = () => {
    if (deadline && deadline() < limits.deadlineMarginMs) {
      throw new LimitExceededError(
        'deadlineMarginMs',
        limits.deadlineMarginMs,
        `fewer than ${limits.deadlineMarginMs.toLocaleString('en-US')} ms of the function's time left (${describeLimit('deadlineMarginMs', limits.deadlineMarginMs)})`,
      );
    }
  };

  try {
    const bounded = withinDecompressedBytes(file.text, size, limits.maxDecompressedBytes);
    const text = deadline ? beforeDeadline(bounded, checkTime) : bounded;
    const opened = await openPapers(text, { observedAt: file.lastModified.toISOString(), limits });
    format = opened.format;
    for await (const record of opened.records) {
      if ('paper' in record) {
        tally.accepted += 1;
        if (seen.check(record.paper.id)) tally.duplicates += 1;
        batch.push(record.paper);
        if (batch.length >= STORE_BATCH) {
          await flush();
          // Storing is where the time goes; reading a chunk is checked in beforeDeadline.
          checkTime();
        }
      } else {
        tally.rejectedRecords += 1;
        // Past the reported ones a reject is only counted: its reasons, which cost more to build
        // than the rest of the record, are never worked out (see ParsedRecord).
        if (rejects.length < MAX_REPORTED_REJECTS) {
          for (const reject of record.rejects) {
            if (rejects.length < MAX_REPORTED_REJECTS) rejects.push({ index: record.index, ...reject });
          }
        }
      }
    }
    await flush();
  } catch (error) {
    if (!(error instanceof UnreadableFileError)) throw error;
    // Every record yielded before the failure is a valid paper: store them. Ingestion is
    // idempotent, so storing them again when the repaired or split file comes is harmless.
    await flush();
    const limit = error instanceof LimitExceededError ? error : undefined;
    const records = tally.accepted + tally.rejectedRecords;
    const message =
      limit?.limit === 'deadlineMarginMs'
        ? `not finished within the function's time limit after ${records.toLocaleString('en-US')} records (stopped when less than ${limit.value.toLocaleString('en-US')} ms were left, ${describeLimit('deadlineMarginMs', limit.value)}; the papers read so far are stored); split the file into smaller ones`
        : stripControl(error.message);
    const reason = format === 'unknown' ? message : `read as ${format}: ${message}`;
    return quarantine(input, reason, { format, stored, tally, ...(limit ? { limit } : {}) }, deps);
  }

  let reportKey: string | undefined;
  if (tally.rejectedRecords > 0) {
    reportKey = reportKeys.rejects(input.key);
    await deps.files.writeJson(reportKey, {
      file: input.key,
      etag: input.etag,
      format,
      accepted: tally.accepted,
      rejectedRecords: tally.rejectedRecords,
      reportedRejects: rejects.length,
      rejected: rejects,
    });
  }
  const result: IngestFileResult = {
    key: input.key,
    status: 'ingested',
    format,
    accepted: tally.accepted,
    rejected: tally.rejectedRecords,
    duplicates: tally.duplicates,
    stored,
    ...(reportKey ? { reportKey } : {}),
  };
  await deps.ingestLog.record({
    ...withoutReport(result),
    etag: input.etag,
    at: deps.clock.now().toISOString(),
  });
  return result;
}

async function quarantine(
  input: IngestFileInput,
  reason: string,
  progress: {
    format: Format | 'unknown';
    stored: StoreOutcome;
    tally: { accepted: number; rejectedRecords: number; duplicates: number };
    /** The limit the file passed, if that is why it is quarantined. */
    limit?: { limit: IngestLimitName; value: number };
  },
  deps: IngestFileDeps,
): Promise<IngestFileResult> {
  const reportKey = reportKeys.error(input.key);
  await deps.files.writeJson(reportKey, {
    file: input.key,
    etag: input.etag,
    error: reason,
    format: progress.format,
    recordsBeforeTheFailure: progress.tally.accepted + progress.tally.rejectedRecords,
    papersStoredBeforeTheFailure: progress.tally.accepted,
    ...(progress.limit ? { limit: { name: progress.limit.limit, value: progress.limit.value } } : {}),
  });
  await deps.files.move(input.key, reportKeys.quarantine(input.key));
  const result: IngestFileResult = {
    key: input.key,
    status: 'quarantined',
    format: progress.format,
    accepted: progress.tally.accepted,
    rejected: progress.tally.rejectedRecords,
    duplicates: progress.tally.duplicates,
    stored: progress.stored,
    reportKey,
    error: reason,
  };
  await deps.ingestLog.record({
    ...withoutReport(result),
    etag: input.etag,
    at: deps.clock.now().toISOString(),
  });
  return result;
}

/**
 * The file's text, refused (LimitExceededError) as soon as it is more than `maxBytes` bytes of
 * UTF-8 and more than the object itself (`size`): that much text can only come out of a
 * compressed file. The file store may bound its decompression too (S3FileStore does, with the
 * bound it is built with); this check makes `deps.limits.maxDecompressedBytes` hold whatever
 * store is used and however it was built. A file that is not compressed is bounded by
 * `maxFileBytes` instead, before it is read.
 */
async function* withinDecompressedBytes(
  text: AsyncIterable<string>,
  size: number,
  maxBytes: number,
): AsyncGenerator<string> {
  let bytes = 0;
  for await (const chunk of text) {
    bytes += Buffer.byteLength(chunk, 'utf8');
    if (bytes > maxBytes && bytes > size) {
      throw new LimitExceededError(
        'maxDecompressedBytes',
        maxBytes,
        `the file expands past ${maxBytes.toLocaleString('en-US')} bytes once decompressed; refused as a decompression bomb (${describeLimit('maxDecompressedBytes', maxBytes)})`,
      );
    }
    yield chunk;
  }
}

/** The file's text, checked against the deadline before each chunk is read. */
async function* beforeDeadline(text: AsyncIterable<string>, checkTime: () => void): AsyncGenerator<string> {
  checkTime();
  for await (const chunk of text) {
    yield chunk;
    checkTime();
  }
}

function addOutcome(total: StoreOutcome, more: StoreOutcome): void {
  for (const name of Object.keys(total) as (keyof StoreOutcome)[]) total[name] += more[name];
}

function withoutReport(result: IngestFileResult): Omit<IngestFileResult, 'reportKey'> {
  const { reportKey: _reportKey, ...rest } = result;
  return rest;
}
