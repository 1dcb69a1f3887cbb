import type { Command, Option } from 'commander';
import { Option as CommanderOption } from 'commander';
import { CliError, dataDirOption, jsonOption, out, wholeNumber } from './common.ts';
import { EXIT } from './exit-codes.ts';
import { DEAD_LETTER_ROLES } from './target-types.ts';
import { awsOptions, type TargetOptions, withTargets } from './targets.ts';
import { jsonForTerminal } from './terminal.ts';

/** `dlq list | redrive`: what failed after every retry, read without taking it, and put back. */
export function registerDlqCommands(program: Command): void {
  const dlq = program.command('dlq').description('dead-letter queues: what failed after every retry');
  const withTarget = (command: Command, extra: Option[] = []) => {
    for (const option of [dataDirOption(), jsonOption(), ...extra, ...awsOptions()])
      command.addOption(option);
    return command;
  };

  withTarget(
    dlq
      .command('list')
      .description(
        'every dead-letter queue: its depth and its first messages with why they failed (nothing is taken out)',
      )
      .option('--peek <n>', 'messages shown per queue (0 to 10)', (v) => wholeNumber(v, 0, 10), 5),
  ).action(async (options: TargetOptions & { peek: number }) => {
    await withTargets(options, async (targets) => {
      const queues = await targets.queues.deadLetters(options.peek);
      if (options.json) {
        out(jsonForTerminal(queues));
        return;
      }
      for (const queue of queues) {
        out(`${queue.role.padEnd(9)} ${queue.depth} message(s)  [${queue.name}]`);
        for (const m of queue.messages) {
          out(`  ${m.id}${m.at ? ` ${m.at}` : ''}: ${m.error ?? '(no reason given)'}`);
          out(`    ${m.body}`);
        }
        if (queue.unreadable)
          out(
            `  ${queue.unreadable} line(s) of the dead-letter file could not be read (kept in the file; no redrive takes them)`,
          );
      }
      const total = queues.reduce((sum, q) => sum + q.depth, 0);
      out(
        total === 0 ? 'no dead letters' : `${total} dead letter(s); put them back with: paperboy dlq redrive`,
      );
    });
  });

  withTarget(
    dlq
      .command('redrive')
      .description(
        'move dead letters back to where they came from: SQS moves a queue’s back to its source queue, a function’s events are handed to it again',
      ),
    [new CommanderOption('--queue <role>', 'only this dead-letter queue').choices([...DEAD_LETTER_ROLES])],
  ).action(async (options: TargetOptions & { queue?: string }) => {
    await withTargets(options, async (targets) => {
      const results = await targets.queues.redrive(options.queue);
      if (options.json) out(jsonForTerminal(results));
      else {
        for (const r of results) {
          if (r.kept !== undefined && r.moved === 0) {
            out(`${r.role.padEnd(9)} ${r.kept} kept, not redriven`);
            if (r.note) out(`  ${r.note}`);
            continue;
          }
          const how = {
            'move-task': 'moved back to its source queue by SQS',
            invoked: 'handed back to its function',
            queued: 'queued again',
          }[r.how];
          out(
            `${r.role.padEnd(9)} ${r.moved} ${how}${r.taskHandle ? ` (task ${r.taskHandle})` : ''}${r.failed.length ? `; ${r.failed.length} failed again` : ''}`,
          );
          for (const f of r.failed.slice(0, 10)) out(`  ${f.id}: ${f.error}`);
          if (r.note) out(`  ${r.note}`);
        }
      }
      const failed = results.reduce((sum, r) => sum + r.failed.length, 0);
      if (failed > 0)
        throw new CliError(
          `${failed} message(s) failed again and are back in their dead-letter queue`,
          EXIT.failed,
        );
    });
  });
}
