/**
 * `npx paperboy <command>`: the operator CLI. Exit codes: 0 done (a day the weekday policy
 * skips included), 1 the operation failed (an edition with no papers to make it from included),
 * 2 bad input (usage, a missing file or a directory given as one, a file that could not be read
 * as papers), 3 the environment (a deployed stage's stack or output missing, credentials or region
 * missing): see exit-codes.ts and docs/operations.md, "The operator CLI".
 */
import '../local/log-level.ts';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { Command, Option } from 'commander';
import { FORMATS, type Format } from '../core/formats/records.ts';
import { INGEST_PREFIX, reportKeys } from '../core/ingest-file.ts';
import type { Edition, IngestRecord } from '../core/ports.ts';
import { findRunningStack, readStackInfo } from '../local/stack-info.ts';
import { registerCollectCommand } from './collect.ts';
import {
  CliError,
  dataDirOption,
  describeEditionRun,
  describeError,
  err,
  inputFile,
  isoDate,
  jsonOption,
  out,
  positiveInt,
  rankEventFor,
  withConnection,
} from './common.ts';
import type { Connection } from './connect.ts';
import { registerDeliveryCommands } from './delivery.ts';
import { registerDlqCommands } from './dlq.ts';
import { registerEditionCommands } from './editions.ts';
import { EXIT, exitCodeFor } from './exit-codes.ts';
import { ProgressBar } from './progress.ts';
import { registerStatusCommand } from './status.ts';
import { registerSubscriberCommands } from './subscribers.ts';
import { awsOptions } from './targets.ts';
import { jsonForTerminal } from './terminal.ts';

const program = new Command('paperboy')
  .description('Operate Paperboy: parse and ingest paper files, run and inspect editions.')
  .option('--verbose', "show the handlers' INFO logs")
  .showHelpAfterError()
  .exitOverride();

/** The argument names that are files a command reads. */
const FILE_ARGUMENTS = new Set(['file', 'files']);

// Every command's file arguments are checked alike before it runs (those of delivery.ts too),
// so that a directory, a missing file or an unreadable one is named for what it is.
program.hook('preAction', async (_program, command) => {
  for (const [i, argument] of command.registeredArguments.entries()) {
    if (!FILE_ARGUMENTS.has(argument.name())) continue;
    for (const path of [command.processedArgs[i] as string | string[] | undefined].flat()) {
      if (path !== undefined) await inputFile(path);
    }
  }
});

program
  .command('stack')
  .description('show whether a local stack (npm start) is running, and where')
  .addOption(dataDirOption())
  .addOption(jsonOption())
  .action(async (options: { dataDir: string; json?: boolean }) => {
    const running = await findRunningStack(options.dataDir);
    const holder = running ?? (await readStackInfo(options.dataDir));
    if (options.json)
      out(jsonForTerminal(running ? { running: true, ...running } : { running: false, holder }));
    else if (running) {
      out(
        `running (pid ${running.pid}, ${running.state === 'running' ? 'serving' : 'running its start-up demo'})`,
      );
      for (const [name, url] of Object.entries(running.urls)) out(`${name}: ${url}`);
    } else if (holder)
      out(
        `${options.dataDir} is held by \`${holder.command}\` (pid ${holder.pid}), which is ${holder.state}`,
      );
    else out(`no stack is running for ${options.dataDir}; start one with npm start`);
    if (!running) throw new CliError('', EXIT.failed);
  });

program
  .command('parse')
  .description('parse a paper file as ingestion would: papers as JSON Lines on stdout, a summary on stderr')
  .argument('<file>', 'a paper file in any supported format, optionally gzip-compressed')
  .addOption(
    new Option('--format <format>', 'skip detection and read the file as this format').choices([...FORMATS]),
  )
  .action(async (file: string, options: { format?: Format }) => {
    await inputFile(file);
    const { parseFile } = await import('./parse.ts');
    const summary = await parseFile(file, {
      ...(options.format ? { format: options.format } : {}),
      out: process.stdout,
      log: (line) => err(line),
    });
    err(
      `${file}: ${summary.format}, ${summary.accepted} accepted, ${summary.rejected} rejected, ${summary.duplicates} duplicates`,
    );
    if (summary.error) throw new CliError(`${file} could not be read: ${summary.error}`, EXIT.badInput);
  });

/**
 * After --timeout, how long a command that runs the emulators itself gives the ingest it stops
 * to store what it read, quarantine the file and record it, before it closes the emulators.
 */
const STOP_GRACE_MS = 5_000;

program
  .command('ingest')
  .description('upload paper files to the ingest bucket and report what each produced')
  .argument('<files...>', 'paper files in any supported format, optionally gzip-compressed')
  .addOption(dataDirOption())
  .addOption(jsonOption())
  .option(
    '--timeout <seconds>',
    'how long each file may take (upload and ingestion); past it, a file this command ingests itself ' +
      `is stopped, what was read is kept and the file quarantined, within ${STOP_GRACE_MS / 1000} s more`,
    (v) => positiveInt(v, 86_400),
    60,
  )
  .action(async (files: string[], options: { dataDir: string; json?: boolean; timeout: number }) => {
    const sizes = new Map<string, number>();
    for (const file of files) sizes.set(file, await inputFile(file));
    await withConnection(options, async (connection) => {
      const records: IngestRecord[] = [];
      for (const [i, file] of files.entries()) {
        const key = `${INGEST_PREFIX}cli/${new Date().toISOString().slice(0, 10)}/${basename(file)}`;
        const since = new Date(Date.now() - 1000).toISOString();
        // The timeout covers the whole file: upload, ingestion in this process or the stack's, report.
        const deadline = Date.now() + options.timeout * 1000;
        const upload = new AbortController();
        let uploaded = false;
        let record: IngestRecord | undefined;
        try {
          await beforeDeadline(
            uploadFile(
              connection,
              file,
              key,
              upload.signal,
              options.json ? undefined : new ProgressBar(basename(file), sizes.get(file) ?? 0),
            ),
            deadline,
          );
          uploaded = true;
          await beforeDeadline(connection.settle(), deadline);
          record = await waitForIngest(connection, key, since, deadline);
        } catch (error) {
          if (!(error instanceof DeadlinePassedError)) throw error;
          upload.abort();
          const stopped = await afterTimeout(connection, { key, since, uploaded, timeout: options.timeout });
          const rest = files.slice(i + 1);
          const skipped = rest.length > 0 ? `; not attempted: ${rest.join(', ')}` : '';
          if (stopped.message !== undefined) {
            if (stopped.record) records.push(stopped.record);
            if (options.json) out(jsonForTerminal(records));
            throw new CliError(`${file}: ${stopped.message}${skipped}`, EXIT.failed);
          }
          // It ended on its own as it was being stopped: its result stands; the files after it wait.
          record = stopped.record as IngestRecord;
          if (rest.length > 0) {
            records.push(record);
            if (options.json) out(jsonForTerminal(records));
            else out(describeIngest(file, record));
            throw new CliError(
              `${file}: took more than ${options.timeout} s (--timeout)${skipped}`,
              EXIT.failed,
            );
          }
        }
        records.push(record);
        if (!options.json) out(describeIngest(file, record));
      }
      if (options.json) out(jsonForTerminal(records));
      if (records.some((r) => r.status === 'quarantined')) throw new CliError('', EXIT.badInput);
    });
  });

/**
 * What became of a file whose --timeout passed, in words: where it is and how to finish it. When
 * this command runs the emulators, its ingest is stopped now (LocalStack.cancelIngests) as
 * Lambda's time limit stops it: what was read stays stored, the file moves to quarantine/ and the
 * ingest log records it, so the command ends within STOP_GRACE_MS with nothing left half-done.
 * Running it again ingests the file whole: ingestion is idempotent. An `npm start` stack's
 * ingest runs in that process and goes on there. No message: the file's ingest ended on its own
 * (ingested, or quarantined for what it holds) as it was being stopped, with `record`.
 */
async function afterTimeout(
  connection: Connection,
  file: { key: string; since: string; uploaded: boolean; timeout: number },
): Promise<{ message?: string; record?: IngestRecord }> {
  const again = 'run the same command again, with a larger --timeout';
  const late = `not ingested within ${file.timeout} s (--timeout)`;
  if (!file.uploaded) {
    await connection.stopWork(STOP_GRACE_MS);
    return {
      message: `${late}: the upload was stopped before it finished and nothing of it was stored; ${again}`,
    };
  }
  if (connection.remote) {
    return {
      message:
        `${late}: the ingest function of ${connection.remote.label} is still ingesting ${file.key}; it will ` +
        'finish it, or quarantine it with a report, on its own (its CloudWatch log says which). Running this ' +
        'command again later is safe: ingestion is idempotent',
    };
  }
  const stack = connection.attachedTo;
  if (stack) {
    return {
      message:
        `${late}: the \`${stack.command}\` stack (pid ${stack.pid}) is still ingesting ${file.key}; it will ` +
        'finish it, or quarantine it with a report, on its own (its log says which). Running this command again ' +
        'later is safe: ingestion is idempotent',
    };
  }
  const left = await connection.stopWork(STOP_GRACE_MS);
  const [record] = await connection.local.operator.ingestLog.since(file.key, file.since);
  if (record?.status === 'quarantined' && record.error?.includes(STOPPED_BY_DEADLINE)) {
    const count = (n: number) => n.toLocaleString('en-US');
    return {
      record,
      message:
        `${late}, so it was stopped after ${count(record.accepted + record.rejected)} records: the ` +
        `${count(record.accepted)} papers read so far are stored, and the file was moved to ` +
        `${reportKeys.quarantine(file.key)} with its report (${reportKeys.error(file.key)}); nothing is left ` +
        `running. To ingest it whole, ${again}: ingestion is idempotent, so the papers already stored are ` +
        'not stored twice',
    };
  }
  if (record) return { record };
  if (left?.ingests.includes(file.key)) {
    return {
      message:
        `${late}; its ingest did not stop within ${STOP_GRACE_MS / 1000} s and was cut off with the emulators: ` +
        `some of its papers may be stored, and the file is left at ${file.key} with no record of it. ` +
        `To ingest it whole, ${again}: ingestion is idempotent`,
    };
  }
  return {
    message: `${late}: it was uploaded to ${file.key} but its ingest had not begun, so nothing of it is stored; ${again}`,
  };
}

/** The limit a quarantine names when an ingest was stopped by its time limit (core/ingest-file.ts). */
const STOPPED_BY_DEADLINE = 'deadlineMarginMs';

const list = (value: string) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

program
  .command('rank')
  .description(
    'rank papers for a reader profile, as a digest is chosen (touches no store), or show a stored edition',
  )
  .option('--papers <files...>', 'paper files in any supported format')
  .option('--topics <list>', 'comma-separated topics, e.g. "RAG, state space models"', list, [])
  .option('--authors <list>', 'comma-separated authors to follow', list, [])
  .option('--exclude <list>', 'comma-separated words whose papers are left out', list, [])
  .option('--limit <n>', 'how many papers', (v) => positiveInt(v, 200), 10)
  .option('--edition <date>', 'show the stored edition of this day instead', isoDate)
  .addOption(dataDirOption())
  .addOption(jsonOption())
  .action(
    async (options: {
      papers?: string[];
      topics: string[];
      authors: string[];
      exclude: string[];
      limit: number;
      edition?: string;
      dataDir: string;
      json?: boolean;
    }) => {
      if (options.edition) {
        await withConnection(options, async (connection) => {
          const found = await connection.local.operator.editions.get(options.edition as string);
          if (!found) throw new CliError(`there is no edition for ${options.edition}`, EXIT.failed);
          if (options.json)
            for (const entry of found.entries.slice(0, options.limit)) out(jsonForTerminal(entry));
          else printEdition({ ...found, entries: found.entries.slice(0, options.limit) });
        });
        return;
      }
      if (!options.papers?.length)
        throw new CliError('give --papers <file…> to rank, or --edition <date> to show one', EXIT.badInput);
      for (const file of options.papers) await inputFile(file);
      const { rankFiles } = await import('./rank.ts');
      const { lines, papers } = await rankFiles(options.papers, options);
      if (options.json) {
        for (const line of lines) out(jsonForTerminal(line));
        return;
      }
      out(
        `${lines.length} of ${papers} papers${options.topics.length ? ` for ${options.topics.join(', ')}` : ', trending'}`,
      );
      for (const line of lines) {
        const { trending, relevance } = line.parts;
        out(`${String(line.rank).padStart(3)}. ${line.score.toFixed(3)}  ${line.title}`);
        out(
          `       ${line.id} · trending ${trending.toFixed(2)} · relevance ${relevance.toFixed(2)} · ${line.reasons.join(' · ')}`,
        );
      }
    },
  );

const edition = program.command('edition').description('run or show the edition of a day');

edition
  .command('run')
  .description('rank the edition of a day (made once, then kept) and send it to every active subscriber')
  .option('--date <YYYY-MM-DD>', "the edition day (default: today in the stack's time zone)", isoDate)
  .addOption(dataDirOption())
  .addOption(jsonOption())
  .action(async (options: { date?: string; dataDir: string; json?: boolean }) => {
    await withConnection(options, async (connection) => {
      // Without --date, the rank function names today by the stack's time zone, as on schedule.
      const result = await connection.local.handlers.rank(rankEventFor(options.date, new Date()));
      await connection.settle();
      const failed = connection.local.invoker.deadLetters;
      const report = describeEditionRun(
        result,
        connection.local.operator.send.policy,
        connection.urls.mailbox,
      );
      if (options.json)
        out(
          jsonForTerminal({
            ...result,
            outcome: report.outcome,
            ...report.details,
            failedJobs: failed.length,
          }),
        );
      else for (const line of report.lines) out(line);
      if (report.failure) throw new CliError(report.failure.message, report.failure.exitCode);
      if (failed.length > 0) {
        throw new CliError(
          `${failed.length} send job(s) failed: ${failed.map((f) => f.error).join('; ')}`,
          EXIT.failed,
        );
      }
    });
  });

edition
  .command('show')
  .description('show a stored edition: its papers, scores and reasons')
  .argument('<date>', 'the edition day, YYYY-MM-DD', isoDate)
  .addOption(dataDirOption())
  .addOption(jsonOption())
  .action(async (date: string, options: { dataDir: string; json?: boolean }) => {
    await withConnection(options, async (connection) => {
      const found = await connection.local.operator.editions.get(date);
      if (!found)
        throw new CliError(
          `there is no edition for ${date}; make it with: paperboy edition run --date ${date}`,
          EXIT.failed,
        );
      if (options.json) out(jsonForTerminal(found));
      else printEdition(found);
    });
  });

/** Files past this size go up in parts, with a progress bar. */
const MULTIPART_BYTES = 16 * 1024 ** 2;

async function uploadFile(
  connection: Connection,
  file: string,
  key: string,
  signal: AbortSignal,
  bar?: ProgressBar,
): Promise<void> {
  const size = (await stat(file)).size;
  if (size < MULTIPART_BYTES) {
    await connection.local.s3.send(
      new PutObjectCommand({ Bucket: connection.bucket, Key: key, Body: await readFile(file) }),
      { abortSignal: signal },
    );
    return;
  }
  const { Upload } = await import('@aws-sdk/lib-storage');
  const abortController = new AbortController();
  signal.addEventListener('abort', () => abortController.abort(), { once: true });
  const upload = new Upload({
    client: connection.local.s3,
    params: { Bucket: connection.bucket, Key: key, Body: createReadStream(file) },
    partSize: MULTIPART_BYTES,
    queueSize: 4,
    abortController,
  });
  upload.on('httpUploadProgress', (progress) => bar?.update(progress.loaded ?? 0));
  await upload.done();
  bar?.done();
}

async function waitForIngest(
  connection: Connection,
  key: string,
  since: string,
  deadline: number,
): Promise<IngestRecord> {
  const log = connection.local.operator.ingestLog;
  while (Date.now() < deadline) {
    const [record] = await log.since(key, since);
    if (record) return record;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new DeadlinePassedError();
}

/** A file's --timeout passed; the ingest command says what became of the file. */
class DeadlinePassedError extends Error {
  override name = 'DeadlinePassedError';
}

/** The work's result, or DeadlinePassedError once the deadline passes (the work is not stopped here). */
async function beforeDeadline<T>(work: Promise<T>, deadline: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlinePassedError()), Math.max(0, deadline - Date.now()));
  });
  // Past the deadline the work may still fail (an aborted upload): that is reported, not thrown.
  work.catch(() => {});
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function describeIngest(file: string, record: IngestRecord): string {
  if (record.status === 'quarantined') return `${file}: quarantined, ${record.error}`;
  const { stored } = record;
  return (
    `${file}: ${record.format}, ${record.accepted} accepted, ${record.rejected} rejected, ${record.duplicates} duplicates ` +
    `(stored: ${stored.new} new, ${stored.updated} updated, ${stored.unchanged} unchanged, ` +
    `${stored.merged} merged, ${stored.linked} linked as near-duplicates)`
  );
}

function printEdition(found: Edition): void {
  out(`edition ${found.date} (made ${found.createdAt}), ${found.entries.length} papers`);
  found.entries.forEach((entry, i) => {
    out(`${String(i + 1).padStart(3)}. ${entry.score.toFixed(3)}  ${entry.paper.title}`);
    out(`       ${entry.paper.id} · ${entry.reasons.join(' · ')}`);
  });
}

registerDeliveryCommands(program);
registerStatusCommand(program);
registerSubscriberCommands(program);
registerEditionCommands(program);
registerDlqCommands(program);
registerCollectCommand(program);

// The existing commands that touch stores take --aws too (cli/aws-connection.ts), with the same options.
for (const path of [
  'ingest',
  'rank',
  'edition run',
  'edition show',
  'preview',
  'send',
  'stats',
  'feedback',
  'deliveries resolve',
]) {
  let command: Command | undefined = program;
  for (const name of path.split(' ')) command = command?.commands.find((c) => c.name() === name);
  if (command && !command.options.some((o) => o.long === '--aws'))
    for (const option of awsOptions()) command.addOption(option);
}

// Piped into `head` or a closed pager: stop quietly, as Unix tools do.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(EXIT.ok);
  throw error;
});

/** How long a failed command may take to exit once it has said why. */
const EXIT_AFTER_FAILURE_MS = 1_000;

try {
  await program.parseAsync();
} catch (error) {
  if (error instanceof CliError) {
    if (error.message) err(`paperboy: ${error.message}`);
    process.exitCode = error.exitCode;
  } else {
    // commander prints its own usage message; anything else is printed here.
    const fromCommander = error instanceof Error && 'exitCode' in error;
    if (!fromCommander) err(`paperboy: ${describeError(error)}`);
    process.exitCode = exitCodeFor(error);
  }
  // The command has ended and said why: background retries against a stack that went away (or
  // emulators this command closed) must not keep it running.
  setTimeout(() => process.exit(), EXIT_AFTER_FAILURE_MS).unref();
}
