import { Metrics } from '@aws-lambda-powertools/metrics';
import * as z from 'zod';
import { DynamoIngestLog } from '../adapters/dynamo-ingest-log.ts';
import { DynamoPaperRepository } from '../adapters/dynamo-paper-repository.ts';
import { S3FileStore } from '../adapters/s3-file-store.ts';
import type { Clock } from '../core/ports.ts';
import { documentClient } from '../shared/aws/dynamodb.ts';
import { s3Client } from '../shared/aws/s3.ts';
import { envFields } from '../shared/config.ts';
import { ENV } from '../shared/env-names.ts';
import { systemClock } from '../shared/system-clock.ts';
import type { IngestObjectDeps } from '../triggers/ingest-object.ts';

/** The ingest function reads the table and the bucket, nothing else. */
export const IngestObjectEnv = z.object({
  [ENV.tableName]: envFields.tableName,
  [ENV.bucketName]: envFields.bucketName,
});
export type IngestObjectEnv = z.infer<typeof IngestObjectEnv>;

/** The ingest function's adapters: S3 and DynamoDB only. */
export function ingestObjectDeps(env: IngestObjectEnv, overrides: { clock?: Clock } = {}): IngestObjectDeps {
  const db = documentClient();
  return {
    files: new S3FileStore(s3Client(), env.BUCKET_NAME),
    papers: new DynamoPaperRepository(db, env.TABLE_NAME),
    ingestLog: new DynamoIngestLog(db, env.TABLE_NAME),
    clock: overrides.clock ?? systemClock,
    metrics: new Metrics({ namespace: 'Paperboy', serviceName: 'ingest' }),
  };
}
