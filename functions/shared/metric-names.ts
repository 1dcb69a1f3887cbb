/**
 * The names of Paperboy's metrics, without Powertools: the functions count with them
 * (functions/shared/metrics.ts) and the alarms and the dashboard (infra/) read them from here,
 * so the two sides cannot drift apart. Dimensions are `service` (the function) and `stage`,
 * nothing else (the collector's add its `Source`): one CloudWatch metric per name and function.
 */

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

/** Every metric the functions emit that an alarm or the dashboard reads, by name. */
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
  // sign-ups and the API (counted by the core's use cases: SUBSCRIBER_COUNTS, checked equal)
  subscribersSubscribed: 'SubscribersSubscribed',
  subscribersConfirmed: 'SubscribersConfirmed',
  subscribersLeft: 'SubscribersLeft',
  // the collector (functions/triggers/collect.ts, COLLECTOR_METRICS: checked equal), per `Source`
  collectorPapers: 'CollectorPapers',
  collectorSourceFailed: 'CollectorSourceFailed',
} as const;
export type MetricName = (typeof METRIC)[keyof typeof METRIC];

/** The collector's extra dimension: the source a run's counts are about. */
export const SOURCE_DIMENSION = 'Source';
