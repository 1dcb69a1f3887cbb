import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { defaultIngestLimits } from '../core/formats/limits.ts';
import type { FileStore, OpenedFile } from '../core/ports.ts';
import { decodeText } from './text-decoding.ts';

/** The ingest bucket: uploaded paper files, and the reports written beside them. */
export class S3FileStore implements FileStore {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly maxDecompressedBytes = defaultIngestLimits.maxDecompressedBytes,
  ) {}

  async open(key: string): Promise<OpenedFile | undefined> {
    try {
      const object = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      // In Node the body is a readable stream: the file is never held whole in memory.
      const body = object.Body as (AsyncIterable<Uint8Array> & { destroy?: () => void }) | undefined;
      return {
        text: decodeText(body ?? emptyBody(), { maxDecompressedBytes: this.maxDecompressedBytes }),
        lastModified: object.LastModified ?? new Date(0),
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
