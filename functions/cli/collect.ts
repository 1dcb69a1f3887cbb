import { type Command, InvalidArgumentError, Option } from 'commander';
import * as z from 'zod';
import { collectDayProblem, FIRST_COLLECT_DAY, SOURCES, type SourceName } from '../core/collect/config.ts';
import { describeIssues, formatIssues } from '../core/errors.ts';
import type { CollectRun, IngestRecord, SourceRun } from '../core/ports.ts';
import {
  CliError,
  dataDirOption,
  isoDate,
  jsonOption,
  out,
  positiveInt,
  progress,
  withConnection,
} from './common.ts';
import { EnvironmentError, EXIT } from './exit-codes.ts';
import { awsOptions, type TargetOptions } from './targets.ts';
import { jsonForTerminal } from './terminal.ts';

export interface CollectOptions extends TargetOptions {
  source?: SourceName;
  date?: string;
  baseUrl?: string;
  timeout: number;
}

/** Reads the ingest records of files, as DynamoIngestLog does. */
interface IngestRecords {
  since(key: string, since: string): Promise<IngestRecord[]>;
}

/** What the deployed collector answers: its run record (checked, as anything from outside). */
const CollectRunSchema = z.object({
  runId: z.string(),
  startedAt: z.iso.datetime({ offset: true }),
  finishedAt: z.iso.datetime({ offset: true }),
  day: z.iso.date(),
  sources: z.array(
    z.object({
      source: z.string(),
      requests: z.number(),
      notModified: z.number(),
      unchanged: z.number(),
      papers: z.number(),
      bytes: z.number(),
      errors: z.number(),
      failed: z.boolean(),
      objects: z.array(z.string()),
      fetched: z.array(
        z.object({
          url: z.string(),
          status: z.number().optional(),
          outcome: z.string(),
          papers: z.number().optional(),
          key: z.string().optional(),
          error: z.string().optional(),
          redirectedTo: z.string().optional(),
        }),
      ),
      errorMessages: z.array(z.string()),
    }),
  ),
  skipped: z.string().optional(),
});

/** `--date`: a real day, from FIRST_COLLECT_DAY to tomorrow (UTC). */
function collectDate(value: string): string {
  const day = isoDate(value);
  const problem = collectDayProblem(day, new Date());
  if (problem) throw new InvalidArgumentError(problem);
  return day;
}

/**
 * `paperboy collect`: one collection now, against the local stack, with the collector's own code
 * (functions/core/collect). Exit codes: 0 every source answered without an error; 1 a source (or
 * one of its URLs) failed, or a collected file was quarantined by the ingestion, or the ingestion
 * did not finish within --timeout; 2 bad input (a flag, the collector configuration).
 */
export function registerCollectCommand(program: Command): void {
  const command = program
    .command('collect')
    .description(
      'fetch the sources (Hugging Face daily papers, arXiv listing feeds, the arXiv API) now, into the ingest bucket, and report what each brought',
    )
    .addOption(new Option('--source <source>', 'only this source').choices([...SOURCES]))
    .option(
      '--date <YYYY-MM-DD>',
      `collect for this day (${FIRST_COLLECT_DAY} to tomorrow, UTC): its HF daily papers (and the configured days before it), arXiv API submissions of that day; the RSS feeds list only today's`,
      collectDate,
    )
    .option(
      '--base-url <url>',
      'send every source to this server instead of the configured ones (a local fake source); otherwise PAPERBOY_COLLECT_HF_URL, PAPERBOY_COLLECT_ARXIV_RSS_URL, PAPERBOY_COLLECT_ARXIV_API_URL or PAPERBOY_COLLECTOR_CONFIG',
    )
    .option(
      '--timeout <seconds>',
      'how long to wait for the ingestion of what was collected',
      (v) => positiveInt(v, 3600),
      120,
    )
    .addOption(dataDirOption())
    .addOption(jsonOption());
  for (const option of awsOptions()) command.addOption(option);
  command
    .addHelpText(
      'after',
      '\nWith --aws, the deployed collector function runs (with its own configuration; no --base-url) and this command waits for the ingestion of what it wrote.\n' +
        'One collection at a time: a run that finds another one going (the schedule, npm start, another collect) fetches nothing and exits 1 saying so.\n' +
        'Exit codes: 0 every source answered without an error; 1 a source or one of its URLs failed, a collected file was quarantined, ingestion did not finish within --timeout, or another collection was running; 2 bad input; 3 (--aws) the stage or its collector is not deployed, or not reachable.',
    )
    .action(async (options: CollectOptions) => {
      if (options.aws || options.outputsFile) return collectOnAws(options);
      const { localCollectorConfig } = await import('../local/collector.ts');
      let config: ReturnType<typeof localCollectorConfig>;
      try {
        config = localCollectorConfig(process.env, options.baseUrl);
      } catch (error) {
        throw new CliError((error as Error).message, EXIT.badInput);
      }
      await withConnection(options, async (connection) => {
        const { collect } = await import('../core/collect/collect.ts');
        const { CollectEnv, collectDeps } = await import('../roots/collect.ts');
        const { parseEnv } = await import('../shared/config.ts');
        const deps = collectDeps(
          parseEnv(CollectEnv, {
            TABLE_NAME: connection.tableName,
            BUCKET_NAME: connection.bucket,
            COLLECTOR_CONFIG: JSON.stringify(config),
          }),
        );
        const say = progress(Boolean(options.json));
        const sources = options.source ? [options.source] : SOURCES.filter((s) => enabledIn(config, s));
        say(`collecting from ${sources.join(', ')}…`);
        const { COLLECT_LEASE_MS } = await import('../roots/collect.ts');
        const { RUN_RECORD_MARGIN_MS } = await import('../triggers/collect.ts');
        const started = Date.now();
        // Ctrl-C stops the collection in order: its requests are cancelled, its run recorded and
        // its lease given back (else the next run would wait for the lease to end). A second one
        // stops at once.
        const stop = new AbortController();
        const onSignal = () => {
          if (stop.signal.aborted) {
            process.stderr.write(
              `paperboy: stopped at once: the collection's lease ends by itself within ${COLLECT_LEASE_MS / 60_000} minutes\n`,
            );
            process.exit(130);
          }
          process.stderr.write(
            'paperboy: stopping the collection: its requests are cancelled, its run is recorded (Ctrl-C again to stop at once)\n',
          );
          stop.abort();
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
        let run: CollectRun;
        try {
          run = await collect(
            {
              day: options.date ?? new Date().toISOString().slice(0, 10),
              dated: options.date !== undefined,
              sources,
            },
            {
              ...deps,
              signal: stop.signal,
              // As long as the function may run: the lease it takes (one collection at a time) lasts that long.
              remainingMs: () => COLLECT_LEASE_MS - RUN_RECORD_MARGIN_MS - (Date.now() - started),
            },
          );
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        }
        if (run.skipped) throw new CliError(run.skipped, EXIT.failed);
        if (stop.signal.aborted) {
          for (const source of run.sources) for (const line of describeSource(source, new Map())) say(line);
          throw new CliError(
            'stopped by Ctrl-C: the run is recorded; the files it wrote are ingested by a running npm start, ' +
              'or else fetched again in full and ingested by the next paperboy collect (nothing is lost)',
            EXIT.failed,
          );
        }
        const keys = run.sources.flatMap((s) => s.objects);
        if (keys.length > 0) say(`waiting for the ingestion of ${keys.length} collected file(s)…`);
        const ingested = await waitForIngests(
          connection.local.operator.ingestLog,
          keys,
          run.startedAt,
          options.timeout * 1000,
        );
        report(run, ingested, Boolean(options.json));
      });
    });
}

function enabledIn(
  config: { hf: { enabled: boolean }; arxivRss: { enabled: boolean }; arxivApi: { enabled: boolean } },
  source: SourceName,
): boolean {
  return source === 'hf'
    ? config.hf.enabled
    : source === 'arxiv-rss'
      ? config.arxivRss.enabled
      : config.arxivApi.enabled;
}

/**
 * `collect --aws`: invokes the stage's collector function (found by its stack output
 * CollectFunctionName) and waits for it, then for the ingestion of what it wrote.
 */
async function collectOnAws(options: CollectOptions): Promise<void> {
  if (options.baseUrl) {
    throw new CliError(
      '--base-url works on the local stack only: a deployed collector fetches the sources its paperboy:collector setting names',
      EXIT.badInput,
    );
  }
  const stage = options.stage ?? 'dev';
  const { awsTargets, cloudFormationOutputs, fileOutputs, stackNames } = await import('./aws-target.ts');
  const targets = await awsTargets({
    stage,
    ...(options.profile ? { profile: options.profile } : {}),
    ...(options.region ? { region: options.region } : {}),
    ...(options.outputsFile ? { outputsFile: options.outputsFile } : {}),
  });
  const app = stackNames(stage).app;
  const source = options.outputsFile
    ? await fileOutputs(options.outputsFile)
    : cloudFormationOutputs(new (await import('@aws-sdk/client-cloudformation')).CloudFormationClient({}));
  const functionName = (await source(app))?.CollectFunctionName;
  if (!functionName) {
    throw new EnvironmentError(
      `stage ${stage}: the stack ${app} has no output CollectFunctionName; deploy this version of Paperboy to it (npx cdk deploy --all)`,
    );
  }
  const say = progress(Boolean(options.json));
  say(`running the collector of ${targets.label} (${functionName})…`);
  const { InvokeCommand, LambdaClient } = await import('@aws-sdk/client-lambda');
  const event = {
    ...(options.source ? { source: options.source } : {}),
    ...(options.date ? { date: options.date } : {}),
  };
  let answer: { FunctionError?: string; Payload?: Uint8Array };
  try {
    answer = await new LambdaClient({}).send(
      new InvokeCommand({
        FunctionName: functionName,
        InvocationType: 'RequestResponse',
        Payload: JSON.stringify(event),
      }),
    );
  } catch (error) {
    throw new EnvironmentError(`could not invoke ${functionName}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const text = new TextDecoder().decode(answer.Payload ?? new Uint8Array());
  if (answer.FunctionError) {
    let message = text.slice(0, 500);
    try {
      message = String((JSON.parse(text) as { errorMessage?: unknown }).errorMessage ?? message);
    } catch {
      // Not JSON: the raw text says it.
    }
    throw new CliError(`the collector function failed (${answer.FunctionError}): ${message}`, EXIT.failed);
  }
  let parsed: ReturnType<typeof CollectRunSchema.safeParse>;
  try {
    parsed = CollectRunSchema.safeParse(JSON.parse(text));
  } catch {
    throw new CliError(
      `the collector function answered something that is not JSON: ${text.slice(0, 200)}`,
      EXIT.failed,
    );
  }
  if (!parsed.success) {
    throw new CliError(
      `the collector function answered something that is not a run record: ${formatIssues(describeIssues(parsed.error.issues))}`,
      EXIT.failed,
    );
  }
  const run = parsed.data;
  if (run.skipped) throw new CliError(run.skipped, EXIT.failed);
  const keys = run.sources.flatMap((s) => s.objects);
  if (keys.length > 0) say(`waiting for the ingestion of ${keys.length} collected file(s)…`);
  const { DynamoIngestLog } = await import('../adapters/dynamo-ingest-log.ts');
  const ingested = await waitForIngests(
    new DynamoIngestLog(targets.db, targets.tableName),
    keys,
    run.startedAt,
    options.timeout * 1000,
  );
  report(run, ingested, Boolean(options.json));
}

/** The ingest record of each key, as the ingestion (in this process, `npm start`'s or Lambda) writes them. */
async function waitForIngests(
  log: IngestRecords,
  keys: string[],
  startedAt: string,
  timeoutMs: number,
): Promise<Map<string, IngestRecord>> {
  const found = new Map<string, IngestRecord>();
  if (keys.length === 0) return found;
  const deadline = Date.now() + timeoutMs;
  const since = new Date(Date.parse(startedAt) - 1000).toISOString();
  // The ingestion runs in this process (emulators started for the command) or in `npm start`'s:
  // either way each file's ingest record is written when its ingest ends.
  while (found.size < keys.length && Date.now() < deadline) {
    for (const key of keys) {
      if (found.has(key)) continue;
      const [record] = await log.since(key, since);
      if (record) found.set(key, record);
    }
    if (found.size < keys.length) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return found;
}

function report(run: CollectRun, ingested: Map<string, IngestRecord>, json: boolean): void {
  const missing = run.sources.flatMap((s) => s.objects).filter((key) => !ingested.has(key));
  const quarantined = [...ingested.values()].filter((r) => r.status === 'quarantined');
  if (json) {
    out(jsonForTerminal({ ...run, ingested: Object.fromEntries(ingested), notIngestedYet: missing }));
  } else {
    for (const source of run.sources) for (const line of describeSource(source, ingested)) out(line);
  }
  const failed = run.sources.filter((s) => s.errors > 0);
  const problems = [
    ...failed.map(
      (s) =>
        `${s.source}: ${s.failed ? 'failed' : `${s.errors} error(s)`}: ${s.errorMessages.slice(0, 3).join('; ')}`,
    ),
    ...quarantined.map((r) => `${r.key} was quarantined by the ingestion: ${r.error}`),
    ...(missing.length > 0 ? [`not ingested within --timeout: ${missing.join(', ')}`] : []),
  ];
  if (problems.length > 0) throw new CliError(problems.join('\n'), EXIT.failed);
}

/** One source's run, in words: its counts, then each URL and what came of it. */
export function describeSource(source: SourceRun, ingested: Map<string, IngestRecord>): string[] {
  const lines = [
    `${source.source}: ${source.requests} request(s), ${source.objects.length} file(s) written with ${source.papers} paper(s), ` +
      `${source.notModified} not modified, ${source.unchanged} unchanged, ${source.errors} error(s), ` +
      `${source.bytes.toLocaleString('en-US')} bytes${source.failed ? ' — FAILED: no usable answer' : ''}`,
  ];
  for (const fetched of source.fetched) {
    if (!fetched.url) {
      lines.push(`  ${fetched.outcome}`);
      continue;
    }
    const status = fetched.status ? ` ${fetched.status}` : '';
    if (fetched.key) {
      const record = ingested.get(fetched.key);
      const ingest = record
        ? record.status === 'quarantined'
          ? `quarantined: ${record.error}`
          : `ingested: ${record.accepted} accepted, ${record.rejected} rejected (stored ${record.stored.new} new, ${record.stored.updated} updated)`
        : 'not ingested yet';
      lines.push(
        `  written${status} ${fetched.url}${fetched.redirectedTo ? ` (answered by ${fetched.redirectedTo})` : ''}`,
      );
      lines.push(`    → ${fetched.key} (${fetched.papers} papers) ${ingest}`);
    } else {
      lines.push(`  ${fetched.outcome}${status} ${fetched.url}${fetched.error ? `: ${fetched.error}` : ''}`);
    }
  }
  return lines;
}
