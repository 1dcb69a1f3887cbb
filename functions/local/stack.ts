import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { S3Event } from 'aws-lambda';
import sesModule from 'aws-ses-v2-local';
import dynalite from 'dynalite';
import S3rver from 's3rver';
import type { CollectorConfig } from '../core/collect/config.ts';
import type { IngestFileResult } from '../core/ingest-file.ts';
import type { CollectRun } from '../core/ports.ts';
import type { RateLimits } from '../core/rate-limits.ts';
import { CollectEnv, collectDeps } from '../roots/collect.ts';
import { IngestObjectEnv, ingestObjectDeps } from '../roots/ingest-object.ts';
import { parseEnv } from '../shared/config.ts';
import { createCollectHandler } from '../triggers/collect.ts';
import { createIngestObjectHandler } from '../triggers/ingest-object.ts';
import type { DeadLetter } from './async-invoker.ts';
import { CollectScheduler } from './collector.ts';
import { createHttpGateway } from './http-gateway.ts';
import { localLambdaContext } from './lambda-context.ts';
import { createLocalRuntime, functionEnvironment, type LocalRuntime } from './local-runtime.ts';
import { DailyScheduler } from './scheduler.ts';
import { LocalSesEvents } from './ses-events.ts';
import { createSesThrottle, type SesThrottleCounts } from './ses-throttle.ts';

/** SES's sending rate for a new account out of the sandbox is 14 a second; the local account reports it too. */
export const DEFAULT_SES_RATE = 14;

import { DEFAULT_DATA_DIR } from './stack-info.ts';
import { assertDistinctPorts, assertPortFree, type PortUse, portInUse } from './tcp-ports.ts';

/** The collector function's timeout in the CDK app (infra/constructs/collector.ts). */
export const COLLECT_TIMEOUT_MS = 10 * 60_000;

/** The ingest function's timeout in the CDK app (as local-runtime.ts gives its handler). */
const INGEST_TIMEOUT_MS = 5 * 60_000;

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
  /**
   * Collection switched on (`npm start -- --collect`): the collector's configuration and the
   * times of day (`HH:MM` in `timeZone`) it runs at. Off when left out: no request leaves the machine.
   */
  collector?: { config: CollectorConfig; times: readonly string[] };
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
  /** With `options.collector`: runs the collector at its times of day (start it with `start()`). */
  collectScheduler?: CollectScheduler;
  /** With `options.collector`: one collection now, as the schedule runs it (the collector function's handler). */
  collect?: () => Promise<CollectRun>;
  /** SES's events for what the emulator sent: `pump()` publishes the new ones to the feedback handler. */
  sesEvents: LocalSesEvents;
  /** What the SES rate-limit stand-in saw: SendEmail calls, and those it answered 429. */
  sesThrottle: SesThrottleCounts;
  deadLetters: DeadLetter[];
  /** What every ingest of this run produced, in order. */
  ingested: IngestFileResult[];
  /** Resolves once every ingest, send job and retry in flight has finished. */
  idle(): Promise<void>;
  /** What is running now, for an operator waiting on it. */
  inFlight(): Promise<InFlight>;
  /**
   * Stops every ingest in flight, and any that starts from now on, at its next check (each
   * chunk read, each batch stored), as Lambda's time limit stops the function: the papers read
   * so far are stored, the file moves to `quarantine/` with its error report, and the ingest log
   * records it. Nothing is left half-done without a record, and uploading the file again ingests
   * it whole (ingestion is idempotent). Used to stop within a bounded time.
   */
  cancelIngests(): void;
  /**
   * Stops the collections in flight (`npm start -- --collect`), and any that would start: their
   * requests are cancelled, no other starts, each still writes its run record and gives its lease
   * back. A collection holds nothing that matters (what it wrote stays, and is ingested; what it
   * did not fetch is fetched next time), so stopping is never waited for.
   */
  cancelCollections(): void;
  /** Closes every server. Work still in flight fails from then on: wait for `idle()` first. */
  stop(): Promise<void>;
}

/** The work of a stack in flight at one moment. */
export interface InFlight {
  /** Keys of the files being ingested. */
  ingests: string[];
  /** Scheduled edition runs being made (and dispatched). */
  editions: number;
  /** Collections running (`npm start -- --collect`). */
  collections: number;
  /** Nothing at all is running: no ingest, edition, send job, SES event or retry. */
  idle: boolean;
}

/**
 * Starts the whole pipeline on this machine: dynalite, s3rver and aws-ses-v2-local as the AWS
 * services, the api handler behind a local API Gateway, S3 object-created events wired to the
 * ingest handler, an in-process queue to the send handler and a daily scheduler for ranking.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const { host } = options;
  const log = options.log ?? (() => {});
  const uses = portUses(options.ports);
  // Before anything starts: two servers on one port, or a port something else holds, named.
  assertDistinctPorts(Object.values(uses));
  for (const use of Object.values(uses)) await assertPortFree(host, use.port, use.role, use.flag);
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
    const dynamoPort = await listen(dynamo, uses.dynamodb, host);
    servers.push({ name: 'dynamodb', close: () => closeServer(dynamo) });

    const s3rver = new S3rver({
      address: host,
      port: uses.s3.port,
      silent: true,
      directory: join(options.dataDir, 's3'),
      configureBuckets: [{ name: options.bucket }],
    });
    // `silent` quiets its console transport, yet a request that ends after close() (a body the
    // ingest stopped reading when the stack was stopped) makes winston warn on stderr that it has
    // no transports left: the logger itself is made silent.
    const { logger } = s3rver as unknown as { logger?: { silent: boolean } };
    if (logger) logger.silent = true;
    const s3Address = await s3rver.run().catch((error: unknown) => {
      throw asPortError(error, host, uses.s3);
    });
    servers.push({ name: 's3', close: () => s3rver.close() });

    // The SES emulator listens inside; in front of it, on the SES port, a stand-in for SES's rate limit.
    const ses = await sesServer({ host, port: 0 });
    servers.push({ name: 'ses', close: () => closeServer(ses) });
    const sesAccount = options.ses ?? { maxSendRate: DEFAULT_SES_RATE };
    const throttle = createSesThrottle(
      { host, port: (ses.address() as AddressInfo).port },
      () => sesAccount.enforcedRate ?? sesAccount.maxSendRate,
    );
    const sesPort = await listen(throttle, uses.ses, host);
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
    const apiPort = await listen(gateway, uses.api, host);
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
    // The ingest function as the bucket notification invokes it: the same composition root as
    // `handlers.ingest`, with a Lambda context whose time runs out at once after cancelIngests().
    const ingest = createIngestObjectHandler(
      ingestObjectDeps(parseEnv(IngestObjectEnv, functionEnvironment(urls, options))),
    );
    let ingestsCancelled = false;
    const ingesting = new Map<symbol, string[]>();
    s3rver.on('event', (event) => {
      const s3Event = asS3Notification(event);
      invoker.invoke('ingest', s3Event, async () => {
        const run = Symbol('ingest');
        ingesting.set(
          run,
          event.Records.map((record) => record.s3.object.key),
        );
        try {
          const context = localLambdaContext('ingest', INGEST_TIMEOUT_MS);
          const results = await ingest(s3Event, {
            ...context,
            getRemainingTimeInMillis: () => (ingestsCancelled ? 0 : context.getRemainingTimeInMillis()),
          });
          ingested.push(...results);
          return results;
        } finally {
          ingesting.delete(run);
        }
      });
    });

    let editions = 0;
    let collections = 0;
    const collectionsStopped = new AbortController();
    const scheduler = new DailyScheduler(
      { at: options.sendAt, timeZone: options.timeZone, statePath: join(options.dataDir, 'scheduler.json') },
      (event) =>
        invoker.invoke('schedule', event, async () => {
          editions += 1;
          try {
            return await handlers.rank(event);
          } finally {
            editions -= 1;
          }
        }),
      log,
    );
    servers.push({ name: 'scheduler', close: async () => scheduler.stop() });

    // The collector, only when switched on: the same root and handler as its Lambda, fired by a
    // local stand-in for its EventBridge schedule.
    let collect: (() => Promise<CollectRun>) | undefined;
    let collectScheduler: CollectScheduler | undefined;
    if (options.collector) {
      const collector = createCollectHandler({
        ...collectDeps(
          parseEnv(CollectEnv, {
            ...functionEnvironment(urls, options),
            COLLECTOR_CONFIG: JSON.stringify(options.collector.config),
          }),
        ),
        signal: collectionsStopped.signal,
      });
      const run = async () => {
        collections += 1;
        try {
          return await collector({}, localLambdaContext('collect', COLLECT_TIMEOUT_MS));
        } finally {
          collections -= 1;
        }
      };
      collect = run;
      const scheduled = new CollectScheduler(
        { times: options.collector.times, timeZone: options.timeZone },
        () => {
          const work = run().then(
            (result) =>
              log(
                `${collectionsStopped.signal.aborted ? 'collection stopped' : 'collected'}: ${describeCollectRun(result)}`,
              ),
            (error: unknown) => log(`collection failed: ${(error as Error).message}`),
          );
          invoker.track(work);
          return work;
        },
      );
      collectScheduler = scheduled;
      servers.push({ name: 'collector', close: async () => scheduled.stop() });
    }

    return {
      urls,
      options,
      local,
      handlers,
      s3: local.s3,
      scheduler,
      ...(collectScheduler ? { collectScheduler } : {}),
      ...(collect ? { collect } : {}),
      deadLetters: invoker.deadLetters,
      sesEvents,
      sesThrottle: throttle.counts,
      ingested,
      idle: () => invoker.idle(),
      inFlight: async () => ({
        ingests: [...ingesting.values()].flat(),
        editions,
        collections,
        idle: await isIdleNow(() => invoker.idle()),
      }),
      cancelIngests: () => {
        ingestsCancelled = true;
      },
      cancelCollections: () => collectionsStopped.abort(),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A collector run in one line: per source, files written, papers, not modified, unchanged, errors, notes. */
export function describeCollectRun(run: CollectRun): string {
  if (run.skipped) return `skipped: ${run.skipped}`;
  return run.sources
    .map((s) => {
      const notes = s.fetched.filter((f) => !f.url).map((f) => f.outcome);
      const stopped = s.errorMessages.find((m) => /stopped|cancelled/u.test(m));
      return (
        `${s.source} ${s.objects.length} file(s), ${s.papers} papers, ${s.notModified} not modified, ${s.unchanged} unchanged, ${s.errors} error(s)` +
        `${s.failed ? ' (FAILED)' : ''}${stopped ? ` [${stopped}]` : ''}${notes.length > 0 ? ` [${notes.join('; ')}]` : ''}`
      );
    })
    .join('; ');
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

/** Each server's port, with what it is and the `npm start` option that moves it, for messages. */
function portUses(ports: LocalStackOptions['ports']): Record<keyof LocalStackOptions['ports'], PortUse> {
  return {
    dynamodb: { port: ports.dynamodb, role: 'DynamoDB emulator', flag: '--dynamodb-port' },
    s3: { port: ports.s3, role: 'S3 emulator', flag: '--s3-port' },
    ses: { port: ports.ses, role: 'SES emulator and mailbox', flag: '--ses-port' },
    api: { port: ports.api, role: 'API and pages', flag: '--api-port' },
  };
}

/** A port taken between the probe and the listen is named too, never a raw EADDRINUSE. */
function asPortError(error: unknown, host: string, use: PortUse): unknown {
  return (error as NodeJS.ErrnoException).code === 'EADDRINUSE'
    ? portInUse(host, use, { cause: error })
    : error;
}

function listen(server: Server, use: PortUse, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const failed = (error: Error) => reject(asPortError(error, host, use));
    server.once('error', failed);
    server.listen(use.port, host, () => {
      server.off('error', failed);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Whether `idle()` resolves at once: nothing in flight. */
async function isIdleNow(idle: () => Promise<void>): Promise<boolean> {
  let done = false;
  void idle().then(() => {
    done = true;
  });
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections?.();
  return new Promise((resolve) => server.close(() => resolve()));
}
