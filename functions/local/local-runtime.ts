import { join } from 'node:path';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { compileTemplates } from '../adapters/mjml-compiler.ts';
import { createApiHandler } from '../handlers/api.ts';
import { createIngestObjectHandler } from '../handlers/ingest-object.ts';
import { createRankPapersHandler } from '../handlers/rank-papers.ts';
import { createSendDigestHandler } from '../handlers/send-digest.ts';
import { Runtime } from '../handlers/wiring.ts';
import { AsyncInvoker } from './async-invoker.ts';
import { MemoryWorkQueue } from './memory-work-queue.ts';
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
  dataDir: string;
  tableName: string;
  bucket: string;
  sender: string;
  timeZone: string;
}

export interface LocalRuntime {
  runtime: Runtime;
  invoker: AsyncInvoker;
  s3: S3Client;
  handlers: {
    ingest: ReturnType<typeof createIngestObjectHandler>;
    rank: ReturnType<typeof createRankPapersHandler>;
    api: () => Promise<ReturnType<typeof createApiHandler>>;
  };
}

/**
 * The handlers wired to a set of emulators, in this process: used by `npm start` around the
 * emulators it starts, and by the CLI when it attaches to a stack that is already running.
 * The send queue is in-process, so whoever ranks an edition also sends it.
 */
export async function createLocalRuntime(
  endpoints: LocalEndpoints,
  settings: LocalSettings,
  log: (line: string) => void = () => {},
): Promise<LocalRuntime> {
  setAwsEnvironment(endpoints);
  const invoker = new AsyncInvoker({
    attempts: 3,
    backoffMs: 200,
    onError: (letter) => log(`dead letter from ${letter.source}: ${letter.error}`),
  });
  let sendHandler: Promise<ReturnType<typeof createSendDigestHandler>> | undefined;
  let apiHandler: Promise<ReturnType<typeof createApiHandler>> | undefined;
  const queue = new MemoryWorkQueue(
    invoker,
    () => (sendHandler ??= runtime.sendDeps().then(createSendDigestHandler)),
  );
  const runtime = new Runtime(
    {
      TABLE_NAME: settings.tableName,
      BUCKET_NAME: settings.bucket,
      SENDER_ADDRESS: settings.sender,
      PUBLIC_BASE_URL: endpoints.api,
      TOKEN_KEY_FILE: join(settings.dataDir, 'token-key.json'),
      EDITION_TIME_ZONE: settings.timeZone,
    },
    { templates: await compileTemplates(), queue },
  );
  await ensureTable(settings.tableName);
  return {
    runtime,
    invoker,
    s3: new S3Client({ forcePathStyle: true }),
    handlers: {
      ingest: createIngestObjectHandler(runtime.ingestDeps()),
      rank: createRankPapersHandler(runtime.rankDeps()),
      api: () => (apiHandler ??= runtime.apiDeps().then(createApiHandler)),
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
