import { type Command, Option } from 'commander';
import { SOURCES, type SourceName } from '../core/collect/config.ts';
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
import type { Connection } from './connect.ts';
import { EXIT } from './exit-codes.ts';
import { jsonForTerminal } from './terminal.ts';

export interface CollectOptions {
  source?: SourceName;
  date?: string;
  baseUrl?: string;
  dataDir: string;
  json?: boolean;
  timeout: number;
}

/**
 * `paperboy collect`: one collection now, against the local stack, with the collector's own code
 * (functions/core/collect). Exit codes: 0 every source answered without an error; 1 a source (or
 * one of its URLs) failed, or a collected file was quarantined by the ingestion, or the ingestion
 * did not finish within --timeout; 2 bad input (a flag, the collector configuration).
 */
export function registerCollectCommand(program: Command): void {
  program
    .command('collect')
    .description(
      'fetch the sources (Hugging Face daily papers, arXiv listing feeds, the arXiv API) now, into the ingest bucket, and report what each brought',
    )
    .addOption(new Option('--source <source>', 'only this source').choices([...SOURCES]))
    .option(
      '--date <YYYY-MM-DD>',
      "collect for this day: its HF daily papers (and the configured days before it), arXiv API submissions of that day; the RSS feeds list only today's",
      isoDate,
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
    .addOption(jsonOption())
    .addHelpText(
      'after',
      '\nExit codes: 0 every source answered without an error; 1 a source or one of its URLs failed, a collected file was quarantined, or ingestion did not finish within --timeout; 2 bad input.',
    )
    .action(async (options: CollectOptions) => {
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
        const run = await collect(
          {
            day: options.date ?? new Date().toISOString().slice(0, 10),
            dated: options.date !== undefined,
            sources,
          },
          deps,
        );
        const keys = run.sources.flatMap((s) => s.objects);
        if (keys.length > 0) say(`waiting for the ingestion of ${keys.length} collected file(s)…`);
        const ingested = await waitForIngests(connection, keys, run.startedAt, options.timeout * 1000);
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

/** The ingest record of each key, as the ingestion (in this process, or in `npm start`'s) writes them. */
async function waitForIngests(
  connection: Connection,
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
      const [record] = await connection.local.operator.ingestLog.since(key, since);
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
      lines.push(`  written${status} ${fetched.url}`);
      lines.push(`    → ${fetched.key} (${fetched.papers} papers) ${ingest}`);
    } else {
      lines.push(`  ${fetched.outcome}${status} ${fetched.url}${fetched.error ? `: ${fetched.error}` : ''}`);
    }
  }
  return lines;
}
