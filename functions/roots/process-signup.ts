import type { Metrics } from '@aws-lambda-powertools/metrics';
import type * as z from 'zod';
import type { SubscriptionDeps } from '../core/subscriptions.ts';
import { documentClient } from '../shared/aws/dynamodb.ts';
import { countersOf, createMetrics, SERVICES } from '../shared/metrics.ts';
import { randomIds } from '../shared/random-ids.ts';
import { systemClock } from '../shared/system-clock.ts';
import { MailEnv, type MailOverrides, mailDeps, templatesFor } from './mail.ts';

export const ProcessSignupEnv = MailEnv;
export type ProcessSignupEnv = z.infer<typeof ProcessSignupEnv>;

/** The sign-up worker's adapters: the mail wiring (subscribers, SES, links, keys, templates). */
export function processSignupDeps(
  env: ProcessSignupEnv,
  overrides: MailOverrides = {},
): SubscriptionDeps & { metrics: Metrics } {
  const metrics = createMetrics(SERVICES.signup, env.STAGE);
  const clock = overrides.clock ?? systemClock;
  const mail = mailDeps(env, documentClient(), clock, templatesFor(env, overrides));
  return {
    subscribers: mail.subscribers,
    sender: mail.sender,
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
