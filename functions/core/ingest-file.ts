import { UnreadableFileError } from './errors.ts';
import { openPapers } from './formats/open-papers.ts';
import type { Format } from './formats/records.ts';
import type { Paper } from './paper.ts';
import type { RejectedRecord } from './parse-result.ts';
import type { Clock, FileStore, IngestLog, IngestRecord, PaperRepository, StoreOutcome } from './ports.ts';
import { SeenIds } from './seen-ids.ts';

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
/** Rejected records kept in full in a report; past this, they are counted. */
export const MAX_REPORTED_REJECTS = 10_000;

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
 *    truncated, binary, entity expansion, bad encoding) it moves to quarantine with an error
 *    report that says how many records before the failure were stored (each is a valid paper).
 * 5. Record the outcome in the ingest log.
 */
export async function ingestFile(input: IngestFileInput, deps: IngestFileDeps): Promise<IngestFileResult> {
  const file = await deps.files.open(input.key);
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
  const rejects: RejectedRecord[] = [];
  let format: Format | 'unknown' = 'unknown';
  let batch: Paper[] = [];
  const seen = new SeenIds();
  const flush = async () => {
    if (batch.length === 0) return;
    addOutcome(stored, await deps.papers.store(batch));
    batch = [];
  };

  try {
    const opened = await openPapers(file.text, { observedAt: file.lastModified.toISOString() });
    format = opened.format;
    for await (const record of opened.records) {
      if ('paper' in record) {
        tally.accepted += 1;
        if (seen.check(record.paper.id)) tally.duplicates += 1;
        batch.push(record.paper);
        if (batch.length >= STORE_BATCH) await flush();
      } else {
        tally.rejectedRecords += 1;
        for (const reject of record.rejects) {
          if (rejects.length < MAX_REPORTED_REJECTS) rejects.push({ index: record.index, ...reject });
        }
      }
    }
    await flush();
  } catch (error) {
    if (!(error instanceof UnreadableFileError)) throw error;
    await flush();
    const reason = format === 'unknown' ? error.message : `read as ${format}: ${error.message}`;
    return quarantine(input, reason, { format, stored, tally }, deps);
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

function addOutcome(total: StoreOutcome, more: StoreOutcome): void {
  for (const name of Object.keys(total) as (keyof StoreOutcome)[]) total[name] += more[name];
}

function withoutReport(result: IngestFileResult): Omit<IngestFileResult, 'reportKey'> {
  const { reportKey: _reportKey, ...rest } = result;
  return rest;
}
