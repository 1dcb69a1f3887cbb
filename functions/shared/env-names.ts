/**
 * The name of every environment variable a Paperboy function reads. The CDK constructs set them
 * (each in the same call that grants the access it stands for) and the functions' composition
 * roots parse them, both from this one list, so the two sides cannot drift apart.
 */
export const ENV = {
  /** The single DynamoDB table. */
  tableName: 'TABLE_NAME',
  /** The ingest bucket. */
  bucketName: 'BUCKET_NAME',
  /** The SQS queue of send jobs. */
  sendQueueUrl: 'SEND_QUEUE_URL',
  /** The SQS queue of accepted sign-ups, worked by the process-signup function. */
  signupQueueUrl: 'SIGNUP_QUEUE_URL',
  /** State-changing API requests allowed per IP address per minute. */
  rateLimitPerIp: 'RATE_LIMIT_PER_IP_PER_MINUTE',
  /** Sign-ups (and other mail-sending requests) allowed per address per hour. */
  rateLimitPerAddress: 'RATE_LIMIT_PER_ADDRESS_PER_HOUR',
  /** The From address of every email. */
  senderAddress: 'SENDER_ADDRESS',
  /** The display name of the From header ("Paperboy" <papers@example.org>). */
  senderName: 'SENDER_NAME',
  /** The deployment stage: a dimension of every metric, so that stages sharing an account stay apart. */
  stage: 'STAGE',
  /** SES configuration set (reputation metrics, suppression, event destinations). */
  sesConfigurationSet: 'SES_CONFIGURATION_SET',
  /** The https base of every link in emails and pages. */
  publicBaseUrl: 'PUBLIC_BASE_URL',
  /** Secrets Manager id of the token key ring (on AWS)… */
  tokenSecretId: 'TOKEN_SECRET_ID',
  /** …or a local key file (the local stack). Exactly one of the two. */
  tokenKeyFile: 'TOKEN_KEY_FILE',
  /** How long a read of the key ring is trusted, in seconds (key rotation waits past it). */
  tokenKeyMaxAge: 'TOKEN_KEY_MAX_AGE_SECONDS',
  /** IANA time zone whose calendar day names an edition. */
  editionTimeZone: 'EDITION_TIME_ZONE',
  /** Quiet days: `mon=send,…,sat=skip,sun=best-of-week`. */
  weekdayPolicy: 'WEEKDAY_POLICY',
  /** For a reader with nothing new on a sending day: `skip` or `best-of-week`. */
  whenNothingNew: 'WHEN_NOTHING_NEW',
  /** The day weekly readers get their digest. */
  weeklyDay: 'WEEKLY_DAY',
  /** Optional: emails per second all send workers together may send, below the SES account's rate. */
  sendRateCap: 'SEND_RATE_CAP',
  /** How many send workers may run at once (the send function's reserved concurrency). */
  sendWorkers: 'SEND_WORKERS',
  /** How many sign-up workers may run at once (the sign-up queue's event source maxConcurrency). */
  signupWorkers: 'SIGNUP_WORKERS',
  /** The sender's postal address, in every email's footer (bulk-sender rules ask for it). */
  postalAddress: 'POSTAL_ADDRESS',
  /** The collector's sources, contact and limits: JSON of functions/core/collect/config.ts's schema. */
  collectorConfig: 'COLLECTOR_CONFIG',
  /** Compiled email and page templates; defaults to the file bundled beside the handler. */
  templatesFile: 'TEMPLATES_FILE',
} as const;

export type EnvName = (typeof ENV)[keyof typeof ENV];
