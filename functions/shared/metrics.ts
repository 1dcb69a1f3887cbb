import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import * as z from 'zod';
import type { Counters } from '../core/ports.ts';
import { SUBSCRIBER_COUNTS } from '../core/subscriptions.ts';
import { envFields } from './config.ts';
import { ENV } from './env-names.ts';

/** The one CloudWatch namespace of every Paperboy metric. */
export const METRICS_NAMESPACE = 'Paperboy';

/** Each function's `service` dimension (and its logger's service name). */
export const SERVICES = {
  ingest: 'ingest',
  rank: 'rank',
  send: 'send',
  api: 'api',
  signup: 'signup',
  feedback: 'feedback',
  collect: 'collect',
} as const;
export type ServiceName = (typeof SERVICES)[keyof typeof SERVICES];

/**
 * Every metric a function emits, by name: the functions count with these and the alarms and the
 * dashboard (infra/) read them from here, so the two sides cannot drift apart. Dimensions are
 * `service` (the function) and `stage`, nothing else: one CloudWatch metric per name and function.
 */
export const METRIC = {
  // ingest
  filesIngested: 'FilesIngested',
  papersIngested: 'PapersIngested',
  papersRejected: 'PapersRejected',
  filesQuarantined: 'FilesQuarantined',
  // rank
  candidates: 'Candidates',
  editionsBuilt: 'EditionsBuilt',
  editionSize: 'EditionSize',
  editionsSkipped: 'EditionsSkipped',
  readersDue: 'ReadersDue',
  // send
  emailsSent: 'EmailsSent',
  emailsFailed: 'EmailsFailed',
  emailsThrottled: 'EmailsThrottled',
  recipientsRejected: 'RecipientsRejected',
  sendingStopped: 'SendingStopped',
  // feedback (SES events)
  emailsBounced: 'EmailsBounced',
  emailsComplained: 'EmailsComplained',
  hangingClaims: 'HangingClaims',
  duplicateDeliveries: 'DuplicateDeliveries',
  // sign-ups and the API
  subscribersSubscribed: SUBSCRIBER_COUNTS.subscribed,
  subscribersConfirmed: SUBSCRIBER_COUNTS.confirmed,
  subscribersLeft: SUBSCRIBER_COUNTS.left,
} as const;
export type MetricName = (typeof METRIC)[keyof typeof METRIC];

/** What every function reads to label its metrics. */
export const MetricsEnv = z.object({ [ENV.stage]: envFields.stage });

/**
 * A function's metrics: namespace Paperboy, dimensions `service` and `stage`. Emitted as EMF
 * lines on stdout (CloudWatch turns them into metrics; no API call, no added latency), flushed
 * once per invocation by `withLambdaContext`. Locally POWERTOOLS_METRICS_DISABLED keeps them off
 * the console unless `--verbose` (functions/local/log-level.ts).
 */
export function createMetrics(service: ServiceName, stage: string): Metrics {
  return new Metrics({ namespace: METRICS_NAMESPACE, serviceName: service, defaultDimensions: { stage } });
}

/** The core's `Counters` port over Powertools metrics. */
export function countersOf(metrics: Metrics): Counters {
  return { count: (name, value = 1) => metrics.addMetric(name, MetricUnit.Count, value) };
}

/** Publishes what the invocation counted; nothing (and no warning) when it counted nothing. */
export function flushMetrics(metrics: Metrics): void {
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
}
