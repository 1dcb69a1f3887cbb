import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { describeIssues, formatIssues, ValidationError } from '../core/errors.ts';
import { type SendDigestsDeps, sendDigests } from '../core/send-digests.ts';
import { SendJobSchema } from '../core/send-job.ts';
import { type LambdaHandler, withLambdaContext } from '../shared/lambda.ts';
import { createLogger } from '../shared/logger.ts';

export const logger = createLogger('send');

/**
 * SQS send jobs → digests. A job that failed in part is reported as a batch item failure, so SQS
 * delivers it again; the delivery ledger makes that retry skip everyone already sent. A message
 * that is not a valid job fails every time and ends in the dead-letter queue, where it can be read.
 */
export function createSendDigestHandler(deps: SendDigestsDeps): LambdaHandler<SQSEvent, SQSBatchResponse> {
  return withLambdaContext(logger, async (event) => {
    const failures: SQSBatchResponse['batchItemFailures'] = [];
    for (const record of event.Records) {
      try {
        const job = SendJobSchema.safeParse(safeJson(record.body));
        if (!job.success) {
          throw new ValidationError(`invalid send job: ${formatIssues(describeIssues(job.error.issues))}`);
        }
        const result = await sendDigests(job.data, deps);
        logger.info('sent digests', {
          editionDate: job.data.editionDate,
          sent: result.sent,
          skipped: result.skipped,
          failed: result.failed.length,
        });
        if (result.failed.length > 0) {
          logger.warn('some digests failed; the job will be retried', { failed: result.failed });
          failures.push({ itemIdentifier: record.messageId });
        }
      } catch (error) {
        logger.error('send job failed', { messageId: record.messageId, error: error as Error });
        failures.push({ itemIdentifier: record.messageId });
      }
    }
    return { batchItemFailures: failures };
  });
}

function safeJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}
