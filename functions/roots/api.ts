import type { Metrics } from '@aws-lambda-powertools/metrics';
import * as z from 'zod';
import { DynamoLearnedProfiles } from '../adapters/dynamo-learned-profiles.ts';
import { DynamoPaperRepository } from '../adapters/dynamo-paper-repository.ts';
import { DynamoPersonalData } from '../adapters/dynamo-personal-data.ts';
import { DynamoRateLimiter } from '../adapters/dynamo-rate-limiter.ts';
import { HtmlPageRenderer } from '../adapters/html-page-renderer.ts';
import { SqsSignupQueue } from '../adapters/sqs-signup-queue.ts';
import type { SignupQueue } from '../core/ports.ts';
import { documentClient } from '../shared/aws/dynamodb.ts';
import { sqsClient } from '../shared/aws/sqs.ts';
import { envFields } from '../shared/config.ts';
import { ENV } from '../shared/env-names.ts';
import { countersOf, createMetrics, SERVICES } from '../shared/metrics.ts';
import { randomIds } from '../shared/random-ids.ts';
import { systemClock } from '../shared/system-clock.ts';
import type { ApiDeps } from '../triggers/api/api.ts';
import { archiveDeps } from './archive.ts';
import { MailEnv, type MailOverrides, mailDeps, templatesFor } from './mail.ts';

export const ApiEnv = MailEnv.and(
  z.object({
    [ENV.signupQueueUrl]: envFields.signupQueueUrl,
    [ENV.rateLimitPerIp]: envFields.rateLimitPerIp,
    [ENV.rateLimitPerAddress]: envFields.rateLimitPerAddress,
  }),
);
export type ApiEnv = z.infer<typeof ApiEnv>;

/**
 * The api function's adapters: the mail wiring (links, the confirmation it may re-send), the
 * pages, the rate limiter, the sign-up queue and the reader's data (export, erasure).
 */
export function apiDeps(
  env: ApiEnv,
  overrides: MailOverrides & { signups?: SignupQueue } = {},
): ApiDeps & { metrics: Metrics } {
  const clock = overrides.clock ?? systemClock;
  const templates = templatesFor(env, overrides);
  const db = documentClient();
  const metrics = createMetrics(SERVICES.api, env.STAGE);
  const mail = mailDeps(env, db, clock, templates);
  return {
    ...mail,
    // The archive's pages and the feeds (functions/roots/archive.ts).
    ...archiveDeps(db, env.TABLE_NAME, clock, mail.editions, templates.pages),
    metrics,
    counters: countersOf(metrics),
    pages: new HtmlPageRenderer(templates.pages),
    clock,
    ids: randomIds,
    limiter: new DynamoRateLimiter(db, env.TABLE_NAME, clock),
    signups: overrides.signups ?? new SqsSignupQueue(sqsClient(), env.SIGNUP_QUEUE_URL),
    personalData: new DynamoPersonalData(db, env.TABLE_NAME),
    learned: new DynamoLearnedProfiles(db, env.TABLE_NAME),
    papers: new DynamoPaperRepository(db, env.TABLE_NAME),
    limits: {
      perIpPerMinute: env.RATE_LIMIT_PER_IP_PER_MINUTE,
      perAddressPerHour: env.RATE_LIMIT_PER_ADDRESS_PER_HOUR,
    },
  };
}
