import * as z from 'zod';
import { DynamoIngestLog } from '../adapters/dynamo-ingest-log.ts';
import { DynamoPaperRepository } from '../adapters/dynamo-paper-repository.ts';
import { S3FileStore } from '../adapters/s3-file-store.ts';
import { type IngestLimits, ingestLimits } from '../core/formats/limits.ts';
import type { Clock } from '../core/ports.ts';
import { documentClient } from '../shared/aws/dynamodb.ts';
import { s3Client } from '../shared/aws/s3.ts';
import { envFields } from '../shared/config.ts';
import { ENV } from '../shared/env-names.ts';
import { createMetrics, SERVICES } from '../shared/metrics.ts';
import { systemClock } from '../shared/system-clock.ts';
import type { IngestObjectDeps } from '../triggers/ingest-object.ts';

/** The ingest function reads the table and the bucket, nothing else. */
export const IngestObjectEnv = z.object({
  [ENV.tableName]: envFields.tableName,
  [ENV.bucketName]: envFields.bucketName,
  [ENV.stage]: envFields.stage,
});
export type IngestObjectEnv = z.infer<typeof IngestObjectEnv>;

/**
 * The ingest function's adapters: S3 and DynamoDB only. One limits object (the defaults unless
 * `overrides.limits` changes some) goes both to the use case and to the file store, whose gunzip
 * stops at `maxDecompressedBytes`: a limit set here is the limit everywhere.
 */
export function ingestObjectDeps(
  env: IngestObjectEnv,
  overrides: { clock?: Clock; limits?: Partial<IngestLimits> } = {},
): IngestObjectDeps {
  const db = documentClient();
  const limits = ingestLimits(overrides.limits);
  return {
    files: new S3FileStore(s3Client(), env.BUCKET_NAME, limits.maxDecompressedBytes),
    papers: new DynamoPaperRepository(db, env.TABLE_NAME),
    ingestLog: new DynamoIngestLog(db, env.TABLE_NAME),
    clock: overrides.clock ?? systemClock,
    limits,
    metrics: createMetrics(SERVICES.ingest, env.STAGE),
  };
}
