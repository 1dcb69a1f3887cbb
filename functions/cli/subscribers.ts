import { once } from 'node:events';
import { paginateScan } from '@aws-sdk/lib-dynamodb';
import { type Command, Option } from 'commander';
import { isExpired, keys } from '../adapters/dynamo-keys.ts';
import { DynamoPersonalData } from '../adapters/dynamo-personal-data.ts';
import { DynamoSubscriberRepository, recordFromItem } from '../adapters/dynamo-subscriber-repository.ts';
import { describeIssues, formatIssues } from '../core/errors.ts';
import { summarizeLearned } from '../core/learning.ts';
import {
  type ImportOutcome,
  idOfAddress,
  importSubscriber,
  type OperatorSubscriberDeps,
  SUPPRESS_REASONS,
  type SuppressReason,
  suppressSubscriber,
} from '../core/operator-subscribers.ts';
import { isErased, type SubscriberRecord, SubscriptionRequestSchema } from '../core/subscriber.ts';
import { eraseSubscriber } from '../core/subscriptions.ts';
import { randomIds } from '../shared/random-ids.ts';
import { systemClock } from '../shared/system-clock.ts';
import { CliError, dataDirOption, err, inputFile, jsonOption, out, wholeNumber } from './common.ts';
import { checkCsv, csvRows, IMPORT_COLUMNS } from './csv.ts';
import { EXIT } from './exit-codes.ts';
import { CountProgress } from './progress.ts';
import { awsOptions, type TargetOptions, type Targets, withTargets } from './targets.ts';
import { forTerminal, jsonForTerminal } from './terminal.ts';

/**
 * Rows in flight at once: each is a read and a conditional write or two (and a counter `ADD`),
 * so the import waits on round trips, not on the CPU. A new row starts as soon as one finishes.
 */
export const IMPORT_CONCURRENCY = 16;
/** The states of an export's `status` column whose rows an import skips. */
const LEFT_STATES = new Set(['unsubscribed', 'bounced', 'complained', 'erased']);
/** Rejected or skipped lines named one by one before the rest are only counted. */
const LINES_SHOWN = 50;
/** Deliveries `find` shows. */
const RECENT_DELIVERIES = 10;

export interface ImportReport {
  file: string;
  /** `active`: added as confirmed (--confirmed); `confirmation`: sent through the double opt-in. */
  mode: 'active' | 'confirmation';
  rows: number;
  added: number;
  unchanged: number;
  skipped: number;
  rejected: number;
  rejects: { line: number; reason: string }[];
  skips: { line: number; status: string }[];
  /** Header columns the import does not read (an export's `status`, `id` and dates, say). */
  ignoredColumns: string[];
  /** Stopped by Ctrl-C: the rows started were finished; `done` of `rows` were worked. */
  interrupted: boolean;
  done: number;
}

function operatorDeps(targets: Targets): OperatorSubscriberDeps {
  return {
    subscribers: new DynamoSubscriberRepository(targets.db, targets.tableName, systemClock),
    keys: targets.keys,
    clock: systemClock,
    ids: randomIds,
    signups: targets.signups,
  };
}

/** An address given on the command line, checked as the sign-up form checks it. */
function addressArgument(value: string): string {
  const parsed = SubscriptionRequestSchema.shape.email.safeParse(value);
  if (!parsed.success) {
    throw new CliError(
      `${value}: ${parsed.error.issues[0]?.message ?? 'not an email address'}`,
      EXIT.badInput,
    );
  }
  return parsed.data;
}

/**
 * Imports a CSV file: every row validated (a bad one is reported with its line and reason, the
 * good ones are kept), each address imported by `importSubscriber` (never re-activating one that
 * left or is suppressed; an address already there stays as it is, so a re-run is safe).
 */
export async function importCsv(
  file: string,
  options: {
    confirmed: boolean;
    progress: boolean;
    /** Plain progress lines even on a terminal (with --json). */
    plain?: boolean;
    /** Aborted: no new row is started; the rows in flight finish (their write and its count). */
    signal?: AbortSignal;
    concurrency?: number;
  },
  targets: Targets,
): Promise<ImportReport> {
  const { columns, ignored, statusAt, rows } = await checkCsv(file);
  const deps = operatorDeps(targets);
  const report: ImportReport = {
    file,
    mode: options.confirmed ? 'active' : 'confirmation',
    rows,
    added: 0,
    unchanged: 0,
    skipped: 0,
    rejected: 0,
    rejects: [],
    skips: [],
    ignoredColumns: ignored,
    interrupted: false,
    done: 0,
  };
  const bar = options.progress ? new CountProgress('import', rows, 'rows', options.plain) : undefined;
  const firstLineOf = new Map<string, number>();
  const limit = Math.max(1, options.concurrency ?? IMPORT_CONCURRENCY);
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  const finished = () => {
    report.done += 1;
    bar?.update(report.done);
  };
  const reject = (line: number, reason: string) => {
    report.rejected += 1;
    report.rejects.push({ line, reason });
    finished();
  };
  for await (const row of csvRows(file, columns, statusAt)) {
    if (options.signal?.aborted || failure) break;
    if ('error' in row) {
      reject(row.line, row.error);
      continue;
    }
    // An export's row for a reader who left (or erased: no address) stays out of a new table too.
    if (row.fileStatus && LEFT_STATES.has(row.fileStatus)) {
      report.skipped += 1;
      report.skips.push({ line: row.line, status: `${row.fileStatus} (the file's status column)` });
      finished();
      continue;
    }
    const { topics, authors, exclude, ...rest } = row.fields;
    // Lists inside one field are separated by `;` (or by commas inside quotes).
    const asList = (value: string | undefined) =>
      value === undefined ? undefined : value.replaceAll(';', ',');
    const parsed = SubscriptionRequestSchema.safeParse({
      ...rest,
      ...(topics !== undefined ? { topics: asList(topics) } : {}),
      ...(authors !== undefined ? { authors: asList(authors) } : {}),
      ...(exclude !== undefined ? { exclude: asList(exclude) } : {}),
    });
    if (!parsed.success) {
      reject(row.line, formatIssues(describeIssues(parsed.error.issues)));
      continue;
    }
    // The id ignores case (docs/data-model.md, "Subscriber identity"): `Dup@` after `dup@` is the same.
    const id = await idOfAddress(parsed.data.email, deps);
    const earlier = firstLineOf.get(id);
    if (earlier !== undefined) {
      reject(row.line, `the same address as line ${earlier}`);
      continue;
    }
    firstLineOf.set(id, row.line);
    // A row the file says never confirmed gets the double opt-in, even with --confirmed.
    const confirmed = options.confirmed && row.fileStatus !== 'pending';
    const work: Promise<void> = importSubscriber(parsed.data, { confirmed }, deps)
      .then((result: ImportOutcome) => {
        report[result.outcome] += 1;
        if (result.outcome === 'skipped') report.skips.push({ line: row.line, status: result.status });
        finished();
      })
      .catch((error: unknown) => {
        failure ??= { error };
      })
      .finally(() => inFlight.delete(work));
    inFlight.add(work);
    if (inFlight.size >= limit) await Promise.race(inFlight);
  }
  // Every row started is finished, its write and the count that follows it alike.
  await Promise.all(inFlight);
  if (failure) throw failure.error;
  report.interrupted = Boolean(options.signal?.aborted) && report.done < rows;
  if (!report.interrupted) bar?.done(report.done);
  // Sign-ups queued in this process (the local stack) are worked before the command ends.
  await targets.settle();
  report.rejects.sort((a, b) => a.line - b.line);
  report.skips.sort((a, b) => a.line - b.line);
  return report;
}

/** The fields an export carries: no tokens, no link bindings. */
const EXPORT_FIELDS = [
  'email',
  'status',
  'topics',
  'authors',
  'exclude',
  'frequency',
  'digestSize',
  'createdAt',
  'confirmedAt',
  'pausedUntil',
  'unsubscribedAt',
  'bouncedAt',
  'bounceReason',
  'complainedAt',
  'erasedAt',
  'id',
] as const;

/** A record as an export line: erased ones carry only their id, state and date. */
export function exportRow(record: SubscriberRecord): Record<string, unknown> {
  const source = record as unknown as Record<string, unknown>;
  const row: Record<string, unknown> = {};
  for (const field of EXPORT_FIELDS) if (source[field] !== undefined) row[field] = source[field];
  return row;
}

/** One CSV field: quoted when needed, and a leading formula character defused for spreadsheets. */
export function csvField(value: unknown): string {
  let text = Array.isArray(value) ? value.join(';') : value === undefined ? '' : String(value);
  if (/^[=+\-@\t\r]/u.test(text)) text = `'${text}`;
  return /[",\n\r]/u.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

async function write(line: string): Promise<void> {
  if (!process.stdout.write(`${forTerminal(line)}\n`)) await once(process.stdout, 'drain');
}

export function registerSubscriberCommands(program: Command): void {
  const subscribers = program
    .command('subscribers')
    .description('import, export, find, suppress and erase subscribers');
  const withTarget = (command: Command) => {
    command.addOption(dataDirOption()).addOption(jsonOption());
    for (const option of awsOptions()) command.addOption(option);
    return command;
  };

  withTarget(
    subscribers
      .command('import')
      .description(
        `import an existing list from CSV (header row; columns ${IMPORT_COLUMNS.join(', ')}; lists separated by ";"): ` +
          'bad rows are reported with their line, the rest imported; addresses that left or are suppressed are skipped; re-runs are safe',
      )
      .argument('<file>', 'the CSV file')
      .option(
        '--confirmed',
        'the readers opted in elsewhere (you assert their consent): add them as active; without it, each gets a confirmation email (double opt-in)',
      )
      // The bench compares the import's rows in flight with one row at a time.
      .addOption(
        new Option('--concurrency <n>', 'rows in flight')
          .argParser((v) => wholeNumber(v, 1, 64))
          .default(IMPORT_CONCURRENCY)
          .hideHelp(),
      ),
  ).action(async (file: string, options: TargetOptions & { confirmed?: boolean; concurrency: number }) => {
    await inputFile(file);
    await withTargets(options, async (targets) => {
      // The first Ctrl-C starts no new row and lets the rows in flight finish (each one's write
      // and the count that follows it), then prints what was done and exits 130; a second one
      // stops at once (then run `paperboy status --recount`).
      const stop = new AbortController();
      const onSignal = () => {
        if (stop.signal.aborted) {
          process.stderr.write(
            'paperboy: import stopped at once; run `paperboy status --recount` if the counts look off\n',
          );
          process.exit(130);
        }
        process.stderr.write(
          'paperboy: stopping the import: the rows in flight finish, then a summary (Ctrl-C again to stop at once)\n',
        );
        stop.abort();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      let report: ImportReport;
      try {
        report = await importCsv(
          file,
          {
            confirmed: Boolean(options.confirmed),
            progress: true,
            plain: Boolean(options.json),
            signal: stop.signal,
            concurrency: options.concurrency,
          },
          targets,
        );
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
      if (options.json) out(jsonForTerminal(report));
      else {
        if (report.ignoredColumns.length > 0)
          out(
            `${file}: ignored column(s) ${report.ignoredColumns.map((c) => `"${c}"`).join(', ')}; an import reads ${IMPORT_COLUMNS.join(', ')}`,
          );
        for (const r of report.rejects.slice(0, LINES_SHOWN)) out(`line ${r.line}: rejected: ${r.reason}`);
        if (report.rejects.length > LINES_SHOWN)
          out(`… and ${report.rejects.length - LINES_SHOWN} more rejected lines`);
        for (const s of report.skips.slice(0, LINES_SHOWN))
          out(`line ${s.line}: skipped: the address is ${s.status}`);
        if (report.skips.length > LINES_SHOWN)
          out(`… and ${report.skips.length - LINES_SHOWN} more skipped lines`);
        out(
          `${file}: ${report.interrupted ? `interrupted after ${report.done} of ${report.rows}` : report.rows} rows: ${report.added} added (${report.mode === 'active' ? 'active' : 'each sent a confirmation email'}), ` +
            `${report.unchanged} unchanged, ${report.skipped} skipped (left or suppressed: never re-activated), ${report.rejected} rejected`,
        );
      }
      if (report.interrupted)
        throw new CliError(
          'import interrupted: the rows above were done; run the same import again to finish (re-runs are safe)',
          130,
        );
      if (report.rejected > 0) throw new CliError('', EXIT.badInput);
    });
  });

  withTarget(
    subscribers
      .command('export')
      .description(
        'every subscriber in every state (no tokens or link bindings), streamed: CSV by default, --json gives JSON Lines (one object a line, not one document)',
      )
      .option('--csv', 'CSV with a header row (the default); lists joined by ";"'),
  ).action(async (options: TargetOptions & { csv?: boolean }) => {
    if (options.csv && options.json)
      throw new CliError('--csv and --json exclude each other: give one (CSV is the default)', EXIT.badInput);
    await withTargets(options, async (targets) => {
      const pages = paginateScan(
        { client: targets.db },
        {
          TableName: targets.tableName,
          FilterExpression: 'SK = :profile AND begins_with(PK, :sub)',
          ExpressionAttributeValues: { ':profile': keys.subscriber('').SK, ':sub': keys.subscriber('').PK },
        },
      );
      if (!options.json) await write(EXPORT_FIELDS.join(','));
      let count = 0;
      for await (const page of pages) {
        for (const item of page.Items ?? []) {
          // A sign-up whose confirmation expired is absent, as in every read (TTL deletes it later).
          if (isExpired(item, systemClock.now())) continue;
          const row = exportRow(recordFromItem(item));
          await write(
            options.json ? jsonForTerminal(row) : EXPORT_FIELDS.map((f) => csvField(row[f])).join(','),
          );
          count += 1;
        }
      }
      err(`exported ${count} subscriber(s) from ${targets.label}`);
    });
  });

  withTarget(
    subscribers
      .command('find')
      .description("a subscriber's state, preferences and recent deliveries")
      .argument('<email>', 'their address', addressArgument),
  ).action(async (email: string, options: TargetOptions) => {
    await withTargets(options, async (targets) => {
      const id = await idOfAddress(email, targets);
      const data = await new DynamoPersonalData(targets.db, targets.tableName).exportOf(id);
      if (!data.subscriber) throw new CliError('no subscriber has that address', EXIT.failed);
      const deliveries = [...data.deliveries]
        .sort((a, b) => b.editionDate.localeCompare(a.editionDate))
        .slice(0, RECENT_DELIVERIES);
      // What their "more / fewer like this" clicks taught: counts and the words that weigh most.
      const learned = data.learned && summarizeLearned(data.learned, 5);
      const found = {
        ...exportRow(data.subscriber),
        deliveries,
        papersReceived: data.papersReceived.length,
        ...(learned ? { learned } : {}),
      };
      if (options.json) {
        out(jsonForTerminal(found));
        return;
      }
      const record = data.subscriber;
      out(`${id}: ${record.status}${isErased(record) ? ` since ${record.erasedAt}` : ''}`);
      if (!isErased(record)) {
        out(`  email       ${record.email}`);
        out(`  topics      ${record.topics.join(', ') || '(none: trending)'}`);
        if (record.authors.length) out(`  authors     ${record.authors.join(', ')}`);
        if (record.exclude.length) out(`  excluded    ${record.exclude.join(', ')}`);
        out(`  frequency   ${record.frequency}, ${record.digestSize} papers`);
        out(
          `  since       ${record.createdAt}${record.confirmedAt ? `, confirmed ${record.confirmedAt}` : ''}`,
        );
        if (record.pausedUntil) out(`  paused until ${record.pausedUntil}`);
        if (record.bounceReason) out(`  suppressed  ${record.bounceReason} (${record.bouncedAt})`);
        if (record.complainedAt) out(`  complained  ${record.complainedAt}`);
      }
      if (learned)
        out(
          `  learned     ${learned.liked} more, ${learned.disliked} fewer${learned.likedWords.length ? `; more of: ${learned.likedWords.join(', ')}` : ''}${learned.dislikedWords.length ? `; less of: ${learned.dislikedWords.join(', ')}` : ''}`,
        );
      out(`  deliveries  ${data.deliveries.length} (${data.papersReceived.length} papers received)`);
      for (const d of deliveries) out(`    ${d.editionDate} ${d.status}${d.at ? ` ${d.at}` : ''}`);
    });
  });

  withTarget(
    subscribers
      .command('suppress')
      .description(
        'stop all mail to an address; an address the table does not know gets a suppression record, so a later import or sign-up meets it',
      )
      .argument('<email>', 'the address', addressArgument)
      .addOption(
        new Option(
          '--reason <why>',
          'unsubscribed (a replayed unsubscribe: a new sign-up with a new confirmation is still possible), bounced, complained, or manual (recorded as a bounce; sign-ups ignored)',
        )
          .choices(SUPPRESS_REASONS)
          .default('manual'),
      )
      .option(
        '--note <text>',
        'a note kept with a bounced or manual suppression',
        (v) => v.slice(0, 200),
        '',
      ),
  ).action(async (email: string, options: TargetOptions & { reason: SuppressReason; note: string }) => {
    await withTargets(options, async (targets) => {
      const deps = operatorDeps(targets);
      const id = await idOfAddress(email, deps);
      const known = (await deps.subscribers.get(id)) !== undefined;
      const outcome = await suppressSubscriber(id, options.note, deps, { reason: options.reason, email });
      const record = await deps.subscribers.get(id);
      const status = record?.status;
      if (options.json)
        out(jsonForTerminal({ id, outcome, status, created: !known && outcome === 'suppressed' }));
      else
        out(
          {
            suppressed: `${id}: ${known ? '' : 'not a subscriber: suppression record created; '}${status}; no mail will be sent to it`,
            'already-suppressed': `${id}: already ${status}; left as it is`,
            erased: `${id}: erased; there is nothing to send to`,
            unknown: `${id}: not suppressed`,
          }[outcome],
        );
    });
  });

  withTarget(
    subscribers
      .command('erase')
      .description(
        "erase a subscriber's data, as their own erase link does: only the keyed hash of the address stays",
      )
      .argument('<email>', 'the address', addressArgument),
  ).action(async (email: string, options: TargetOptions) => {
    await withTargets(options, async (targets) => {
      const deps = operatorDeps(targets);
      const id = await idOfAddress(email, deps);
      const record = await deps.subscribers.get(id);
      if (!record) throw new CliError('no subscriber has that address', EXIT.failed);
      let outcome: 'erased' | 'already-erased' = 'already-erased';
      if (!isErased(record)) {
        await eraseSubscriber(record, {
          clock: systemClock,
          personalData: new DynamoPersonalData(targets.db, targets.tableName),
        });
        outcome = 'erased';
      }
      if (options.json) out(jsonForTerminal({ id, outcome }));
      else out(outcome === 'erased' ? `${id}: erased` : `${id}: already erased`);
    });
  });
}
