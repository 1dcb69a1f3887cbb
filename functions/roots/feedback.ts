import * as z from 'zod';
import { DynamoDeliveryLedger } from '../adapters/dynamo-delivery-ledger.ts';
import { DynamoEditionStats } from '../adapters/dynamo-edition-stats.ts';
import { DynamoSubscriberRepository } from '../adapters/dynamo-subscriber-repository.ts';
import { SqsWorkQueue } from '../adapters/sqs-work-queue.ts';
import type { Clock, WorkQueue } from '../core/ports.ts';
import { documentClient } from '../shared/aws/dynamodb.ts';
import { sqsClient } from '../shared/aws/sqs.ts';
import { envFields } from '../shared/config.ts';
import { ENV } from '../shared/env-names.ts';
import { createMetrics, SERVICES } from '../shared/metrics.ts';
import { systemClock } from '../shared/system-clock.ts';
import type { FeedbackHandlerDeps } from '../triggers/feedback.ts';

/** The feedback function reads and writes the table, and puts resolved deliveries back on the send queue. */
export const FeedbackEnv = z.object({
  [ENV.tableName]: envFields.tableName,
  [ENV.sendQueueUrl]: envFields.sendQueueUrl,
  [ENV.stage]: envFields.stage,
});
export type FeedbackEnv = z.infer<typeof FeedbackEnv>;

/** The feedback function's adapters: subscribers, the delivery ledger, edition counters, the send queue. */
export function feedbackDeps(
  env: FeedbackEnv,
  overrides: { clock?: Clock; queue?: WorkQueue } = {},
): FeedbackHandlerDeps {
  const db = documentClient();
  const clock = overrides.clock ?? systemClock;
  return {
    subscribers: new DynamoSubscriberRepository(db, env.TABLE_NAME, clock),
    ledger: new DynamoDeliveryLedger(db, env.TABLE_NAME, clock),
    stats: new DynamoEditionStats(db, env.TABLE_NAME),
    queue: overrides.queue ?? new SqsWorkQueue(sqsClient(), env.SEND_QUEUE_URL),
    clock,
    metrics: createMetrics(SERVICES.feedback, env.STAGE),
  };
}
