import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import * as z from 'zod';
import { describeIssues, formatIssues, ValidationError } from '../core/errors.ts';
import {
  INGEST_PREFIX,
  type IngestFileDeps,
  type IngestFileResult,
  ingestFile,
} from '../core/ingest-file.ts';
import { type LambdaHandler, withLambdaContext } from '../shared/lambda.ts';
import { createLogger } from '../shared/logger.ts';
import { flushMetrics, METRIC } from '../shared/metrics.ts';

export const logger = createLogger('ingest');

export interface IngestObjectDeps extends IngestFileDeps {
  metrics: Metrics;
}

/** What operators graph and alarm on: papers in, records refused, files quarantined. */
export function recordIngestMetrics(metrics: Metrics, result: IngestFileResult): void {
  metrics.addMetric(METRIC.filesIngested, MetricUnit.Count, 1);
  metrics.addMetric(METRIC.papersIngested, MetricUnit.Count, result.accepted);
  metrics.addMetric(METRIC.papersRejected, MetricUnit.Count, result.rejected);
  metrics.addMetric(METRIC.filesQuarantined, MetricUnit.Count, result.status === 'quarantined' ? 1 : 0);
}

/** The part of an S3 notification this handler reads. */
const S3EventSchema = z.object({
  Records: z
    .array(
      z.object({
        eventName: z.string(),
        s3: z.object({
          object: z.object({
            key: z.string().min(1),
            eTag: z.string().optional(),
            size: z.number().int().nonnegative().optional(),
          }),
        }),
      }),
    )
    .min(1),
});

/** S3 sends keys URL-encoded with spaces as `+`. */
export function decodeS3Key(key: string): string {
  return decodeURIComponent(key.replace(/\+/gu, ' '));
}

/**
 * S3 ObjectCreated → ingest each file. Errors are rethrown so that Lambda retries the event and
 * then hands it to the failure destination; a bad file is not an error (it is quarantined).
 */
export function createIngestObjectHandler(
  deps: IngestObjectDeps,
): LambdaHandler<unknown, IngestFileResult[]> {
  return withLambdaContext(
    logger,
    async (event, context) => {
      const parsed = S3EventSchema.safeParse(event);
      if (!parsed.success) {
        throw new ValidationError(`not an S3 event: ${formatIssues(describeIssues(parsed.error.issues))}`);
      }
      const results: IngestFileResult[] = [];
      for (const record of parsed.data.Records) {
        const key = decodeS3Key(record.s3.object.key);
        if (!key.startsWith(INGEST_PREFIX) || !record.eventName.startsWith('ObjectCreated')) {
          logger.info('ignored object', { key, eventName: record.eventName });
          continue;
        }
        const { eTag, size } = record.s3.object;
        const result = await ingestFile(
          {
            key,
            etag: eTag ?? '',
            ...(size === undefined ? {} : { size }),
            // Stop and quarantine what cannot be finished before Lambda stops the function.
            ...(context ? { remainingTimeMs: () => context.getRemainingTimeInMillis() } : {}),
          },
          deps,
        );
        if (result.status === 'quarantined') logger.warn('quarantined file', { ...result });
        else logger.info('ingested file', { ...result });
        recordIngestMetrics(deps.metrics, result);
        // One EMF line per file: an event may carry several, each its own datapoint.
        flushMetrics(deps.metrics);
        results.push(result);
      }
      return results;
    },
    { metrics: deps.metrics },
  );
}
