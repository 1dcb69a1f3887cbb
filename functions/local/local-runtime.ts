import { join } from 'node:path';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { DynamoEditionRepository } from '../adapters/dynamo-edition-repository.ts';
import { DynamoIngestLog } from '../adapters/dynamo-ingest-log.ts';
import { DynamoSubscriberRepository } from '../adapters/dynamo-subscriber-repository.ts';
import { compileTemplates } from '../adapters/mjml-compiler.ts';
import type { LinkBuilder } from '../core/links.ts';
import type { SendJob, SignupQueue, WorkQueue } from '../core/ports.ts';
import type { RateLimits } from '../core/rate-limits.ts';
import type { SignupMessage } from '../core/signup.ts';
import { normalizeEmail } from '../core/subscriber.ts';
import { subscriberIdFor } from '../core/tokens.ts';
import { ApiEnv, apiDeps } from '../roots/api.ts';
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
import { createIngestObjectHandler } from '../triggers/ingest-object.ts';
import { createProcessSignupHandler } from '../triggers/process-signup.ts';
import { createRankPapersHandler } from '../triggers/rank-papers.ts';
import { createSendDigestHandler } from '../triggers/send-digest.ts';
import { AsyncInvoker } from './async-invoker.ts';
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
} as const;

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
  };
  /** What operators (the CLI) and tests read and build: editions, the ingest log, subscribers, links. */
  operator: {
    editions: DynamoEditionRepository;
    ingestLog: DynamoIngestLog;
    subscribers: DynamoSubscriberRepository;
    links: LinkBuilder;
    /** The subscriber id of an address, as the api function derives it. */
    subscriberId(email: string): Promise<string>;
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
  setAwsEnvironment(endpoints);
  const env: Record<string, string> = {
    [ENV.tableName]: settings.tableName,
    [ENV.bucketName]: settings.bucket,
    [ENV.senderAddress]: settings.sender,
    [ENV.publicBaseUrl]: endpoints.api,
    [ENV.tokenKeyFile]: join(settings.dataDir, 'token-key.json'),
    [ENV.editionTimeZone]: settings.timeZone,
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
  const invoker = new AsyncInvoker({
    attempts: 3,
    backoffMs: 200,
    onError: (letter) => log(`dead letter from ${letter.source}: ${letter.error}`),
  });
  const templates = await compileTemplates();
  const send = createSendDigestHandler(sendDigestDeps(parseEnv(SendDigestEnv, env), { templates }));
  const sendQueue = new MemoryQueue<SendJob>(invoker, 'send-queue', (event) =>
    send(event, localLambdaContext('send', TIMEOUT_MS.send)),
  );
  const queue: WorkQueue = { enqueue: (jobs) => sendQueue.send(jobs) };
  const signup = createProcessSignupHandler(
    processSignupDeps(parseEnv(ProcessSignupEnv, env), { templates }),
  );
  const signupQueue = new MemoryQueue<SignupMessage>(invoker, 'signup-queue', (event) =>
    signup(event, localLambdaContext('signup', TIMEOUT_MS.signup)),
  );
  const signups: SignupQueue = { enqueue: (message) => signupQueue.send([message]) };
  const ingest = createIngestObjectHandler(ingestObjectDeps(parseEnv(IngestObjectEnv, env)));
  const rank = createRankPapersHandler(rankPapersDeps(parseEnv(RankPapersEnv, env), { queue }));
  const apiWiring = apiDeps(parseEnv(ApiEnv, env), { templates, signups });
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
    },
    operator: {
      editions: new DynamoEditionRepository(db, settings.tableName),
      ingestLog: new DynamoIngestLog(db, settings.tableName),
      subscribers: new DynamoSubscriberRepository(db, settings.tableName, systemClock),
      links: apiWiring.links,
      subscriberId: async (email) => subscriberIdFor(normalizeEmail(email), await apiWiring.keys.current()),
    },
  };
}

/**
 * Points the AWS SDK at the emulators through its own variables, so the adapters create plain
 * clients exactly as they do in Lambda. The emulators accept the S3RVER credentials.
 */
function setAwsEnvironment(urls: LocalEndpoints): void {
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
    AWS_SES_ACCOUNT: JSON.stringify({
      SendQuota: { Max24HourSend: 50_000, MaxSendRate: 14, SentLast24Hours: 0 },
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
