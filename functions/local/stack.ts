import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { S3Event } from 'aws-lambda';
import sesModule from 'aws-ses-v2-local';
import dynalite from 'dynalite';
import S3rver from 's3rver';
import type { IngestFileResult } from '../core/ingest-file.ts';
import type { RateLimits } from '../core/rate-limits.ts';
import type { DeadLetter } from './async-invoker.ts';
import { createHttpGateway } from './http-gateway.ts';
import { createLocalRuntime, type LocalRuntime } from './local-runtime.ts';
import { DailyScheduler } from './scheduler.ts';
import { LocalSesEvents } from './ses-events.ts';
import { createSesThrottle, type SesThrottleCounts } from './ses-throttle.ts';

/** SES's sending rate for a new account out of the sandbox is 14 a second; the local account reports it too. */
export const DEFAULT_SES_RATE = 14;

import { DEFAULT_DATA_DIR } from './stack-info.ts';
import { assertPortFree } from './tcp-ports.ts';

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
  /** The API's rate limits; the deployed defaults when left out (load tests raise them). */
  rateLimits?: Partial<RateLimits>;
  /** The local SES account: the rate GetAccount reports, and the rate the SES stand-in enforces (429 past it). */
  ses?: { maxSendRate: number; enforcedRate?: number };
  /** Emails per second all send workers together may send (SEND_RATE_CAP). */
  sendRateCap?: number;
  log?: (line: string) => void;
}

export const defaultLocalOptions: LocalStackOptions = {
  host: '127.0.0.1',
  ports: { api: 3000, dynamodb: 8000, s3: 4569, ses: 8005 },
  dataDir: DEFAULT_DATA_DIR,
  persist: true,
  tableName: 'paperboy',
  bucket: 'paperboy-ingest',
  sender: 'papers@paperboy.local',
  timeZone: 'UTC',
  sendAt: '06:00',
};

/** The running stack: the same runtime, handlers and S3 client as `LocalRuntime`, plus its servers. */
export interface LocalStack extends Pick<LocalRuntime, 'handlers' | 's3'> {
  urls: { api: string; mailbox: string; dynamodb: string; s3: string; ses: string };
  options: LocalStackOptions;
  /** The handlers and their wiring, as the CLI also builds them against a running stack. */
  local: LocalRuntime;
  scheduler: DailyScheduler;
  /** SES's events for what the emulator sent: `pump()` publishes the new ones to the feedback handler. */
  sesEvents: LocalSesEvents;
  /** What the SES rate-limit stand-in saw: SendEmail calls, and those it answered 429. */
  sesThrottle: SesThrottleCounts;
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

    // The SES emulator listens inside; in front of it, on the SES port, a stand-in for SES's rate limit.
    const ses = await sesServer({ host, port: 0 });
    servers.push({ name: 'ses', close: () => closeServer(ses) });
    const sesAccount = options.ses ?? { maxSendRate: DEFAULT_SES_RATE };
    const throttle = createSesThrottle(
      { host, port: (ses.address() as AddressInfo).port },
      () => sesAccount.enforcedRate ?? sesAccount.maxSendRate,
    );
    const sesPort = await listen(throttle, ports.ses, host);
    servers.push({ name: 'ses-throttle', close: () => closeServer(throttle) });

    const urls = {
      dynamodb: `http://${host}:${dynamoPort}`,
      s3: `http://${host}:${s3Address.port}`,
      ses: `http://${host}:${sesPort}`,
      mailbox: `http://${host}:${sesPort}/`,
      api: '',
    };
    // The API's public base URL must name the real port, so the gateway listens first and
    // finds its handler on the first request.
    let local: LocalRuntime | undefined;
    const gateway = createHttpGateway(() => local?.handlers.api);
    const apiPort = await listen(gateway, ports.api, host);
    servers.push({ name: 'api', close: () => closeServer(gateway) });
    urls.api = `http://${host}:${apiPort}/`;

    local = await createLocalRuntime(urls, { ...options, sesMaxSendRate: sesAccount.maxSendRate }, log);
    const { invoker, handlers } = local;
    // SES's event destination: each message the emulator took becomes Send and Delivery events.
    const sesEvents = new LocalSesEvents(urls.ses, (event) =>
      invoker.invoke('ses-events', event, () => handlers.feedback(event)),
    );
    servers.push({ name: 'ses-events', close: async () => sesEvents.stop() });
    const ingested: IngestFileResult[] = [];
    s3rver.on('event', (event) => {
      const s3Event = asS3Notification(event);
      invoker.invoke('ingest', s3Event, async () => {
        const results = await handlers.ingest(s3Event);
        ingested.push(...results);
        return results;
      });
    });

    const scheduler = new DailyScheduler(
      { at: options.sendAt, timeZone: options.timeZone, statePath: join(options.dataDir, 'scheduler.json') },
      (event) => invoker.invoke('schedule', event, () => handlers.rank(event)),
      log,
    );
    servers.push({ name: 'scheduler', close: async () => scheduler.stop() });

    return {
      urls,
      options,
      local,
      handlers,
      s3: local.s3,
      scheduler,
      deadLetters: invoker.deadLetters,
      sesEvents,
      sesThrottle: throttle.counts,
      ingested,
      idle: () => invoker.idle(),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
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
