/**
 * `npm start`: the whole pipeline on this machine. Starts the local stack, runs the demo
 * (ingest → subscribe → rank → send), prints what happened, then serves until Ctrl-C.
 */
import './log-level.ts';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { isTimeZone } from '../shared/config.ts';
import { localCollectorConfig, parseTimesOfDay } from './collector.ts';
import { DEMO_EDITIONS, describeDemo, runDemo } from './demo.ts';
import {
  defaultLocalOptions,
  describeCollectRun,
  type InFlight,
  type LocalStack,
  startLocalStack,
} from './stack.ts';
import {
  claimDataDir,
  DataDirBusyError,
  type DataDirClaim,
  readStackInfo,
  waitForDataDir,
} from './stack-info.ts';
import { assertDistinctPorts } from './tcp-ports.ts';

/** The first Ctrl-C waits at most this long for the work in flight to finish. */
const STOP_WAIT_MS = 30_000;
/** Work cut short (a second Ctrl-C, or STOP_WAIT_MS passed) gets this long to record where it stopped. */
const CUT_SHORT_MS = 3_000;

const port = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535)
    throw new InvalidArgumentError('a port is a whole number from 0 to 65535');
  return n;
};
const defaults = defaultLocalOptions;

const program = new Command('npm start --')
  .description(
    'Run Paperboy locally: emulated DynamoDB, S3 and SES, the API and pages, and a daily schedule.',
  )
  .option('--once', 'run the demo pipeline once, print the results and exit')
  .option('--fresh', `delete the local data folder (${defaults.dataDir}) before starting`)
  .option('--api-port <port>', 'port of the API and pages', port, defaults.ports.api)
  .option('--dynamodb-port <port>', 'port of the DynamoDB emulator', port, defaults.ports.dynamodb)
  .option('--s3-port <port>', 'port of the S3 emulator', port, defaults.ports.s3)
  .option('--ses-port <port>', 'port of the SES emulator and its mailbox page', port, defaults.ports.ses)
  .option('--data-dir <dir>', 'where local data is kept', defaults.dataDir)
  .option('--send-at <HH:MM>', 'daily time of the edition, in --time-zone', defaults.sendAt)
  .option('--time-zone <tz>', 'IANA time zone of the schedule', defaults.timeZone)
  .option(
    '--collect',
    'switch collection on: fetch the configured sources once when serving starts, then at --collect-at (off by default: the demo needs no network)',
  )
  .option('--collect-at <times>', 'times of day of collection, in --time-zone', '05:00,11:00,17:00')
  .option(
    '--collect-base-url <url>',
    'send every source to this server (a local fake); otherwise PAPERBOY_COLLECT_HF_URL, PAPERBOY_COLLECT_ARXIV_RSS_URL, PAPERBOY_COLLECT_ARXIV_API_URL or PAPERBOY_COLLECTOR_CONFIG, else the public sources',
  )
  .option('--verbose', "show the handlers' INFO logs")
  .showHelpAfterError();

async function main(): Promise<void> {
  program.parse();
  const flags = program.opts<{
    once?: boolean;
    fresh?: boolean;
    apiPort: number;
    dynamodbPort: number;
    s3Port: number;
    sesPort: number;
    dataDir: string;
    sendAt: string;
    timeZone: string;
    collect?: boolean;
    collectAt: string;
    collectBaseUrl?: string;
  }>();
  if (!/^([01]\d|2[0-3]):[0-5]\d$/u.test(flags.sendAt)) fail('--send-at must be a time such as 06:00');
  if (!isTimeZone(flags.timeZone)) fail('--time-zone must be an IANA time zone such as Europe/Paris');
  let collector: { config: ReturnType<typeof localCollectorConfig>; times: string[] } | undefined;
  if (flags.collect) {
    try {
      collector = {
        config: localCollectorConfig(process.env, flags.collectBaseUrl),
        times: parseTimesOfDay(flags.collectAt),
      };
    } catch (error) {
      fail((error as Error).message.replace(/^--base-url/u, '--collect-base-url'));
    }
  } else if (flags.collectBaseUrl) fail('--collect-base-url needs --collect');
  const ports = { api: flags.apiPort, dynamodb: flags.dynamodbPort, s3: flags.s3Port, ses: flags.sesPort };
  try {
    assertDistinctPorts([
      { port: ports.api, role: 'API and pages', flag: '--api-port' },
      { port: ports.dynamodb, role: 'DynamoDB emulator', flag: '--dynamodb-port' },
      { port: ports.s3, role: 'S3 emulator', flag: '--s3-port' },
      { port: ports.ses, role: 'SES emulator and mailbox', flag: '--ses-port' },
    ]);
  } catch (error) {
    fail((error as Error).message);
  }

  // One process per data folder: a CLI command holding it, or a stack that is stopping, is waited
  // for; another stack is refused.
  let claim: DataDirClaim;
  try {
    const holder = await readStackInfo(flags.dataDir);
    if (holder?.role === 'npm-start' && holder.state !== 'stopping') throw new DataDirBusyError(holder);
    if (holder) {
      const running = await waitForDataDir(flags.dataDir, 120_000, (line) =>
        console.error(`paperboy: ${line}`),
      );
      if (running) throw new DataDirBusyError(running);
    }
    // --fresh empties the folder only once nobody else uses it.
    if (flags.fresh) await rm(flags.dataDir, { recursive: true, force: true });
    const { tableName, bucket, sender } = defaults;
    claim = await claimDataDir({
      role: 'npm-start',
      command: 'npm start',
      dataDir: flags.dataDir,
      tableName,
      bucket,
      sender,
      timeZone: flags.timeZone,
    });
  } catch (error) {
    return fail((error as Error).message);
  }

  let stack: LocalStack;
  try {
    stack = await startLocalStack({
      ...defaults,
      dataDir: flags.dataDir,
      sendAt: flags.sendAt,
      timeZone: flags.timeZone,
      ports,
      ...(collector ? { collector } : {}),
      log: (line) => console.error(line),
    });
  } catch (error) {
    await claim.release();
    return fail((error as Error).message);
  }
  // From here the CLI can use this stack, even while the demo runs.
  await claim.update({ urls: stack.urls });

  const shutdown = stopOnSignals(stack, claim);

  try {
    const run = await runDemo(stack);
    const digestDir = join(flags.dataDir, 'digests');
    await mkdir(digestDir, { recursive: true });
    const digestPath = join(digestDir, `${DEMO_EDITIONS.at(-1)}.html`);
    await writeFile(digestPath, run.digestHtml);
    for (const line of describeDemo(run, { mailbox: stack.urls.mailbox, api: stack.urls.api, digestPath })) {
      console.log(line);
    }
  } catch (error) {
    // Stopped (Ctrl-C) during the run: that is said already, and is not a failure.
    if (!shutdown.started()) console.error(`paperboy: the start-up run failed: ${(error as Error).message}`);
    await shutdown(1);
  }

  if (flags.once || shutdown.started()) {
    await shutdown(0);
    return;
  }
  await claim.update({ state: 'running' });
  if (shutdown.started()) return;
  // SES's events (send, delivery, and the mailbox simulator's bounces and complaints) flow on.
  stack.sesEvents.start(2000);
  const { caughtUp, resumed } = await stack.scheduler.start();
  if (stack.collect && stack.collectScheduler) {
    // Once now, then at each --collect-at time.
    const first = stack.collect();
    // Counted as work in flight, so that Ctrl-C waits for it as for an ingest.
    stack.local.invoker.track(first.then(() => {}));
    void first.then(
      (run) =>
        console.log(`${shutdown.started() ? 'collection stopped' : 'collected'}: ${describeCollectRun(run)}`),
      (error: unknown) => console.error(`paperboy: collection failed: ${(error as Error).message}`),
    );
    stack.collectScheduler.start();
    console.log(`collecting now, then daily at ${flags.collectAt} ${flags.timeZone}`);
  }
  console.log(
    `serving; the edition runs daily at ${flags.sendAt} ${flags.timeZone}` +
      `${caughtUp ? " (today's, missed while the stack was down, is running now)" : ''}` +
      `${resumed ? " (today's sending resumed: readers the last run had not reached get theirs)" : ''}. Ctrl-C stops.`,
  );
}

/**
 * How `npm start` stops, on Ctrl-C (SIGINT, SIGTERM) or when its work is done. It marks the
 * data folder `stopping` first, so that no CLI command attaches to servers about to close (they
 * wait for it to go, then start their own). The first Ctrl-C says at once what it waits for and
 * waits at most STOP_WAIT_MS; a second one (or that time passing) stops now: ingests are cut
 * short as Lambda's time limit cuts them (stored so far, quarantined with a report), given
 * CUT_SHORT_MS to record it, and the operator is told what may be left and how to finish it.
 * Another Ctrl-C after that, or a second one when nothing was being waited for, exits at once.
 */
function stopOnSignals(
  stack: LocalStack,
  claim: DataDirClaim,
): ((code: number) => Promise<never>) & { started(): boolean } {
  let stopping: Promise<never> | undefined;
  let stopNow: (() => void) | undefined;
  let signals = 0;
  const say = (line: string) => console.error(`paperboy: ${line}`);

  const shutdown = (code: number): Promise<never> => {
    stopping ??= (async () => {
      stack.scheduler.stop();
      stack.sesEvents.stop();
      stack.collectScheduler?.stop();
      const before = await stack.inFlight();
      if (before.collections > 0) {
        say(
          'stopping the collection in flight: its requests are cancelled; what it wrote stays and is ingested, ' +
            'what it did not fetch is fetched by the next collection (npx paperboy collect)',
        );
      }
      // Nothing a collection holds is worth waiting for: it stops now, and records its run.
      stack.cancelCollections();
      await claim.update({ state: 'stopping' }).catch(() => {});
      const busy = await stack.inFlight();
      if (!busy.idle) {
        const now = new Promise<'now'>((resolve) => {
          stopNow = () => resolve('now');
        });
        say(
          `stopping: waiting for ${describeWork(busy)} to finish, at most ${STOP_WAIT_MS / 1000} s ` +
            '(Ctrl-C again to stop now)',
        );
        let timer: NodeJS.Timeout | undefined;
        const outcome = await Promise.race([
          stack.idle().then(() => 'done' as const),
          new Promise<'late'>((resolve) => {
            timer = setTimeout(() => resolve('late'), STOP_WAIT_MS);
          }),
          now,
        ]);
        clearTimeout(timer);
        stopNow = undefined;
        if (outcome !== 'done') {
          const left = await stack.inFlight();
          stack.cancelIngests();
          // Whatever happens below, the process ends in bounded time.
          setTimeout(() => process.exit(code), CUT_SHORT_MS + 5_000).unref();
          say(
            `stopping now${outcome === 'late' ? ` (still busy after ${STOP_WAIT_MS / 1000} s)` : ''}: ` +
              describeCutShort(left),
          );
          await Promise.race([stack.idle(), new Promise((resolve) => setTimeout(resolve, CUT_SHORT_MS))]);
        }
      }
      await stack.stop();
      await claim.release();
      process.exit(code);
    })();
    return stopping;
  };

  const onSignal = () => {
    signals += 1;
    if (signals === 1) void shutdown(0);
    else if (signals === 2 && stopNow) stopNow();
    else {
      // Nothing left to cut short in order (or it is being cut short): stop this instant.
      say('stopped at once: work in flight was left where it was; running the same commands again is safe');
      process.exit(130);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return Object.assign(shutdown, { started: () => stopping !== undefined });
}

/** What a stack is busy with, for "waiting for …". */
function describeWork(work: InFlight): string {
  const parts: string[] = [];
  if (work.ingests.length > 0) parts.push(`the ingest of ${work.ingests.join(', ')}`);
  if (work.editions > 0) parts.push("the day's edition");
  if (work.collections > 0) parts.push('the stopped collection (recording its run)');
  if (work.ingests.length > 0 || work.editions > 0) parts.push('any digests being sent');
  else if (parts.length === 0) parts.push('the work in flight (digests being sent, SES events)');
  return parts.join(' and ');
}

/** What stopping now may leave unfinished, and how to finish it: every step is safe to run again. */
function describeCutShort(work: InFlight): string {
  const lines: string[] = [];
  if (work.ingests.length > 0) {
    lines.push(
      `the ingest of ${work.ingests.join(', ')} stops at its next check: the papers read so far stay stored ` +
        'and the file moves to quarantine/ with its report; upload it again (npx paperboy ingest <file>) ' +
        'to ingest it whole, which is safe: ingestion is idempotent',
    );
  }
  if (work.editions > 0) {
    lines.push(
      "the day's edition may be unfinished: npx paperboy edition run finishes it (an edition is made once, then kept)",
    );
  }
  lines.push(
    'digests being sent may be left sending: npx paperboy deliveries resolve sends them, never twice',
  );
  return lines.join('; ');
}

function fail(message: string): never {
  console.error(`paperboy: ${message}`);
  process.exit(2);
}

await main();
