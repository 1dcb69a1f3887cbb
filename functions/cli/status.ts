import { type DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import type { Command } from 'commander';
import { countedStateOf, counterFor, DynamoCounters } from '../adapters/dynamo-counters.ts';
import { DynamoDeliveryLedger } from '../adapters/dynamo-delivery-ledger.ts';
import { DynamoEditionRepository } from '../adapters/dynamo-edition-repository.ts';
import { DynamoEditionStats } from '../adapters/dynamo-edition-stats.ts';
import { keys } from '../adapters/dynamo-keys.ts';
import { findHangingClaims, HANGING_AFTER_MS } from '../core/feedback.ts';
import { systemClock } from '../shared/system-clock.ts';
import { CliError, dataDirOption, err, jsonOption, out } from './common.ts';
import { EXIT } from './exit-codes.ts';
import { awsOptions, type TargetOptions, type Targets, withTargets } from './targets.ts';
import { jsonForTerminal } from './terminal.ts';

/** How many hanging claims `status` names (it counts them all). */
const HANGING_SHOWN = 10;

export interface StatusReport {
  target: string;
  papers: { stored: number; nearDuplicates: number };
  /** False when the table has no counts item yet (a table from before they were kept). */
  countsKept: boolean;
  subscribers: Record<string, number> & { expiredPending: number };
  lastEdition?: {
    date: string;
    createdAt: string;
    papers: number;
    stats: Record<string, number>;
  };
  queues: { name: string; kind: string; role: string; visible?: number; inFlight?: number; note?: string }[];
  hangingClaims: { count: number; first: { subscriberId: string; editionDate: string; claimedAt: string }[] };
  /** Parts that could not be read, with why (the rest is still reported). */
  errors: { part: string; error: string }[];
}

/**
 * What the stack holds and how its morning went, from reads that never scan: the running counts
 * item, the newest edition's header and counters, the queues' attributes, and the sparse index
 * of deliveries still sending. Each part is read on its own: one that fails is named, the others
 * are still shown.
 */
export async function readStatus(targets: Targets): Promise<StatusReport> {
  const { db, tableName } = targets;
  const errors: StatusReport['errors'] = [];
  const part = async <T>(name: string, read: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await read();
    } catch (error) {
      errors.push({ part: name, error: (error as Error).message || (error as Error).name });
      return undefined;
    }
  };
  const [counts, lastEdition, queues, hanging] = await Promise.all([
    part('counts', () => new DynamoCounters(db, tableName).read(systemClock.now())),
    part('last edition', async () => {
      const latest = await new DynamoEditionRepository(db, tableName).latest();
      if (!latest) return undefined;
      const stats = await new DynamoEditionStats(db, tableName).get(latest.date);
      return { date: latest.date, createdAt: latest.createdAt, papers: latest.entryCount, stats };
    }),
    part('queues', () => targets.queues.depths()),
    part('hanging claims', () =>
      findHangingClaims({ ledger: new DynamoDeliveryLedger(db, tableName, systemClock), clock: systemClock }),
    ),
  ]);
  return {
    target: targets.label,
    papers: { stored: counts?.papers ?? 0, nearDuplicates: counts?.nearDuplicates ?? 0 },
    countsKept: counts?.kept ?? false,
    subscribers: { ...(counts?.subscribers ?? {}), expiredPending: counts?.expiredPending ?? 0 },
    ...(lastEdition ? { lastEdition } : {}),
    queues: queues ?? [],
    hangingClaims: {
      count: hanging?.length ?? 0,
      first: (hanging ?? []).slice(0, HANGING_SHOWN).map(({ subscriberId, editionDate, claimedAt }) => ({
        subscriberId,
        editionDate,
        claimedAt,
      })),
    },
    errors,
  };
}

/**
 * Counts the table afresh with a full Scan (reads every item: only for a table whose counts were
 * never kept, or after a process died between a write and its count) and writes the counts.
 */
export async function recount(
  db: DynamoDBDocumentClient,
  tableName: string,
  onPage: (items: number) => void = () => {},
): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  const add = (name: string) => {
    counts[name] = (counts[name] ?? 0) + 1;
  };
  let seen = 0;
  const pages = paginateScan(
    { client: db },
    {
      TableName: tableName,
      ProjectionExpression: 'PK, SK, #status, expiresAt, canonicalId',
      ExpressionAttributeNames: { '#status': 'status' },
    },
  );
  for await (const page of pages) {
    for (const item of page.Items ?? []) {
      const pk = String(item.PK);
      if (item.SK === keys.paper('').SK && pk.startsWith(keys.paper('').PK)) {
        add(item.canonicalId ? 'nearDuplicates' : 'papers');
      } else if (item.SK === keys.subscriber('').SK && pk.startsWith(keys.subscriber('').PK)) {
        const state = countedStateOf(item);
        if (state) add(counterFor(state));
      }
    }
    seen += page.Items?.length ?? 0;
    onPage(seen);
  }
  await new DynamoCounters(db, tableName).write(counts);
  return counts;
}

export function registerStatusCommand(program: Command): void {
  const command = program
    .command('status')
    .description(
      'papers, subscribers by state, the last edition and its sending, queue and dead-letter depths, hanging deliveries (reads counters: never scans)',
    )
    .option(
      '--recount',
      'first count papers and subscribers afresh with one full Scan of the table, and keep the counts',
    )
    .addOption(dataDirOption())
    .addOption(jsonOption());
  for (const option of awsOptions()) command.addOption(option);
  command.action(async (options: TargetOptions & { recount?: boolean }) => {
    await withTargets(options, async (targets) => {
      if (options.recount) {
        await recount(targets.db, targets.tableName, (items) => {
          if (!options.json) err(`recount: ${items.toLocaleString('en-US')} items read`);
        });
      }
      const report = await readStatus(targets);
      if (options.json) out(jsonForTerminal(report));
      else printStatus(report);
      if (report.errors.length > 0) {
        throw new CliError(
          `could not read: ${report.errors.map((e) => `${e.part} (${e.error})`).join('; ')}`,
          EXIT.failed,
        );
      }
    });
  });
}

function printStatus(report: StatusReport): void {
  const n = (value: number) => value.toLocaleString('en-US');
  out(report.target);
  if (!report.countsKept) {
    out(
      '(no counts item in this table yet: a new table, where zero is right, or one from before the counts were kept: then run paperboy status --recount once)',
    );
  }
  out(
    `papers       ${n(report.papers.stored)} (and ${n(report.papers.nearDuplicates)} near-duplicates linked to them)`,
  );
  const { expiredPending, ...states } = report.subscribers;
  out(
    `subscribers  ${Object.entries(states)
      .map(([state, count]) => `${state} ${n(count)}`)
      .join(' · ')}`,
  );
  if (expiredPending > 0)
    out(`             (${n(expiredPending)} sign-ups were never confirmed and expired)`);
  if (report.lastEdition) {
    const { date, papers, stats } = report.lastEdition;
    out(`last edition ${date}: ${papers} candidates`);
    out(
      `             ${Object.entries(stats)
        .map(([name, count]) => `${name} ${n(count)}`)
        .join(' · ')}`,
    );
  } else out('last edition none yet');
  for (const queue of report.queues) {
    const depth =
      queue.visible === undefined
        ? `- (${queue.note ?? 'not visible'})`
        : `${n(queue.visible)}${queue.inFlight ? ` (+${n(queue.inFlight)} in flight)` : ''}`;
    out(
      `${queue.kind === 'work' ? 'queue' : 'dead letters'} ${queue.role.padEnd(9)} ${depth}  [${queue.name}]`,
    );
  }
  out(
    report.hangingClaims.count === 0
      ? `hanging      none (no delivery left sending past ${HANGING_AFTER_MS / 60_000} minutes)`
      : `hanging      ${n(report.hangingClaims.count)} delivery(ies) left sending past ${HANGING_AFTER_MS / 60_000} minutes; resolve with: paperboy deliveries resolve`,
  );
}
