import type { Metrics } from '@aws-lambda-powertools/metrics';
import * as z from 'zod';
import { PacedEmailSender } from '../adapters/paced-email-sender.ts';
import { sesMaxSendRate } from '../adapters/ses-email-sender.ts';
import { TokenBucketPace } from '../adapters/token-bucket-pace.ts';
import type { SubscriptionDeps } from '../core/subscriptions.ts';
import { documentClient } from '../shared/aws/dynamodb.ts';
import { envFields } from '../shared/config.ts';
import { ENV } from '../shared/env-names.ts';
import { countersOf, createMetrics, SERVICES } from '../shared/metrics.ts';
import { randomIds } from '../shared/random-ids.ts';
import { systemClock } from '../shared/system-clock.ts';
import { MailEnv, type MailOverrides, mailDeps, templatesFor } from './mail.ts';

export const ProcessSignupEnv = MailEnv.and(
  z.object({
    [ENV.sendRateCap]: envFields.sendRateCap,
    [ENV.signupWorkers]: envFields.signupWorkers,
  }),
);
export type ProcessSignupEnv = z.infer<typeof ProcessSignupEnv>;

/**
 * The sign-up worker's adapters: the mail wiring (subscribers, SES, links, keys, templates), its
 * sender paced at its share of the SES account's rate (GetAccount, capped by SEND_RATE_CAP,
 * divided by SIGNUP_WORKERS), so that all sign-up workers together stay under it.
 */
export function processSignupDeps(
  env: ProcessSignupEnv,
  overrides: MailOverrides = {},
): SubscriptionDeps & { metrics: Metrics } {
  const metrics = createMetrics(SERVICES.signup, env.STAGE);
  const clock = overrides.clock ?? systemClock;
  const mail = mailDeps(env, documentClient(), clock, templatesFor(env, overrides));
  return {
    subscribers: mail.subscribers,
    sender: new PacedEmailSender(
      mail.sender,
      new TokenBucketPace(
        async () =>
          Math.min(await sesMaxSendRate(mail.ses), env.SEND_RATE_CAP ?? Number.POSITIVE_INFINITY) /
          env.SIGNUP_WORKERS,
      ),
    ),
    renderer: mail.renderer,
    links: mail.links,
    keys: mail.keys,
    clock,
    ids: randomIds,
    postalAddress: mail.postalAddress,
    metrics,
    counters: countersOf(metrics),
  };
}
