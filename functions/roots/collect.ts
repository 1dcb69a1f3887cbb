import * as z from 'zod';
import {
  DynamoCollectedIngests,
  DynamoCollectLease,
  DynamoCollectRunLog,
  DynamoFetchStateStore,
} from '../adapters/dynamo-collector-state.ts';
import { FetchHttpTransport } from '../adapters/fetch-http-transport.ts';
import { S3CollectedFiles } from '../adapters/s3-collected-files.ts';
import type { Clock, HttpTransport, Sleeper } from '../core/ports.ts';
import { documentClient } from '../shared/aws/dynamodb.ts';
import { s3Client } from '../shared/aws/s3.ts';
import { envFields } from '../shared/config.ts';
import { ENV } from '../shared/env-names.ts';
import { createMetrics, SERVICES } from '../shared/metrics.ts';
import { randomIds } from '../shared/random-ids.ts';
import { systemClock } from '../shared/system-clock.ts';
import type { CollectHandlerDeps } from '../triggers/collect.ts';

/** The collector reads its configuration, and reaches the table and the bucket. */
export const CollectEnv = z.object({
  [ENV.tableName]: envFields.tableName,
  [ENV.bucketName]: envFields.bucketName,
  [ENV.collectorConfig]: envFields.collectorConfig,
  [ENV.stage]: envFields.stage,
});
export type CollectEnv = z.infer<typeof CollectEnv>;

/** Waits `ms`, or less when `signal` aborts (Ctrl-C does not wait out a 60 s Retry-After). */
export const realSleeper: Sleeper = {
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
    }),
};

/** A run takes the collector's lease for as long as the function may run (infra/constructs/collector.ts COLLECT_TIMEOUT). */
export const COLLECT_LEASE_MS = 10 * 60_000;

/**
 * The collector's adapters: Node's fetch for the sources, DynamoDB for what it remembers per URL
 * and its run records, S3 for what it fetched. Time, waiting and the transport can be replaced
 * (tests run the pauses instantly).
 */
export function collectDeps(
  env: CollectEnv,
  overrides: { clock?: Clock; sleeper?: Sleeper; transport?: HttpTransport; random?: () => number } = {},
): CollectHandlerDeps {
  const db = documentClient();
  return {
    config: env.COLLECTOR_CONFIG,
    transport: overrides.transport ?? new FetchHttpTransport(),
    state: new DynamoFetchStateStore(db, env.TABLE_NAME),
    files: new S3CollectedFiles(s3Client(), env.BUCKET_NAME),
    runs: new DynamoCollectRunLog(db, env.TABLE_NAME),
    ingests: new DynamoCollectedIngests(db, env.TABLE_NAME),
    lease: new DynamoCollectLease(db, env.TABLE_NAME),
    leaseMs: COLLECT_LEASE_MS,
    clock: overrides.clock ?? systemClock,
    sleeper: overrides.sleeper ?? realSleeper,
    random: overrides.random ?? Math.random,
    ids: randomIds,
    metrics: createMetrics(SERVICES.collect, env.STAGE),
  };
}
