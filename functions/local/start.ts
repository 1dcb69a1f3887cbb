/**
 * `npm start`: the whole pipeline on this machine. Starts the local stack, runs the demo
 * (ingest → subscribe → rank → send), prints what happened, then serves until Ctrl-C.
 */
import './log-level.ts';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { isTimeZone } from '../shared/config.ts';
import { DEMO_EDITIONS, describeDemo, runDemo } from './demo.ts';
import { defaultLocalOptions, type LocalStack, startLocalStack } from './stack.ts';
import {
  claimDataDir,
  DataDirBusyError,
  type DataDirClaim,
  readStackInfo,
  waitForDataDir,
} from './stack-info.ts';

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
  }>();
  if (!/^([01]\d|2[0-3]):[0-5]\d$/u.test(flags.sendAt)) fail('--send-at must be a time such as 06:00');
  if (!isTimeZone(flags.timeZone)) fail('--time-zone must be an IANA time zone such as Europe/Paris');

  // One process per data folder: a CLI command holding it is waited for; another stack is refused.
  let claim: DataDirClaim;
  try {
    const holder = await readStackInfo(flags.dataDir);
    if (holder?.role === 'npm-start') throw new DataDirBusyError(holder);
    if (holder) await waitForDataDir(flags.dataDir, 120_000, (line) => console.error(`paperboy: ${line}`));
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
      ports: { api: flags.apiPort, dynamodb: flags.dynamodbPort, s3: flags.s3Port, ses: flags.sesPort },
      log: (line) => console.error(line),
    });
  } catch (error) {
    await claim.release();
    return fail((error as Error).message);
  }
  // From here the CLI can use this stack, even while the demo runs.
  await claim.update({ urls: stack.urls });

  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    stack.scheduler.stop();
    await stack.idle().catch(() => {});
    await stack.stop();
    await claim.release();
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

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
    console.error(`paperboy: the start-up run failed: ${(error as Error).message}`);
    await shutdown(1);
  }

  if (flags.once) return shutdown(0);
  await claim.update({ state: 'running' });
  // SES's events (send, delivery, and the mailbox simulator's bounces and complaints) flow on.
  stack.sesEvents.start(2000);
  const { caughtUp } = await stack.scheduler.start();
  console.log(
    `serving; the edition runs daily at ${flags.sendAt} ${flags.timeZone}` +
      `${caughtUp ? " (today's, missed while the stack was down, is running now)" : ''}. Ctrl-C stops.`,
  );
}

function fail(message: string): never {
  console.error(`paperboy: ${message}`);
  process.exit(2);
}

await main();
