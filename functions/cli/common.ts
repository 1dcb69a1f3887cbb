import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { InvalidArgumentError, Option } from 'commander';
import * as z from 'zod';
import { PaperboyError } from '../core/errors.ts';
import type { RankEditionResult } from '../core/rank-edition.ts';
import { type SchedulePolicy, type Weekday, weekdayOf } from '../core/schedule-policy.ts';
import { DEFAULT_DATA_DIR } from '../local/stack-info.ts';
import type { Connection } from './connect.ts';
import { EXIT, fileErrorOf } from './exit-codes.ts';
import { forTerminal } from './terminal.ts';

/** Every line the CLI prints goes through here: text from files never reaches the terminal raw. */
export const out = (line: string) => console.log(forTerminal(line));
export const err = (line: string) => console.error(forTerminal(line));

/** A failure the CLI reports itself, with the exit code it stands for. */
export class CliError extends PaperboyError {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** The rule the rank function and the API hold edition days to: a real day of the calendar. */
const EditionDay = z.iso.date();

/** A `YYYY-MM-DD` that names a day that exists (not 2026-02-30, which Date.parse rolls over). */
export const isoDate = (value: string) => {
  if (!/^\d{4}-\d{2}-\d{2}$/u.test(value)) throw new InvalidArgumentError('expected a date as YYYY-MM-DD');
  if (!EditionDay.safeParse(value).success) {
    throw new InvalidArgumentError(`expected a date as YYYY-MM-DD: ${value} is not a day of the calendar`);
  }
  return value;
};

export function positiveInt(value: string, max: number): number {
  return wholeNumber(value, 1, max);
}

export function wholeNumber(value: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/u.test(value.trim()) || !Number.isInteger(n) || n < min || n > max) {
    throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
  }
  return n;
}

export const dataDirOption = () =>
  new Option('--data-dir <dir>', 'local data folder of the stack to use').default(DEFAULT_DATA_DIR);
export const jsonOption = () => new Option('--json', 'print the result as JSON');
/** Progress lines on stderr, none with --json (stdout stays data). */
export const progress = (json: boolean) => (line: string) => {
  if (!json) err(line);
};

/**
 * Runs a command's work against the local stack: the running `npm start` stack of the data
 * folder, or emulators started for the length of the command. A stack that stops while the
 * command uses it (its servers refuse connections) is reported as that, with what to do.
 */
export async function withConnection(
  options: {
    dataDir: string;
    json?: boolean;
    aws?: boolean;
    stage?: string;
    profile?: string;
    region?: string;
    outputsFile?: string;
  },
  work: (connection: Connection) => Promise<void>,
): Promise<void> {
  if (options.outputsFile && !options.aws)
    throw new CliError('--outputs-file goes with --aws (it stands for a deployed stage)', EXIT.badInput);
  if (options.aws) {
    // A deployed stage (`--aws`): every resource from its stacks' outputs (cli/aws-connection.ts).
    const { awsConnection } = await import('./aws-connection.ts');
    await work(
      await awsConnection({
        stage: options.stage ?? 'dev',
        ...(options.profile ? { profile: options.profile } : {}),
        ...(options.region ? { region: options.region } : {}),
        ...(options.outputsFile ? { outputsFile: options.outputsFile } : {}),
      }),
    );
    return;
  }
  // Loaded on use: the stack pulls in the SDK and the MJML compiler, which --help does not need.
  const { connect, refusedConnection } = await import('./connect.ts');
  const command = `paperboy ${process.argv.slice(2).join(' ')}`.slice(0, 120);
  const connection = await connect(options.dataDir, progress(Boolean(options.json)), command);
  try {
    await work(connection);
  } catch (error) {
    const refused = refusedConnection(error);
    if (!refused) throw error;
    const stack = connection.attachedTo
      ? `the \`${connection.attachedTo.command}\` stack (pid ${connection.attachedTo.pid}) of ${options.dataDir}`
      : `the emulators this command started for ${options.dataDir}`;
    throw new CliError(
      `${stack} stopped answering while this command was using it (${refused.message || 'connection refused'}). ` +
        'What the command did before is kept; run it again (ingest, edition run and send never do ' +
        'anything twice): with no stack running, it starts its own emulators',
      EXIT.failed,
    );
  } finally {
    await connection.close();
  }
}

/**
 * The size of a file a command reads, once it is sure the file can be read; otherwise a
 * CliError (exit 2) that says what the path is instead: missing, a directory, not a regular
 * file, not readable.
 */
export async function inputFile(path: string): Promise<number> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
    if (info.isFile()) await access(path, constants.R_OK);
  } catch (error) {
    throw new CliError(`${path}: ${fileProblem(error, 'input')}`, EXIT.badInput);
  }
  if (info.isDirectory()) throw new CliError(`${path}: is a directory, not a file`, EXIT.badInput);
  if (!info.isFile()) throw new CliError(`${path}: is not a regular file`, EXIT.badInput);
  return info.size;
}

/**
 * A file system error in words, for a path the operator gave: `input` when it was read (so a
 * missing path is a missing file), `any` when it may have been written (a missing folder too).
 */
export function fileProblem(error: unknown, role: 'input' | 'any' = 'any'): string {
  switch (fileErrorOf(error)?.code) {
    case 'ENOENT':
      return role === 'input' ? 'no such file' : 'no such file or folder';
    case 'ENOTDIR':
      return 'no such file: a part of the path is not a folder';
    case 'EISDIR':
      return 'is a directory, not a file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENAMETOOLONG':
      return 'the name is too long';
    case 'ELOOP':
      return 'too many symbolic links';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}

/** What the CLI says about an error no command described itself: a file error names its path. */
export function describeError(error: unknown): string {
  const fileError = fileErrorOf(error);
  if (fileError) return `${fileError.path}: ${fileProblem(fileError)}`;
  return error instanceof Error ? error.message : String(error);
}

/**
 * The rank function's event for `paperboy edition run`: the day asked for, or the time now,
 * which the function names by the stack's edition time zone (EDITION_TIME_ZONE, `npm start
 * --time-zone`), as it does for the schedule's events; never the UTC day.
 */
export function rankEventFor(date: string | undefined, now: Date): { date: string } | { time: string } {
  return date ? { date } : { time: now.toISOString() };
}

const DAY_NAMES: Record<Weekday, string> = {
  sun: 'Sunday',
  mon: 'Monday',
  tue: 'Tuesday',
  wed: 'Wednesday',
  thu: 'Thursday',
  fri: 'Friday',
  sat: 'Saturday',
};

export interface EditionRunReport {
  /** Made now, kept as made earlier, skipped by the weekday policy, or not made: no papers yet. */
  outcome: 'made' | 'kept' | 'skipped' | 'no-papers';
  /** What happened, for stdout. */
  lines: string[];
  /** Why the run did not do its work, for stderr, with its exit code. */
  failure?: { message: string; exitCode: number };
  /** For --json: what the run decided, beside the rank function's own result. */
  details: Record<string, string>;
}

/**
 * What `paperboy edition run` did, as the operator should read it. A day the weekday policy
 * skips is the policy working (exit 0); a day with no papers yet made nothing the operator asked
 * for (exit 1, with the command that fixes it).
 */
export function describeEditionRun(
  result: RankEditionResult,
  /** The stack's weekday policy; unknown (undefined) when the rank function ran on AWS. */
  policy: SchedulePolicy | undefined,
  mailbox: string,
): EditionRunReport {
  const weekday = weekdayOf(result.date);
  const day = `${result.date} (${DAY_NAMES[weekday]})`;
  if (result.skipped) {
    const rule = policy ? `${weekday}=${policy.days[weekday]}` : `${weekday}, as the stage is configured`;
    return {
      outcome: 'skipped',
      lines: [`edition ${day}: skipped by the weekday policy (${rule}); nothing was ranked or sent`],
      details: { weekday, ...(policy ? { policy: policy.days[weekday] } : {}) },
    };
  }
  if (!result.created && result.entries === 0) {
    return {
      outcome: 'no-papers',
      lines: [],
      failure: {
        message:
          `edition ${day}: not made: no papers published in the week up to that day are stored yet, ` +
          `so nothing was ranked or sent; ingest paper files with: paperboy ingest <file…>, then run this again`,
        exitCode: EXIT.failed,
      },
      details: { weekday },
    };
  }
  return {
    outcome: result.created ? 'made' : 'kept',
    lines: [
      `edition ${day}: ${result.entries} papers from ${result.candidates} candidates` +
        `${result.created ? '' : ' (already made; kept as it was)'}`,
      `dispatched to ${result.subscribers} active subscriber(s) in ${result.jobs} job(s)`,
      `mailbox: ${mailbox}`,
    ],
    details: { weekday },
  };
}
