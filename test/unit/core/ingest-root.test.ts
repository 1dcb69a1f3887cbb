import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { defaultIngestLimits } from '../../../functions/core/formats/limits.ts';
import { ingestObjectDeps } from '../../../functions/roots/ingest-object.ts';

const MiB = 1024 ** 2;
const s3 = mockClient(S3Client);
const env = { TABLE_NAME: 'papers-table', BUCKET_NAME: 'ingest-bucket', STAGE: 'test' };

beforeEach(() => {
  s3.reset();
  vi.stubEnv('AWS_REGION', 'us-east-1');
});
afterEach(() => {
  vi.unstubAllEnvs();
});

/** Reads an opened file's text to its end (its length), or to its first failure. */
async function drain(file: { text: AsyncIterable<string>; close(): void } | undefined): Promise<number> {
  if (!file) throw new Error('expected the object to be found');
  let chars = 0;
  try {
    for await (const chunk of file.text) chars += chunk.length;
  } finally {
    file.close();
  }
  return chars;
}

describe('the ingest composition root: one limits object for the use case and the file store', () => {
  // 2 MB of text in a gzip of a few kilobytes.
  const text = `${JSON.stringify({ title: 'T', publishedAt: '2026-11-20T00:00:00Z' })}\n`.repeat(40_000);
  const zipped = gzipSync(text);
  const serve = () =>
    s3.on(GetObjectCommand).callsFake(() => ({
      Body: Readable.from([zipped]),
      LastModified: new Date('2026-11-27T06:00:00Z'),
      ContentLength: zipped.length,
    }));

  it('hands the configured maxDecompressedBytes to the S3 file store, whose gunzip stops there', async () => {
    serve();
    const deps = ingestObjectDeps(env, { limits: { maxDecompressedBytes: MiB } });
    expect(deps.limits).toMatchObject({ maxDecompressedBytes: MiB });
    await expect(drain(await deps.files.open('incoming/papers.jsonl.gz'))).rejects.toMatchObject({
      name: 'LimitExceededError',
      limit: 'maxDecompressedBytes',
      value: MiB,
    });
  });

  it('runs with the defaults when told nothing, the same ones in both places', async () => {
    serve();
    const deps = ingestObjectDeps(env);
    expect(deps.limits).toEqual(defaultIngestLimits);
    expect(await drain(await deps.files.open('incoming/papers.jsonl.gz'))).toBe(text.length);
  });
});
