import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { DynamoDeliveryLedger } from '../adapters/dynamo-delivery-ledger.ts';
import { DynamoEditionStats } from '../adapters/dynamo-edition-stats.ts';
import { DynamoReaders } from '../adapters/dynamo-readers.ts';
import { sesMaxSendRate } from '../adapters/ses-email-sender.ts';
import { SqsWorkQueue } from '../adapters/sqs-work-queue.ts';
import { TokenBucketPace } from '../adapters/token-bucket-pace.ts';
import type { EmailSender, WorkQueue } from '../core/ports.ts';
import { createSelectorCache } from '../core/selection.ts';
import type { SendDigestsDeps } from '../core/send-digests.ts';
import { documentClient } from '../shared/aws/dynamodb.ts';
import { sqsClient } from '../shared/aws/sqs.ts';
import { envFields, PolicyEnv, policyFrom } from '../shared/config.ts';
import { ENV } from '../shared/env-names.ts';
import { createMetrics, SERVICES } from '../shared/metrics.ts';
import { systemClock } from '../shared/system-clock.ts';
import { MailEnv, type MailOverrides, mailDeps, templatesFor } from './mail.ts';

export const SendDigestEnv = MailEnv.and(PolicyEnv).and(
  z.object({
    [ENV.sendRateCap]: envFields.sendRateCap,
    [ENV.sendWorkers]: envFields.sendWorkers,
    [ENV.sendQueueUrl]: envFields.sendQueueUrl,
  }),
);
export type SendDigestEnv = z.infer<typeof SendDigestEnv>;

/**
 * Readers each worker has in flight at once. The pace sets the rate; this only has to cover the
 * round trips (DynamoDB, SES: ~0.1–0.2 s), so that a worker can keep its share busy: 8 in flight
 * carry ~40–80 messages a second per worker.
 */
export const SEND_CONCURRENCY = 8;

export interface SendDigestOverrides extends MailOverrides {
  /** A sender in place of SES (a bench that counts, a test that fails on purpose). */
  sender?: EmailSender;
  /** A DynamoDB client in place of the default one (the bench counts its requests). */
  db?: DynamoDBDocumentClient;
  /** Where the rest of a job goes when time runs out (SQS, or the local stack's own queue). */
  queue?: WorkQueue;
}

/**
 * The send function's adapters: the mail wiring, the delivery ledger, readers (each read in one query),
 * the edition's counters, and the pace: each worker's share of the SES account's rate
 * (GetAccount, capped by SEND_RATE_CAP), so that SEND_WORKERS workers together stay under it.
 */
export function sendDigestDeps(
  env: SendDigestEnv,
  overrides: SendDigestOverrides = {},
): SendDigestsDeps & { metrics: Metrics; queue: WorkQueue } {
  const db = overrides.db ?? documentClient();
  const clock = overrides.clock ?? systemClock;
  const mail = mailDeps(env, db, clock, templatesFor(env, overrides));
  const cap = env.SEND_RATE_CAP ?? Number.POSITIVE_INFINITY;
  return {
    editions: mail.editions,
    subscribers: mail.subscribers,
    sender: overrides.sender ?? mail.sender,
    renderer: mail.renderer,
    links: mail.links,
    postalAddress: mail.postalAddress,
    clock,
    pace: new TokenBucketPace(async () => Math.min(await sesMaxSendRate(mail.ses), cap) / env.SEND_WORKERS),
    stats: new DynamoEditionStats(db, env.TABLE_NAME),
    ledger: new DynamoDeliveryLedger(db, env.TABLE_NAME, clock),
    readers: new DynamoReaders(db, env.TABLE_NAME, clock),
    // Prepared editions, shared by every send job this warm function handles.
    selectorFor: createSelectorCache(),
    policy: policyFrom(env),
    listId: `daily.${new URL(env.PUBLIC_BASE_URL).hostname}`,
    concurrency: SEND_CONCURRENCY,
    metrics: createMetrics(SERVICES.send, env.STAGE),
    queue: overrides.queue ?? new SqsWorkQueue(sqsClient(), env.SEND_QUEUE_URL),
  };
}
