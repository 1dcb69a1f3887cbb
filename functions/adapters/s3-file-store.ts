import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import * as z from 'zod';
import { defaultIngestLimits } from '../core/formats/limits.ts';
import type { FileStore, OpenedFile } from '../core/ports.ts';
import { decodeText } from './text-decoding.ts';

/**
 * The S3 user metadata (header `x-amz-meta-observed-at`) that says when a file's signals were
 * observed: an ISO 8601 time with its zone, set by whoever fetched the file (the collector, the
 * demo). Without it, the object's upload time stands for the observation time.
 */
export const OBSERVED_AT_METADATA = 'observed-at';

/**
 * How much later than the upload an `observed-at` may be: the fetching machine's clock and S3's
 * may differ by a little. Past it the value is in the future of the upload, and is not used.
 */
export const OBSERVED_AT_CLOCK_SKEW_MS = 5 * 60_000;

const IsoTime = z.iso.datetime({ offset: true });

/** An `observed-at` value that was present but not used, and why; the upload time stood instead. */
export interface IgnoredObservedAt {
  /** The value as found (cut to 100 characters). */
  value: string;
  reason: string;
}

/** An object of the ingest bucket, open for reading. */
export interface S3OpenedFile extends OpenedFile {
  /**
   * When the file's signals were observed: its `observed-at` metadata when present and valid,
   * else the object's LastModified. (The port calls it `lastModified`: the time ingestion stamps
   * on the file's signal snapshots.)
   */
  lastModified: Date;
  /** Set when the object had an `observed-at` that could not be used, so the caller can say so. */
  ignoredObservedAt?: IgnoredObservedAt;
}

/**
 * The observation time of an object: `observed-at` from its user metadata when it is an ISO 8601
 * time with a zone (`2026-11-22T06:00:00Z`, `…+01:00`) no later than the upload (within
 * OBSERVED_AT_CLOCK_SKEW_MS); otherwise the upload time, with the ignored value and the reason.
 */
export function observationTime(
  metadata: Record<string, string> | undefined,
  uploadedAt: Date,
): { observedAt: Date; ignored?: IgnoredObservedAt } {
  // S3 hands metadata keys back in lower case; other stores may not.
  const entry = Object.entries(metadata ?? {}).find(([key]) => key.toLowerCase() === OBSERVED_AT_METADATA);
  if (!entry) return { observedAt: uploadedAt };
  const value = entry[1].trim();
  const ignore = (reason: string) => ({
    observedAt: uploadedAt,
    ignored: { value: value.slice(0, 100), reason },
  });
  if (!IsoTime.safeParse(value).success) {
    return ignore(
      `${OBSERVED_AT_METADATA} is not an ISO 8601 time with a zone (such as 2026-11-22T06:00:00Z); the upload time was used`,
    );
  }
  const observedAt = new Date(value);
  if (observedAt.getTime() > uploadedAt.getTime() + OBSERVED_AT_CLOCK_SKEW_MS) {
    return ignore(
      `${OBSERVED_AT_METADATA} is later than the upload (${uploadedAt.toISOString()}); the upload time was used`,
    );
  }
  return { observedAt };
}

/** The ingest bucket: uploaded paper files, and the reports written beside them. */
export class S3FileStore implements FileStore {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly maxDecompressedBytes = defaultIngestLimits.maxDecompressedBytes,
  ) {}

  async open(key: string): Promise<S3OpenedFile | undefined> {
    try {
      const object = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      // In Node the body is a readable stream: the file is never held whole in memory.
      const body = object.Body as (AsyncIterable<Uint8Array> & { destroy?: () => void }) | undefined;
      const { observedAt, ignored } = observationTime(object.Metadata, object.LastModified ?? new Date(0));
      return {
        text: decodeText(body ?? emptyBody(), { maxDecompressedBytes: this.maxDecompressedBytes }),
        lastModified: observedAt,
        ...(ignored && { ignoredObservedAt: ignored }),
        size: object.ContentLength ?? 0,
        // An unread or part-read body keeps its socket until destroyed.
        close: () => body?.destroy?.(),
      };
    } catch (error) {
      if (error instanceof Error && error.name === 'NoSuchKey') return undefined;
      throw error;
    }
  }

  async writeJson(key: string, value: unknown): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: `${JSON.stringify(value, null, 2)}\n`,
        ContentType: 'application/json',
      }),
    );
  }

  async move(fromKey: string, toKey: string): Promise<void> {
    await this.client.send(
      new CopyObjectCommand({
        Bucket: this.bucket,
        Key: toKey,
        CopySource: `${this.bucket}/${fromKey.split('/').map(encodeURIComponent).join('/')}`,
      }),
    );
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: fromKey }));
  }
}

async function* emptyBody(): AsyncGenerator<Uint8Array> {}
