import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { describeIssues, formatIssues, ValidationError } from '../core/errors.ts';
import { SignupMessageSchema } from '../core/signup.ts';
import { processSignup, type SubscriptionDeps } from '../core/subscriptions.ts';
import { type LambdaHandler, withLambdaContext } from '../shared/lambda.ts';
import { createLogger } from '../shared/logger.ts';

export const logger = createLogger('signup');

/**
 * Queued sign-ups → pending records and confirmation emails (`processSignup`). A message that
 * failed is reported as a batch item failure so that SQS delivers it again; one that is not a
 * valid sign-up fails every time and ends in the dead-letter queue. No address is logged.
 */
export function createProcessSignupHandler(
  deps: SubscriptionDeps & {
    metrics?: Metrics;
    /** Told why a message failed (the local stack keeps it with the dead letter; SQS keeps none). */
    failed?: (messageId: string, reason: string) => void;
  },
): LambdaHandler<SQSEvent, SQSBatchResponse> {
  return withLambdaContext(
    logger,
    async (event) => {
      const failures: SQSBatchResponse['batchItemFailures'] = [];
      for (const record of event.Records) {
        try {
          const parsed = SignupMessageSchema.safeParse(safeJson(record.body));
          if (!parsed.success) {
            throw new ValidationError(
              `invalid sign-up message: ${formatIssues(describeIssues(parsed.error.issues))}`,
            );
          }
          const outcome = await processSignup(parsed.data, deps);
          logger.info('processed sign-up', { messageId: record.messageId, outcome });
        } catch (error) {
          logger.error('sign-up failed', { messageId: record.messageId, error: error as Error });
          deps.failed?.(record.messageId, error instanceof Error ? error.message : String(error));
          failures.push({ itemIdentifier: record.messageId });
        }
      }
      return { batchItemFailures: failures };
    },
    deps.metrics ? { metrics: deps.metrics } : {},
  );
}

function safeJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}
