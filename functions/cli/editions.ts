import type { Command } from 'commander';
import { DynamoEditionRepository } from '../adapters/dynamo-edition-repository.ts';
import { DynamoEditionStats } from '../adapters/dynamo-edition-stats.ts';
import type { Edition } from '../core/ports.ts';
import { CliError, dataDirOption, isoDate, jsonOption, out, positiveInt } from './common.ts';
import { EXIT } from './exit-codes.ts';
import { awsOptions, type TargetOptions, withTargets } from './targets.ts';
import { jsonForTerminal } from './terminal.ts';

/** `editions list | show DATE`: what was made, newest first, and what its sending came to. */
export function registerEditionCommands(program: Command): void {
  const editions = program
    .command('editions')
    .description('the editions made, newest first, and their sending');
  const withTarget = (command: Command) => {
    command.addOption(dataDirOption()).addOption(jsonOption());
    for (const option of awsOptions()) command.addOption(option);
    return command;
  };

  withTarget(
    editions
      .command('list')
      .description(
        'editions newest first: date, candidates, sent (emails), feed-only digests, delivered, bounced, complained, failed',
      )
      .option('--limit <n>', 'how many', (v) => positiveInt(v, 1000), 30),
  ).action(async (options: TargetOptions & { limit: number }) => {
    await withTargets(options, async (targets) => {
      const repository = new DynamoEditionRepository(targets.db, targets.tableName);
      const stats = new DynamoEditionStats(targets.db, targets.tableName);
      const rows = [];
      let cursor: string | undefined;
      do {
        const page = await repository.list(Math.min(100, options.limit - rows.length), cursor);
        for (const summary of page.editions) {
          rows.push({
            date: summary.date,
            createdAt: summary.createdAt,
            mode: summary.mode,
            papers: summary.entryCount,
            ...(await stats.get(summary.date)),
          });
        }
        cursor = page.next;
      } while (cursor && rows.length < options.limit);
      if (options.json) {
        out(jsonForTerminal(rows));
        return;
      }
      if (rows.length === 0) {
        out('no edition yet; make one with: paperboy edition run');
        return;
      }
      out('date        candidates  sent  feed-only  delivered  bounced  complained  failed');
      for (const r of rows) {
        out(
          `${r.date}  ${String(r.papers).padStart(10)}  ${String(r.sent).padStart(4)}  ${String(r.feedOnly).padStart(9)}  ${String(r.delivered).padStart(9)}  ${String(r.bounced).padStart(7)}  ${String(r.complained).padStart(10)}  ${String(r.failed).padStart(6)}`,
        );
      }
    });
  });

  withTarget(
    editions
      .command('show')
      .description('a stored edition: its papers, scores and reasons, and its sending counts')
      .argument('<date>', 'the edition day, YYYY-MM-DD', isoDate),
  ).action(async (date: string, options: TargetOptions) => {
    await withTargets(options, async (targets) => {
      const found = await new DynamoEditionRepository(targets.db, targets.tableName).get(date);
      if (!found)
        throw new CliError(
          `there is no edition for ${date}; make it with: paperboy edition run --date ${date}`,
          EXIT.failed,
        );
      const stats = await new DynamoEditionStats(targets.db, targets.tableName).get(date);
      if (options.json) out(jsonForTerminal({ ...found, stats }));
      else {
        printEdition(found);
        out(
          `sending: ${Object.entries(stats)
            .map(([name, n]) => `${name} ${n}`)
            .join(' · ')}`,
        );
      }
    });
  });
}

export function printEdition(found: Edition): void {
  out(`edition ${found.date} (made ${found.createdAt}), ${found.entries.length} papers`);
  found.entries.forEach((entry, i) => {
    out(`${String(i + 1).padStart(3)}. ${entry.score.toFixed(3)}  ${entry.paper.title}`);
    out(`       ${entry.paper.id} · ${entry.reasons.join(' · ')}`);
  });
}
