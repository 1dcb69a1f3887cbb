import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { describeIssues, formatIssues, ValidationError } from '../core/errors.ts';
import type { WorkQueue } from '../core/ports.ts';
import { type SendDigestsDeps, type SendDigestsResult, sendDigests } from '../core/send-digests.ts';
import { SendJobSchema } from '../core/send-job.ts';
import { type LambdaHandler, withLambdaContext } from '../shared/lambda.ts';
import { createLogger } from '../shared/logger.ts';
import { METRIC } from '../shared/metrics.ts';

export const logger = createLogger('send');

/**
 * SQS send jobs → digests. A job that failed in part is reported as a batch item failure, so SQS
 * delivers it again; the delivery ledger makes that retry skip everyone already sent. A message
 * that is not a valid job fails every time and ends in the dead-letter queue, where it can be read.
 */
export function createSendDigestHandler(
  deps: SendDigestsDeps & { metrics: Metrics; queue: WorkQueue },
): LambdaHandler<SQSEvent, SQSBatchResponse> {
  return withLambdaContext(
    logger,
    async (event, context) => {
      const failures: SQSBatchResponse['batchItemFailures'] = [];
      await handle(event, failures, context);
      return { batchItemFailures: failures };
    },
    { metrics: deps.metrics },
  );

  async function handle(
    event: SQSEvent,
    failures: SQSBatchResponse['batchItemFailures'],
    context: Context | undefined,
  ): Promise<void> {
    for (const record of event.Records) {
      try {
        const job = SendJobSchema.safeParse(safeJson(record.body));
        if (!job.success) {
          throw new ValidationError(`invalid send job: ${formatIssues(describeIssues(job.error.issues))}`);
        }
        const result = await sendDigests(job.data, deps, {
          ...(context ? { remainingMs: () => context.getRemainingTimeInMillis() } : {}),
        });
        if (result.unstarted.length > 0) {
          // The rest of the job, as a job of its own: this one ends well within its time.
          await deps.queue.enqueue([{ editionDate: job.data.editionDate, subscriberIds: result.unstarted }]);
          logger.info('time running out: the rest of the job queued again', {
            readers: result.unstarted.length,
          });
        }
        recordSendMetrics(deps.metrics, result);
        logger.info('sent digests', {
          editionDate: job.data.editionDate,
          sent: result.sent,
          skipped: result.skipped,
          nothingNew: result.nothingNew,
          rejected: result.rejected,
          failed: result.failed.length,
        });
        if (result.stopped) {
          // Every remaining job would fail the same way: the alarm on SendingStopped calls an operator.
          logger.error('the email provider stopped all sending; the job will be retried', {
            reason: result.stopped,
          });
          failures.push({ itemIdentifier: record.messageId });
        } else if (result.failed.length > 0) {
          logger.warn('some digests failed; the job will be retried', { failed: result.failed });
          failures.push({ itemIdentifier: record.messageId });
        }
      } catch (error) {
        logger.error('send job failed', { messageId: record.messageId, error: error as Error });
        failures.push({ itemIdentifier: record.messageId });
      }
    }
  }
}

/** What operators graph and alarm on: emails sent, failed, throttled, refused, and a stop of all sending. */
export function recordSendMetrics(metrics: Metrics, result: SendDigestsResult): void {
  const throttled = result.failed.filter((f) => /throttl/iu.test(f.error)).length;
  metrics.addMetric(METRIC.emailsSent, MetricUnit.Count, result.sent);
  metrics.addMetric(METRIC.emailsFailed, MetricUnit.Count, result.failed.length - throttled);
  metrics.addMetric(METRIC.emailsThrottled, MetricUnit.Count, throttled);
  metrics.addMetric(METRIC.recipientsRejected, MetricUnit.Count, result.rejected);
  metrics.addMetric(METRIC.sendingStopped, MetricUnit.Count, result.stopped ? 1 : 0);
}

function safeJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}
