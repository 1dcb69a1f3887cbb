import { readFile, stat, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { deliveryModeFor } from '../core/delivery-schedule.ts';
import { describeIssues, formatIssues } from '../core/errors.ts';
import {
  findHangingClaims,
  HANGING_AFTER_MS,
  MIN_GRACE_MINUTES,
  resolveHangingClaims,
  SesEventSchema,
} from '../core/feedback.ts';
import type { Edition } from '../core/ports.ts';
import { previewDigest, type SendDigestsResult, sendDigests } from '../core/send-digests.ts';
import { normalizeEmail, type Subscriber } from '../core/subscriber.ts';
import type { LocalRuntime } from '../local/local-runtime.ts';
import { CliError, dataDirOption, isoDate, jsonOption, out, wholeNumber, withConnection } from './common.ts';
import { EnvironmentError, EXIT } from './exit-codes.ts';
import { jsonForTerminal } from './terminal.ts';

/** Subscribers per send job, as the rank function pages them. */
const JOB_SIZE = 50;

/** `preview`, `send`, `stats`, `feedback` and `deliveries resolve`: the delivery side of the CLI. */
export function registerDeliveryCommands(program: Command): void {
  program
    .command('preview')
    .description('write the exact HTML (and text) a subscriber gets from an edition; sends nothing')
    .option('--edition <date>', 'the edition (default: the newest)', isoDate)
    .option('--subscriber <email>', 'whose digest (default: a reader with no topics)')
    .requiredOption('--out <file>', 'where to write the HTML')
    .option('--text <file>', 'also write the plain-text part here')
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(
      async (options: {
        edition?: string;
        subscriber?: string;
        out: string;
        text?: string;
        dataDir: string;
        json?: boolean;
        aws?: boolean;
        outputsFile?: string;
      }) => {
        // Refused before anything is reached: a usage error, not a missing environment.
        if (options.aws || options.outputsFile) {
          throw new CliError(
            "preview works on the local stack only: it renders with the send function's own settings (sender, postal address, token key), which the CLI does not read from a deployed stage",
            EXIT.badInput,
          );
        }
        await withConnection(options, async ({ local, remote }) => {
          if (remote) {
            throw new EnvironmentError(
              `preview renders with the send function's own settings (sender, postal address, token key), which the CLI does not read from ${remote.label}: preview on the local stack`,
            );
          }
          const edition = await editionFor(local, options.edition);
          const subscriber = options.subscriber
            ? await subscriberFor(local, options.subscriber)
            : anyReader();
          if (subscriber.status !== 'active') {
            throw new CliError(`this reader is ${subscriber.status}: they get no email`, EXIT.failed);
          }
          const preview = await previewDigest(subscriber, edition, local.operator.send);
          if (!preview) {
            throw new CliError(
              `${edition.date} has nothing new for this reader (everything was sent already, or nothing matches)`,
              EXIT.failed,
            );
          }
          await writeFile(options.out, preview.email.html);
          if (options.text) await writeFile(options.text, preview.email.text);
          const report = {
            edition: edition.date,
            subject: preview.email.subject,
            papers: preview.paperIds.length,
            headers: preview.email.headers,
            out: options.out,
            ...(options.text ? { text: options.text } : {}),
            ...(preview.delivery ? { delivery: preview.delivery } : {}),
            ...(preview.notDue ? { notDue: true } : {}),
          };
          if (options.json) out(jsonForTerminal(report));
          else {
            out(
              `${report.subject}: ${report.papers} papers, written to ${options.out}${options.text ? ` and ${options.text}` : ''}`,
            );
            if (preview.delivery) {
              out(
                `  this reader ${preview.delivery.status === 'sent' ? 'was sent' : 'is being sent'} this edition (${preview.delivery.at}): this is that email, rebuilt from the papers it carried` +
                  (preview.delivery.papersNoLongerChosen > 0
                    ? `; ${preview.delivery.papersNoLongerChosen} of them would no longer be chosen and are left out`
                    : ''),
              );
            }
            if (preview.notDue)
              out('  not due this edition (paused, or weekly on another day): what they would get');
            for (const [name, value] of Object.entries(report.headers)) out(`  ${name}: ${value}`);
          }
        });
      },
    );

  program
    .command('send')
    .description(
      'send an edition to every subscriber it is due to and who has not had it; reports the counts',
    )
    .option('--edition <date>', 'the edition (default: the newest)', isoDate)
    .option('--dry-run', 'count who would get it; claim and send nothing')
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (options: { edition?: string; dryRun?: boolean; dataDir: string; json?: boolean }) => {
      await withConnection(options, async (connection) => {
        const { local } = connection;
        const edition = await editionFor(local, options.edition);
        if (connection.remote) {
          await queueEdition(local, edition, connection.remote.label, options);
          return;
        }
        const total: SendDigestsResult = {
          sent: 0,
          skipped: 0,
          sending: 0,
          nothingNew: 0,
          rejected: 0,
          feedOnly: 0,
          failed: [],
          unstarted: [],
        };
        let due = 0;
        let cursor: string | undefined;
        do {
          const page = await local.operator.subscribers.listActive(cursor, JOB_SIZE);
          const policy = local.operator.send.policy;
          const ids = page.subscribers
            .filter((s) => deliveryModeFor(s, edition, policy, new Date()) !== undefined)
            .map((s) => s.id);
          due += ids.length;
          if (ids.length > 0) {
            const result = await sendDigests(
              { editionDate: edition.date, subscriberIds: ids },
              local.operator.send,
              {
                dryRun: Boolean(options.dryRun),
              },
            );
            total.sent += result.sent;
            total.skipped += result.skipped;
            total.sending += result.sending;
            total.nothingNew += result.nothingNew;
            total.rejected += result.rejected;
            total.feedOnly += result.feedOnly;
            total.failed.push(...result.failed);
            if (result.stopped) {
              total.stopped = result.stopped;
              break;
            }
          }
          cursor = page.next;
        } while (cursor);
        // SES's events for what went out: delivery counts, the mailbox simulator's bounces.
        if (!options.dryRun) await connection.sesEvents();
        const report = {
          edition: edition.date,
          dryRun: Boolean(options.dryRun),
          due,
          ...total,
          failed: total.failed.length,
        };
        if (options.json) out(jsonForTerminal({ ...report, failures: total.failed }));
        else {
          const verb = options.dryRun ? 'would send' : 'sent';
          out(
            `edition ${edition.date}: ${verb} ${total.sent} of ${due} due; ${total.skipped} already had it, ${total.sending} being sent or left sending, ${total.nothingNew} had nothing new, ${total.rejected} refused by SES, ${total.feedOnly} recorded for feed-only readers, ${total.failed.length} failed`,
          );
          if (total.sent === 0 && total.failed.length === 0 && total.sending === 0 && !options.dryRun)
            out('nothing to send: every due reader has this edition already');
          if (total.sending > 0)
            out(
              `${total.sending} delivery(ies) are still sending: another sender is at work, or one died (paperboy stats lists them; deliveries resolve sends those that never left)`,
            );
          for (const failure of total.failed.slice(0, 10))
            out(`  failed ${failure.subscriberId}: ${failure.error}`);
        }
        if (total.stopped) throw new CliError(`SES stopped sending: ${total.stopped}`, EXIT.failed);
        if (total.failed.length > 0)
          throw new CliError(
            `${total.failed.length} digest(s) failed; run paperboy send again to retry them`,
            EXIT.failed,
          );
      });
    });

  program
    .command('stats')
    .description("an edition's sending: sent, delivered, bounced, complained…; and deliveries left hanging")
    .option('--edition <date>', 'the edition (default: the newest)', isoDate)
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (options: { edition?: string; dataDir: string; json?: boolean }) => {
      await withConnection(options, async ({ local, sesEvents }) => {
        const edition = await editionFor(local, options.edition);
        await sesEvents();
        const stats = await local.operator.stats.get(edition.date);
        const { ledger, clock } = local.operator.send;
        // Every claim still sending, whatever its age; those past the grace period are hanging.
        const now = clock.now().getTime();
        const sending = (await findHangingClaims({ ledger, clock }, 0)).map(
          ({ subscriberId, editionDate, claimedAt }) => {
            const ageSeconds = Math.round((now - Date.parse(claimedAt)) / 1000);
            return {
              subscriberId,
              editionDate,
              claimedAt,
              ageSeconds,
              hanging: ageSeconds * 1000 >= HANGING_AFTER_MS,
            };
          },
        );
        const hanging = sending.filter((claim) => claim.hanging);
        const report = {
          edition: edition.date,
          ...stats,
          sending,
          hangingClaims: hanging.map(({ subscriberId, editionDate, claimedAt }) => ({
            subscriberId,
            editionDate,
            claimedAt,
          })),
        };
        if (options.json) out(jsonForTerminal(report));
        else {
          out(`edition ${edition.date} (${edition.entries.length} candidates)`);
          for (const [name, value] of Object.entries(stats)) out(`  ${name.padEnd(12)} ${value}`);
          if (stats.duplicates > 0)
            out(
              `${stats.duplicates} reader(s) got this edition twice (SES accepted two messages for one delivery)`,
            );
          const young = sending.length - hanging.length;
          if (young > 0) {
            out(
              `${young} delivery(ies) sending for less than ${HANGING_AFTER_MS / 60_000} minutes: being sent now, or left by a sender that died (they count as hanging once ${HANGING_AFTER_MS / 60_000} minutes old)`,
            );
          }
          out(
            hanging.length === 0
              ? 'no delivery left hanging'
              : `${hanging.length} delivery(ies) left sending past ${HANGING_AFTER_MS / 60_000} minutes (a sender died); resolve with: paperboy deliveries resolve`,
          );
          for (const claim of sending.slice(0, 20)) {
            out(
              `  ${claim.subscriberId} ${claim.editionDate} claimed ${claim.claimedAt} (${claim.ageSeconds} s ago)`,
            );
          }
        }
      });
    });

  program
    .command('feedback')
    .description(
      'feed a file of SES events (EventBridge shape: a JSON array, or JSON Lines) through the feedback handler; malformed ones are reported, the rest applied',
    )
    .argument('<file>', 'the events')
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (file: string, options: { dataDir: string; json?: boolean }) => {
      const entries = await readEvents(file);
      if (entries.length === 0) throw new CliError(`${file}: no events in it`, EXIT.badInput);
      await withConnection(options, async ({ local }) => {
        const outcomes: { where: string; outcome: string; error?: string }[] = [];
        for (const entry of entries) {
          if ('error' in entry) {
            outcomes.push({ where: entry.where, outcome: 'malformed', error: entry.error });
            continue;
          }
          // Only SES events: a file is not a way to run the handler's other commands.
          const event = SesEventSchema.safeParse(entry.event);
          if (!event.success) {
            const error = `not an SES event: ${formatIssues(describeIssues(event.error.issues))}`;
            outcomes.push({ where: entry.where, outcome: 'malformed', error });
            continue;
          }
          try {
            const result = await local.handlers.feedback(entry.event);
            outcomes.push(
              result.kind === 'event'
                ? { where: entry.where, outcome: result.outcome }
                : {
                    where: entry.where,
                    outcome: 'malformed',
                    error: result.kind === 'malformed' ? result.error : 'not an SES event',
                  },
            );
          } catch (error) {
            // One event that cannot be applied does not stop the others.
            outcomes.push({ where: entry.where, outcome: 'failed', error: (error as Error).message });
          }
        }
        const malformed = outcomes.filter((o) => o.outcome === 'malformed' || o.outcome === 'failed');
        if (options.json) out(jsonForTerminal(outcomes));
        else {
          const counts = new Map<string, number>();
          for (const o of outcomes) counts.set(o.outcome, (counts.get(o.outcome) ?? 0) + 1);
          out(`${entries.length} event(s): ${[...counts].map(([k, v]) => `${v} ${k}`).join(', ')}`);
          for (const m of malformed.slice(0, 50)) out(`  ${m.where}: ${m.error}`);
        }
        if (outcomes.some((o) => o.outcome === 'failed')) throw new CliError('', EXIT.failed);
        if (malformed.length > 0) throw new CliError('', EXIT.badInput);
      });
    });

  const deliveries = program
    .command('deliveries')
    .description('deliveries left hanging by a dead send worker');
  deliveries
    .command('resolve')
    .description(
      'release deliveries still sending past the grace period with no send event from SES (their email never left), and send them again',
    )
    .option(
      '--grace-minutes <n>',
      `how old a claim must be, at least ${MIN_GRACE_MINUTES} (younger claims may still be being sent)`,
      (v) => wholeNumber(v, MIN_GRACE_MINUTES, 1440),
      HANGING_AFTER_MS / 60_000,
    )
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (options: { graceMinutes: number; dataDir: string; json?: boolean }) => {
      await withConnection(options, async (connection) => {
        const { local, sesEvents } = connection;
        // SES's send events first: they complete the claims whose email did leave.
        await sesEvents();
        const { released, jobs } = await resolveHangingClaims(
          { ledger: local.operator.send.ledger, clock: local.operator.send.clock, queue: local.queue },
          options.graceMinutes * 60_000,
        );
        // The released readers' send jobs run in this process, on the stack's in-process queue.
        await connection.settle();
        const stillHanging = await findHangingClaims(
          { ledger: local.operator.send.ledger, clock: local.operator.send.clock },
          0,
        );
        const report = {
          released: released.length,
          jobs,
          sending: stillHanging.length,
          deliveries: released,
        };
        if (options.json) out(jsonForTerminal(report));
        else {
          out(
            released.length === 0
              ? 'no delivery left hanging'
              : `released ${released.length} delivery(ies) that never left, and sent them again (${jobs} send job(s))`,
          );
          for (const r of released.slice(0, 20)) out(`  ${r.subscriberId} ${r.editionDate}`);
        }
      });
    });
}

/**
 * `send --aws`: the edition's send jobs for every active subscriber go on the stage's send queue,
 * a page of readers each, as the rank function dispatches them; the send function works them
 * (and skips whoever is not due or already has it). `paperboy stats --aws` follows the sending.
 */
async function queueEdition(
  local: LocalRuntime,
  edition: Edition,
  label: string,
  options: { dryRun?: boolean; json?: boolean },
): Promise<void> {
  let readers = 0;
  let jobs = 0;
  let cursor: string | undefined;
  do {
    const page = await local.operator.subscribers.listActive(cursor, JOB_SIZE);
    const subscriberIds = page.subscribers.map((s) => s.id);
    if (subscriberIds.length > 0) {
      if (!options.dryRun) await local.queue.enqueue([{ editionDate: edition.date, subscriberIds }]);
      readers += subscriberIds.length;
      jobs += 1;
    }
    cursor = page.next;
  } while (cursor);
  const report = { edition: edition.date, dryRun: Boolean(options.dryRun), queued: readers, jobs };
  if (options.json) out(jsonForTerminal(report));
  else
    out(
      `edition ${edition.date}: ${options.dryRun ? 'would queue' : 'queued'} ${jobs} send job(s) for ${readers} active reader(s) on ${label}; the send function sends to those due who do not have it yet (follow with: paperboy stats --aws)`,
    );
}

async function editionFor(local: LocalRuntime, date: string | undefined): Promise<Edition> {
  const day = date ?? (await local.operator.editions.latest())?.date;
  if (!day)
    throw new CliError(
      'there is no edition yet; make one with: paperboy edition run --date YYYY-MM-DD',
      EXIT.failed,
    );
  const edition = await local.operator.editions.get(day);
  if (!edition)
    throw new CliError(
      `there is no edition for ${day}; make it with: paperboy edition run --date ${day}`,
      EXIT.failed,
    );
  return edition;
}

async function subscriberFor(local: LocalRuntime, email: string): Promise<Subscriber> {
  const record = await local.operator.subscribers.get(
    await local.operator.subscriberId(normalizeEmail(email)),
  );
  if (!record || record.status === 'erased')
    throw new CliError(`no subscriber has that address`, EXIT.badInput);
  return record;
}

/** A reader with no topics: the edition's trending digest. */
function anyReader(): Subscriber {
  return {
    id: 'preview',
    email: 'preview@example.invalid',
    status: 'active',
    topics: [],
    authors: [],
    exclude: [],
    frequency: 'daily',
    digestSize: 10,
    signupId: 'preview',
    version: 0,
    createdAt: new Date(0).toISOString(),
    updatedAt: new Date(0).toISOString(),
  };
}

/** The most events one file may hold, and its largest size: the CLI holds them in memory. */
const MAX_EVENTS = 100_000;
const MAX_FILE_BYTES = 64 * 1024 * 1024;

type EventEntry = { where: string; event: unknown } | { where: string; error: string };

/** A JSON array of events, or one event per line; each entry says where in the file it was. */
async function readEvents(file: string): Promise<EventEntry[]> {
  let text: string;
  try {
    const info = await stat(file);
    if (info.isDirectory())
      throw new CliError(`${file}: is a directory, not a file of events`, EXIT.badInput);
    if (info.size > MAX_FILE_BYTES) {
      throw new CliError(
        `${file}: ${info.size} bytes; at most ${MAX_FILE_BYTES} at once (split the file)`,
        EXIT.badInput,
      );
    }
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`${file}: no such file`, EXIT.badInput);
  }
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    let events: unknown;
    try {
      events = JSON.parse(trimmed);
    } catch (error) {
      throw new CliError(`${file}: not a JSON array: ${(error as Error).message}`, EXIT.badInput);
    }
    if (!Array.isArray(events)) throw new CliError(`${file}: not a JSON array`, EXIT.badInput);
    if (events.length > MAX_EVENTS) {
      throw new CliError(`${file}: ${events.length} events; at most ${MAX_EVENTS} at once`, EXIT.badInput);
    }
    return events.map((event, i) => ({ where: `event ${i + 1}`, event }));
  }
  const entries: EventEntry[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    if (!line.trim()) continue;
    if (entries.length >= MAX_EVENTS) {
      throw new CliError(`${file}: more than ${MAX_EVENTS} events; split the file`, EXIT.badInput);
    }
    try {
      entries.push({ where: `line ${i + 1}`, event: JSON.parse(line) as unknown });
    } catch (error) {
      entries.push({ where: `line ${i + 1}`, error: `not JSON: ${(error as Error).message}` });
    }
  }
  return entries;
}
