import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { CollectedFiles, CollectedObject } from '../core/ports.ts';

const gzipAsync = promisify(gzip);

/**
 * Writes what the collector fetched into the ingest bucket, gzip-compressed (the ingestion
 * recognises gzip by its magic bytes), with the fetch's source, URL and time as user metadata.
 */
export class S3CollectedFiles implements CollectedFiles {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  async put(object: CollectedObject): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: object.key,
        Body: await gzipAsync(object.body),
        ContentType: 'application/gzip',
        Metadata: asciiMetadata(object.metadata),
      }),
    );
  }
}

/** S3 user metadata travels in HTTP headers: ASCII only. A URL is already; anything else is percent-encoded. */
function asciiMetadata(metadata: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(metadata).map(([name, value]) => [
      name,
      /^[\x20-\x7e]*$/u.test(value) ? value : encodeURI(value),
    ]),
  );
}
