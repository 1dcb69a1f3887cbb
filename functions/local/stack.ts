import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';
import sesModule from 'aws-ses-v2-local';
import dynalite from 'dynalite';
import S3rver from 's3rver';
import { compileTemplates } from '../adapters/mjml-compiler.ts';
import type { IngestFileResult } from '../core/ingest-file.ts';
import { createApiHandler } from '../handlers/api.ts';
import { createIngestObjectHandler } from '../handlers/ingest-object.ts';
import { createRankPapersHandler } from '../handlers/rank-papers.ts';
import { createSendDigestHandler } from '../handlers/send-digest.ts';
import { Runtime } from '../handlers/wiring.ts';
import { AsyncInvoker, type DeadLetter } from './async-invoker.ts';
import { createHttpGateway } from './http-gateway.ts';
import { MemoryWorkQueue } from './memory-work-queue.ts';
import { assertPortFree } from './ports.ts';
import { DailyScheduler } from './scheduler.ts';
import { tableDefinition } from './table.ts';

// The package is CommonJS compiled from ESM: under Node's ESM loader its factory is `.default`,
// while bundlers that honour `__esModule` (vitest) hand over the factory itself.
const sesServer: typeof sesModule =
  typeof sesModule === 'function'
    ? sesModule
    : (sesModule as unknown as { default: typeof sesModule }).default;

export interface LocalStackOptions {
  host: string;
  ports: { api: number; dynamodb: number; s3: number; ses: number };
  /** Where DynamoDB data, S3 objects and the token key live; undefined keeps DynamoDB in memory. */
  dataDir: string;
  persist: boolean;
  tableName: string;
  bucket: string;
  sender: string;
  timeZone: string;
  /** `HH:MM` in `timeZone` at which the daily edition is ranked and sent. */
  sendAt: string;
  log?: (line: string) => void;
}

export const defaultLocalOptions: LocalStackOptions = {
  host: '127.0.0.1',
  ports: { api: 3000, dynamodb: 8000, s3: 4569, ses: 8005 },
  dataDir: '.local-data',
  persist: true,
  tableName: 'paperboy',
  bucket: 'paperboy-ingest',
  sender: 'papers@paperboy.local',
  timeZone: 'UTC',
  sendAt: '06:00',
};

export interface LocalStack {
  urls: { api: string; mailbox: string; dynamodb: string; s3: string; ses: string };
  options: LocalStackOptions;
  runtime: Runtime;
  handlers: {
    ingest: ReturnType<typeof createIngestObjectHandler>;
    rank: ReturnType<typeof createRankPapersHandler>;
  };
  s3: S3Client;
  scheduler: DailyScheduler;
  deadLetters: DeadLetter[];
  /** What every ingest of this run produced, in order. */
  ingested: IngestFileResult[];
  /** Resolves once every ingest, send job and retry in flight has finished. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts the whole pipeline on this machine: dynalite, s3rver and aws-ses-v2-local as the AWS
 * services, the api handler behind a local API Gateway, S3 object-created events wired to the
 * ingest handler, an in-process queue to the send handler and a daily scheduler for ranking.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const { host, ports } = options;
  const log = options.log ?? (() => {});
  await assertPortFree(host, ports.dynamodb, 'DynamoDB emulator', '--dynamodb-port');
  await assertPortFree(host, ports.s3, 'S3 emulator', '--s3-port');
  await assertPortFree(host, ports.ses, 'SES emulator and mailbox', '--ses-port');
  await assertPortFree(host, ports.api, 'API and pages', '--api-port');
  await mkdir(join(options.dataDir, 's3'), { recursive: true });

  const servers: { name: string; close: () => Promise<void> }[] = [];
  const stop = async () => {
    for (const server of servers.reverse()) await server.close().catch(() => {});
    servers.length = 0;
  };
  try {
    const dynamo = dynalite({
      createTableMs: 0,
      ...(options.persist ? { path: join(options.dataDir, 'dynamodb') } : {}),
    });
    const dynamoPort = await listen(dynamo, ports.dynamodb, host);
    servers.push({ name: 'dynamodb', close: () => closeServer(dynamo) });

    const s3rver = new S3rver({
      address: host,
      port: ports.s3,
      silent: true,
      directory: join(options.dataDir, 's3'),
      configureBuckets: [{ name: options.bucket }],
    });
    const s3Address = await s3rver.run();
    servers.push({ name: 's3', close: () => s3rver.close() });

    const ses = await sesServer({ host, port: ports.ses });
    servers.push({ name: 'ses', close: () => closeServer(ses) });
    const sesPort = (ses.address() as AddressInfo).port;

    const urls = {
      dynamodb: `http://${host}:${dynamoPort}`,
      s3: `http://${host}:${s3Address.port}`,
      ses: `http://${host}:${sesPort}`,
      mailbox: `http://${host}:${sesPort}/`,
      api: '',
    };
    setAwsEnvironment(urls);

    const invoker = new AsyncInvoker({
      attempts: 3,
      backoffMs: 200,
      onError: (letter) => log(`dead letter from ${letter.source}: ${letter.error}`),
    });
    const templates = await compileTemplates();
    let sendHandler: Promise<ReturnType<typeof createSendDigestHandler>> | undefined;
    let apiHandler: Promise<ReturnType<typeof createApiHandler>> | undefined;
    const queue = new MemoryWorkQueue(
      invoker,
      () => (sendHandler ??= runtime.sendDeps().then(createSendDigestHandler)),
    );

    // The API's public base URL must name the real port, so the gateway listens before the runtime exists.
    const gateway = createHttpGateway(() => (apiHandler ??= runtime.apiDeps().then(createApiHandler)));
    const apiPort = await listen(gateway, ports.api, host);
    servers.push({ name: 'api', close: () => closeServer(gateway) });
    urls.api = `http://${host}:${apiPort}/`;

    const runtime = new Runtime(
      {
        TABLE_NAME: options.tableName,
        BUCKET_NAME: options.bucket,
        SENDER_ADDRESS: options.sender,
        PUBLIC_BASE_URL: urls.api,
        TOKEN_KEY_FILE: join(options.dataDir, 'token-key.json'),
        EDITION_TIME_ZONE: options.timeZone,
      },
      { templates, queue },
    );
    await ensureTable(options.tableName);

    const ingest = createIngestObjectHandler(runtime.ingestDeps());
    const rank = createRankPapersHandler(runtime.rankDeps());
    const ingested: IngestFileResult[] = [];
    s3rver.on('event', (event) => {
      const s3Event = asS3Notification(event);
      invoker.invoke('ingest', s3Event, async () => {
        const results = await ingest(s3Event);
        ingested.push(...results);
        return results;
      });
    });

    const scheduler = new DailyScheduler({ at: options.sendAt, timeZone: options.timeZone }, (event) => {
      invoker.invoke('schedule', event, () => rank(event));
    });
    servers.push({ name: 'scheduler', close: async () => scheduler.stop() });

    return {
      urls,
      options,
      runtime,
      handlers: { ingest, rank },
      s3: new S3Client({ forcePathStyle: true }),
      scheduler,
      deadLetters: invoker.deadLetters,
      ingested,
      idle: () => invoker.idle(),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Points the AWS SDK at the emulators through its own variables, so the adapters create plain
 * clients exactly as they do in Lambda. The emulators accept the S3RVER credentials.
 */
function setAwsEnvironment(urls: { dynamodb: string; s3: string; ses: string }): void {
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
  });
  delete process.env.AWS_PROFILE;
}

/** s3rver hands keys over decoded; S3 notifications carry them URL-encoded with `+` for spaces. */
function asS3Notification(event: S3Event): S3Event {
  return {
    Records: event.Records.map((record) => ({
      ...record,
      s3: {
        ...record.s3,
        object: {
          ...record.s3.object,
          key: record.s3.object.key
            .split('/')
            .map((part) => encodeURIComponent(part).replace(/%20/gu, '+'))
            .join('/'),
        },
      },
    })),
  };
}

async function ensureTable(tableName: string): Promise<void> {
  const client = new DynamoDBClient({});
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
  } catch (error) {
    if (
      !(error instanceof ResourceNotFoundException || (error as Error).name === 'ResourceNotFoundException')
    ) {
      throw error;
    }
    await client.send(new CreateTableCommand(tableDefinition(tableName)));
  } finally {
    client.destroy();
  }
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections?.();
  return new Promise((resolve) => server.close(() => resolve()));
}
