import { join } from 'node:path';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { DynamoEditionRepository } from '../adapters/dynamo-edition-repository.ts';
import { DynamoEditionStats } from '../adapters/dynamo-edition-stats.ts';
import { DynamoIngestLog } from '../adapters/dynamo-ingest-log.ts';
import { DynamoSubscriberRepository } from '../adapters/dynamo-subscriber-repository.ts';
import { compileTemplates } from '../adapters/mjml-compiler.ts';
import type { LinkBuilder } from '../core/links.ts';
import type { SendJob, SignupQueue, WorkQueue } from '../core/ports.ts';
import type { RateLimits } from '../core/rate-limits.ts';
import type { SendDigestsDeps } from '../core/send-digests.ts';
import type { SignupMessage } from '../core/signup.ts';
import { normalizeEmail } from '../core/subscriber.ts';
import { subscriberIdFor } from '../core/tokens.ts';
import { ApiEnv, apiDeps } from '../roots/api.ts';
import { FeedbackEnv, feedbackDeps } from '../roots/feedback.ts';
import { IngestObjectEnv, ingestObjectDeps } from '../roots/ingest-object.ts';
import { ProcessSignupEnv, processSignupDeps } from '../roots/process-signup.ts';
import { RankPapersEnv, rankPapersDeps } from '../roots/rank-papers.ts';
import { SendDigestEnv, sendDigestDeps } from '../roots/send-digest.ts';
import { documentClient } from '../shared/aws/dynamodb.ts';
import { s3Client } from '../shared/aws/s3.ts';
import { parseEnv } from '../shared/config.ts';
import { ENV } from '../shared/env-names.ts';
import { systemClock } from '../shared/system-clock.ts';
import { createApiHandler } from '../triggers/api/api.ts';
import { createFeedbackHandler } from '../triggers/feedback.ts';
import { createIngestObjectHandler } from '../triggers/ingest-object.ts';
import { createProcessSignupHandler } from '../triggers/process-signup.ts';
import { createRankPapersHandler } from '../triggers/rank-papers.ts';
import { createSendDigestHandler } from '../triggers/send-digest.ts';
import { AsyncInvoker } from './async-invoker.ts';
import { appendDeadLetter } from './dead-letter-file.ts';
import { localLambdaContext } from './lambda-context.ts';
import { MemoryQueue } from './memory-queue.ts';
import { tableDefinition } from './table.ts';

/** Where the emulators and the local API listen. */
export interface LocalEndpoints {
  api: string;
  dynamodb: string;
  s3: string;
  ses: string;
  mailbox: string;
}

export interface LocalSettings {
  /** The SES account's MaxSendRate, as the emulator's GetAccount reports it. */
  sesMaxSendRate?: number;
  /** Emails per second all send workers together may send (SEND_RATE_CAP). */
  sendRateCap?: number;
  /** The API's rate limits; the deployed defaults when left out. */
  rateLimits?: Partial<RateLimits>;
  dataDir: string;
  tableName: string;
  bucket: string;
  sender: string;
  timeZone: string;
}

/** The functions' timeouts in the CDK app, so local invocations see the same deadlines. */
const TIMEOUT_MS = {
  ingest: 5 * 60_000,
  rank: 5 * 60_000,
  send: 60_000,
  api: 10_000,
  signup: 30_000,
  feedback: 30_000,
} as const;
/** The send function's reserved concurrency in the CDK app. */
const SEND_WORKERS = 2;
/** A fictional sender's address for the footer of local emails. */
export const LOCAL_POSTAL_ADDRESS = 'Paperboy (local), 1 Example Street, 00000 Exampletown';

export interface LocalRuntime {
  invoker: AsyncInvoker;
  /** The in-process send queue (SQS on AWS), feeding the send handler. */
  queue: WorkQueue;
  s3: S3Client;
  /** Each function's handler, built by its own composition root from the local environment. */
  handlers: {
    ingest: (event: unknown) => ReturnType<ReturnType<typeof createIngestObjectHandler>>;
    rank: (event: unknown) => ReturnType<ReturnType<typeof createRankPapersHandler>>;
    send: (event: SQSEvent) => Promise<SQSBatchResponse>;
    api: ReturnType<typeof createApiHandler>;
    feedback: (event: unknown) => ReturnType<ReturnType<typeof createFeedbackHandler>>;
  };
  /** What operators (the CLI) and tests read and build: editions, the ingest log, subscribers, links. */
  operator: {
    editions: DynamoEditionRepository;
    ingestLog: DynamoIngestLog;
    subscribers: DynamoSubscriberRepository;
    links: LinkBuilder;
    /** The send function's own dependencies (the CLI's `send` and `preview` use them as it does). */
    send: SendDigestsDeps;
    stats: DynamoEditionStats;
    /** The subscriber id of an address, as the api function derives it. */
    subscriberId(email: string): Promise<string>;
    /** The in-process sign-up queue (SQS on AWS), feeding the process-signup handler. */
    signups: SignupQueue;
  };
}

/**
 * The functions wired to a set of emulators, in this process: used by `npm start` around the
 * emulators it starts, and by the CLI when it attaches to a stack that is already running. Each
 * function is built by the same composition root as its Lambda, from an environment made here;
 * the send queue is in-process, so whoever ranks an edition also sends it.
 */
export async function createLocalRuntime(
  endpoints: LocalEndpoints,
  settings: LocalSettings,
  log: (line: string) => void = () => {},
): Promise<LocalRuntime> {
  setAwsEnvironment(endpoints, settings.sesMaxSendRate ?? 14);
  const env = functionEnvironment(endpoints, settings);
  const invoker = new AsyncInvoker({
    attempts: 3,
    backoffMs: 200,
    onError: (letter) => {
      log(`dead letter from ${letter.source}: ${letter.error}`);
      // Kept in the data folder, as a dead-letter queue keeps it: `paperboy dlq` lists and redrives it.
      invoker.track(
        appendDeadLetter(settings.dataDir, letter).catch((error: unknown) =>
          log(`could not keep that dead letter in ${settings.dataDir}: ${(error as Error).message}`),
        ),
      );
    },
  });
  const templates = await compileTemplates();
  const sendEnv = parseEnv(SendDigestEnv, env);
  // The operator's instance (the CLI's send and preview), also invoked directly as `handlers.send`:
  // one sender alone, so its pace is the whole rate (were the queue's workers sending at the same
  // time, the SES stand-in would throttle and the retries would sort it out).
  // The send queue (SQS on AWS): whoever ranks an edition, or a send job short of time, queues here.
  const queue: WorkQueue = { enqueue: (jobs) => sendQueue.send(jobs) };
  const sendWiring = sendDigestDeps({ ...sendEnv, [ENV.sendWorkers]: 1 }, { templates, queue });
  const send = createSendDigestHandler(sendWiring);
  // Reserved concurrency: SEND_WORKERS at once, as on AWS. Each is an instance of its own, built
  // by the root, with its own pace at its share of the SES rate, as each Lambda instance is.
  const idle = Array.from({ length: SEND_WORKERS }, () =>
    createSendDigestHandler(sendDigestDeps(sendEnv, { templates, queue })),
  );
  const sendQueue = new MemoryQueue<SendJob>(
    invoker,
    'send-queue',
    async (event) => {
      const instance = idle.pop();
      if (!instance) throw new Error('more send invocations at once than send workers');
      try {
        return await instance(event, localLambdaContext('send', TIMEOUT_MS.send));
      } finally {
        idle.push(instance);
      }
    },
    {
      maxReceives: 5,
      visibilityTimeoutMs: 6 * TIMEOUT_MS.send,
      concurrency: SEND_WORKERS,
      retryDelayMs: 500,
    },
  );
  // Why a sign-up failed, by message id: the dead letter keeps the handler's reason.
  const signupFailures = new Map<string, string>();
  const signup = createProcessSignupHandler({
    ...processSignupDeps(parseEnv(ProcessSignupEnv, env), { templates }),
    failed: (messageId, reason) => signupFailures.set(messageId, reason),
  });
  const signupQueue = new MemoryQueue<SignupMessage>(
    invoker,
    'signup-queue',
    (event) => signup(event, localLambdaContext('signup', TIMEOUT_MS.signup)),
    {
      maxReceives: 5,
      visibilityTimeoutMs: 360_000,
      concurrency: 10,
      retryDelayMs: 200,
      reasonOf: (messageId) => {
        const reason = signupFailures.get(messageId);
        signupFailures.delete(messageId);
        return reason;
      },
    },
  );
  const signups: SignupQueue = { enqueue: (message) => signupQueue.send([message]) };
  const ingest = createIngestObjectHandler(ingestObjectDeps(parseEnv(IngestObjectEnv, env)));
  const rank = createRankPapersHandler(rankPapersDeps(parseEnv(RankPapersEnv, env), { queue }));
  const apiWiring = apiDeps(parseEnv(ApiEnv, env), { templates, signups });
  const feedback = createFeedbackHandler(feedbackDeps(parseEnv(FeedbackEnv, env), { queue }));
  const api = createApiHandler(apiWiring);
  await ensureTable(settings.tableName);
  const db = documentClient();
  return {
    invoker,
    queue,
    s3: s3Client(),
    handlers: {
      ingest: (event) => ingest(event, localLambdaContext('ingest', TIMEOUT_MS.ingest)),
      rank: (event) => rank(event, localLambdaContext('rank', TIMEOUT_MS.rank)),
      send: (event) => send(event, localLambdaContext('send', TIMEOUT_MS.send)),
      api: (event) => api(event, localLambdaContext('api', TIMEOUT_MS.api)),
      feedback: (event) => feedback(event, localLambdaContext('feedback', TIMEOUT_MS.feedback)),
    },
    operator: {
      editions: new DynamoEditionRepository(db, settings.tableName),
      ingestLog: new DynamoIngestLog(db, settings.tableName),
      subscribers: new DynamoSubscriberRepository(db, settings.tableName, systemClock),
      links: apiWiring.links,
      send: sendWiring,
      stats: new DynamoEditionStats(db, settings.tableName),
      subscriberId: async (email) => subscriberIdFor(normalizeEmail(email), await apiWiring.keys.current()),
      signups,
    },
  };
}

/**
 * The environment every local function is built from: what the CDK app sets on each Lambda,
 * with local values (the token key in a file, the stack's own URLs, the fictional postal address).
 */
export function functionEnvironment(
  endpoints: LocalEndpoints,
  settings: LocalSettings,
): Record<string, string> {
  return {
    [ENV.tableName]: settings.tableName,
    [ENV.bucketName]: settings.bucket,
    [ENV.senderAddress]: settings.sender,
    [ENV.publicBaseUrl]: endpoints.api,
    [ENV.tokenKeyFile]: join(settings.dataDir, 'token-key.json'),
    [ENV.editionTimeZone]: settings.timeZone,
    [ENV.sendWorkers]: String(SEND_WORKERS),
    // One process works every sign-up here: its pace is the whole rate (AWS splits it among its workers).
    [ENV.signupWorkers]: '1',
    [ENV.postalAddress]: LOCAL_POSTAL_ADDRESS,
    ...(settings.sendRateCap ? { [ENV.sendRateCap]: String(settings.sendRateCap) } : {}),
    ...(settings.rateLimits?.perIpPerMinute
      ? { [ENV.rateLimitPerIp]: String(settings.rateLimits.perIpPerMinute) }
      : {}),
    ...(settings.rateLimits?.perAddressPerHour
      ? { [ENV.rateLimitPerAddress]: String(settings.rateLimits.perAddressPerHour) }
      : {}),
    // The in-process queues stand in for SQS; the variables only have to be well-formed.
    [ENV.sendQueueUrl]: 'http://127.0.0.1/local/send-queue',
    [ENV.signupQueueUrl]: 'http://127.0.0.1/local/signup-queue',
  };
}

/**
 * Points the AWS SDK at the emulators through its own variables, so the adapters create plain
 * clients exactly as they do in Lambda. The emulators accept the S3RVER credentials.
 */
export function setAwsEnvironment(urls: LocalEndpoints, sesMaxSendRate: number): void {
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_ENDPOINT_URL_DYNAMODB: urls.dynamodb,
    AWS_ENDPOINT_URL_S3: urls.s3,
    AWS_ENDPOINT_URL_SESV2: urls.ses,
    // Without these, s3rver stores streamed uploads with their aws-chunked framing inside.
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
    // What the emulator answers to GetAccount; it checks the whole shape, so every field is here.
    AWS_SES_ACCOUNT: JSON.stringify({
      DedicatedIpAutoWarmupEnabled: false,
      Details: {
        AdditionalContactEmailAddresses: [],
        ContactLanguage: 'EN',
        MailType: 'MARKETING',
        ReviewDetails: { CaseId: 'local', Status: 'GRANTED' },
        UseCaseDescription: 'Paperboy on the local stack',
        WebsiteURL: urls.api,
      },
      EnforcementStatus: 'HEALTHY',
      ProductionAccessEnabled: true,
      SendingEnabled: true,
      SendQuota: { Max24HourSend: 1_000_000, MaxSendRate: sesMaxSendRate, SentLast24Hours: 0 },
      SuppressionAttributes: { SuppressedReasons: [] },
    }),
    // Lambda runs Node.js 22; the SDK's notice about this machine's Node 20 is known (README).
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
  delete process.env.AWS_PROFILE;
}

async function ensureTable(tableName: string): Promise<void> {
  const client = new DynamoDBClient({});
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
  } catch (error) {
    if ((error as Error).name !== 'ResourceNotFoundException') throw error;
    await client.send(new CreateTableCommand(tableDefinition(tableName)));
  } finally {
    client.destroy();
  }
}
