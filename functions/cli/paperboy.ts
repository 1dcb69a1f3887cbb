/**
 * `npx paperboy <command>`: the operator CLI. Exit codes: 0 done (a day the weekday policy
 * skips included), 1 the operation failed (an edition with no papers to make it from included),
 * 2 bad input (usage, a missing file or a directory given as one, a file that could not be read
 * as papers).
 */
import '../local/log-level.ts';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { Command, Option } from 'commander';
import { FORMATS, type Format } from '../core/formats/records.ts';
import { INGEST_PREFIX } from '../core/ingest-file.ts';
import type { Edition, IngestRecord } from '../core/ports.ts';
import { findRunningStack, readStackInfo } from '../local/stack-info.ts';
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
import { EXIT, exitCodeFor } from './exit-codes.ts';
import { ProgressBar } from './progress.ts';
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

program
  .command('ingest')
  .description('upload paper files to the ingest bucket and report what each produced')
  .argument('<files...>', 'paper files in any supported format, optionally gzip-compressed')
  .addOption(dataDirOption())
  .addOption(jsonOption())
  .option(
    '--timeout <seconds>',
    'how long to wait for each file to be ingested',
    (v) => positiveInt(v, 86_400),
    60,
  )
  .action(async (files: string[], options: { dataDir: string; json?: boolean; timeout: number }) => {
    const sizes = new Map<string, number>();
    for (const file of files) sizes.set(file, await inputFile(file));
    await withConnection(options, async (connection) => {
      const records: IngestRecord[] = [];
      for (const file of files) {
        const key = `${INGEST_PREFIX}cli/${new Date().toISOString().slice(0, 10)}/${basename(file)}`;
        const since = new Date(Date.now() - 1000).toISOString();
        // The timeout covers the whole file: upload, ingestion in this process or the stack's, report.
        const deadline = Date.now() + options.timeout * 1000;
        const late = () =>
          new CliError(
            `${key}: not ingested within ${options.timeout} s (--timeout); it may still finish: see npx paperboy edition show, or the stack's log`,
            EXIT.failed,
          );
        await beforeDeadline(
          uploadFile(
            connection,
            file,
            key,
            options.json ? undefined : new ProgressBar(basename(file), sizes.get(file) ?? 0),
          ),
          deadline,
          late,
        );
        await beforeDeadline(connection.settle(), deadline, late);
        const record = await waitForIngest(connection, key, since, deadline, late);
        records.push(record);
        if (!options.json) out(describeIngest(file, record));
      }
      if (options.json) out(jsonForTerminal(records));
      if (records.some((r) => r.status === 'quarantined')) throw new CliError('', EXIT.badInput);
    });
  });

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
  bar?: ProgressBar,
): Promise<void> {
  const size = (await stat(file)).size;
  if (size < MULTIPART_BYTES) {
    await connection.local.s3.send(
      new PutObjectCommand({ Bucket: connection.bucket, Key: key, Body: await readFile(file) }),
    );
    return;
  }
  const { Upload } = await import('@aws-sdk/lib-storage');
  const upload = new Upload({
    client: connection.local.s3,
    params: { Bucket: connection.bucket, Key: key, Body: createReadStream(file) },
    partSize: MULTIPART_BYTES,
    queueSize: 4,
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
  late: () => CliError,
): Promise<IngestRecord> {
  const log = connection.local.operator.ingestLog;
  while (Date.now() < deadline) {
    const [record] = await log.since(key, since);
    if (record) return record;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw late();
}

/** The work's result, or the `late` error once the deadline passes (the work is left to finish or fail). */
async function beforeDeadline<T>(work: Promise<T>, deadline: number, late: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(late()), Math.max(0, deadline - Date.now()));
  });
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

// Piped into `head` or a closed pager: stop quietly, as Unix tools do.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(EXIT.ok);
  throw error;
});

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
}
