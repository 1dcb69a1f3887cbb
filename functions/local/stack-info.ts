import { randomUUID } from 'node:crypto';
import { unlinkSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import * as z from 'zod';
import { PaperboyError } from '../core/errors.ts';

/**
 * Who holds a local data folder, and where its emulators listen. Only one process may run the
 * emulators on a data folder (dynalite crashes when a second one opens it), so the holder
 * writes `stack.json` with an exclusive create before starting anything, updates it as it goes
 * (`starting` → `running` → `stopping`) and removes it when it stops. Other processes read it
 * to find the stack, wait for it, or say clearly who holds the folder.
 *
 * A pid alone does not say that the holder still runs: after a crash, or a container restart,
 * the same pid can belong to another process, even to the one reading the file. So the file
 * also records the holder's start time as the kernel knows it (`pidStart`) and a random token
 * of the claim (`instance`), and the holder counts as alive only when both still fit.
 */
const StackInfoSchema = z.object({
  pid: z.number().int().positive(),
  /**
   * The process behind `pid` when the file was written: the boot it ran in and its start time
   * (Linux `/proc`). A live pid that started at another time is another process. Absent where
   * there is no `/proc`, and in files written before it was recorded: the pid is then all there
   * is to go on.
   */
  pidStart: z.string().optional(),
  /** A random token of this claim: the process that wrote it knows it, no other does. */
  instance: z.string().optional(),
  /** `npm start` serves until stopped; a CLI command holds the folder only while it runs. */
  role: z.enum(['npm-start', 'cli']),
  /** `stopping`: the holder is about to close its servers; nobody may start using it any more. */
  state: z.enum(['starting', 'running', 'stopping']),
  /** What holds the folder, for messages: `npm start`, `paperboy ingest`. */
  command: z.string(),
  startedAt: z.string(),
  urls: z.object({ api: z.url(), dynamodb: z.url(), s3: z.url(), ses: z.url(), mailbox: z.url() }).optional(),
  dataDir: z.string(),
  tableName: z.string(),
  bucket: z.string(),
  sender: z.string(),
  timeZone: z.string(),
});
export type StackInfo = z.infer<typeof StackInfoSchema>;
export type RunningStack = StackInfo & { urls: NonNullable<StackInfo['urls']> };

const FILE = 'stack.json';

/** Where `npm start` and the CLI keep local data unless told otherwise. */
export const DEFAULT_DATA_DIR = '.local-data';

/** The data folder is held by another live process. */
export class DataDirBusyError extends PaperboyError {
  override name = 'DataDirBusyError';
  constructor(readonly holder: StackInfo) {
    const what = holder.state === 'stopping' ? ', which is stopping' : '';
    super(
      `${holder.dataDir} is in use by \`${holder.command}\` (pid ${holder.pid}, since ${holder.startedAt}${what})` +
        (holder.role === 'npm-start' && holder.state !== 'stopping'
          ? ': stop it (Ctrl-C), or pass --data-dir to use another folder'
          : ': try again when it finishes, or pass --data-dir to use another folder') +
        `. If pid ${holder.pid} is not that command (it ended and its file stayed), the file is stale: ` +
        `delete ${join(holder.dataDir, FILE)} and run this again`,
    );
  }
}

/** The tokens of the claims this process made: a file with our pid and another token is not ours. */
const ownInstances = new Set<string>();

/** This process's hold on a data folder. */
export interface DataDirClaim {
  info: StackInfo;
  update(change: Partial<Pick<StackInfo, 'state' | 'urls'>>): Promise<void>;
  release(): Promise<void>;
}

/**
 * Claims a data folder for this process, or throws DataDirBusyError naming the live holder. A
 * file left by a process that died is taken over. The claim is dropped when the process exits,
 * however it exits.
 */
export async function claimDataDir(
  info: Omit<StackInfo, 'pid' | 'pidStart' | 'instance' | 'state' | 'startedAt' | 'urls'>,
): Promise<DataDirClaim> {
  await mkdir(info.dataDir, { recursive: true });
  const path = join(info.dataDir, FILE);
  const pidStart = await processIdentity(process.pid);
  const instance = randomUUID();
  const mine: StackInfo = {
    ...info,
    pid: process.pid,
    ...(pidStart ? { pidStart } : {}),
    instance,
    state: 'starting',
    startedAt: new Date().toISOString(),
  };
  // Known before the file exists: this process must see its own claim as alive.
  ownInstances.add(instance);
  for (let attempt = 0; ; attempt += 1) {
    try {
      await writeFile(path, JSON.stringify(mine, null, 2), { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) {
        ownInstances.delete(instance);
        throw error;
      }
      const holder = await readStackInfo(info.dataDir);
      if (holder) {
        ownInstances.delete(instance);
        throw new DataDirBusyError(holder);
      }
      // Left by a process that is gone (or whose pid another process now has): take it over.
      await rm(path, { force: true });
    }
  }
  let current = mine;
  let writes: Promise<void> = Promise.resolve();
  const dropOnExit = () => {
    try {
      unlinkSync(path);
    } catch {
      // already gone
    }
  };
  process.once('exit', dropOnExit);
  return {
    get info() {
      return current;
    },
    update(change) {
      current = { ...current, ...change };
      const next = { ...current };
      // In call order, whatever awaits between them: `stopping` is never overwritten by an earlier `running`.
      writes = writes
        .catch(() => {})
        .then(async () => {
          const partial = `${path}.${process.pid}`;
          await writeFile(partial, JSON.stringify(next, null, 2));
          await rename(partial, path);
        });
      return writes;
    },
    async release() {
      process.off('exit', dropOnExit);
      await writes.catch(() => {});
      const holder = await readStackFile(info.dataDir);
      if (holder?.instance === instance) await rm(path, { force: true });
      ownInstances.delete(instance);
    },
  };
}

/** The holder of a data folder, if it is a live process; undefined when the folder is free. */
export async function readStackInfo(dataDir: string): Promise<StackInfo | undefined> {
  const info = await readStackFile(dataDir);
  return info && (await isHolderAlive(info)) ? info : undefined;
}

/** What `stack.json` says, alive or not; undefined when there is none (or it is unreadable). */
async function readStackFile(dataDir: string): Promise<StackInfo | undefined> {
  try {
    return StackInfoSchema.parse(JSON.parse(await readFile(join(dataDir, FILE), 'utf8')));
  } catch {
    return undefined;
  }
}

/**
 * Whether the process that wrote `info` still runs. Its pid must answer a signal and, where
 * the file recorded it, have the same start time as then; a file with this process's own pid is
 * ours only if this process made that claim (a restarted container gives the same pid again).
 * A file without a start time (written by hand, or by an older version) is believed while its
 * pid runs Node.js, the only thing that writes it.
 */
export async function isHolderAlive(
  info: Pick<StackInfo, 'pid' | 'pidStart' | 'instance'>,
): Promise<boolean> {
  if (info.pid === process.pid) return info.instance !== undefined && ownInstances.has(info.instance);
  if (!answersSignals(info.pid)) return false;
  if (info.pidStart) {
    const now = await processIdentity(info.pid);
    return now === undefined || now === info.pidStart;
  }
  const program = await programOf(info.pid);
  return program === undefined || /^node/u.test(basename(program));
}

/**
 * Who `pid` is: the boot it runs in and its start time in clock ticks since that boot (field 22
 * of `/proc/<pid>/stat`). A pid reused by a later process has a later start time. Undefined
 * without `/proc`, or when the process is gone.
 */
export async function processIdentity(pid: number): Promise<string | undefined> {
  try {
    const [stat, boot] = await Promise.all([
      readFile(`/proc/${pid}/stat`, 'utf8'),
      readFile('/proc/sys/kernel/random/boot_id', 'utf8'),
    ]);
    // The command name (field 2) is in parentheses and may hold spaces: count from after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const startTicks = fields[22 - 3];
    return startTicks && /^\d+$/u.test(startTicks) ? `${boot.trim()}/${startTicks}` : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The program `pid` runs (the first word of `/proc/<pid>/cmdline`; empty for a zombie or a kernel
 * thread); undefined without `/proc`.
 */
async function programOf(pid: number): Promise<string | undefined> {
  try {
    return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0')[0] ?? '';
  } catch {
    return undefined;
  }
}

/** The `npm start` stack of this data folder when its servers answer and it is not stopping; undefined otherwise. */
export async function findRunningStack(dataDir: string): Promise<RunningStack | undefined> {
  const info = await readStackInfo(dataDir);
  if (info?.role !== 'npm-start' || !info.urls || info.state === 'stopping') return undefined;
  try {
    const health = await fetch(new URL('/health-check', info.urls.ses), {
      signal: AbortSignal.timeout(2000),
    });
    return health.ok ? (info as RunningStack) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Waits until the data folder is either free or held by an `npm start` stack whose servers
 * answer and that is not stopping (which other processes may then use), for at most
 * `timeoutMs`. Says what it is waiting for, once for each thing. Throws DataDirBusyError when
 * the holder is still busy at the deadline.
 */
export async function waitForDataDir(
  dataDir: string,
  timeoutMs: number,
  log: (line: string) => void,
): Promise<RunningStack | undefined> {
  const deadline = Date.now() + timeoutMs;
  let said = '';
  for (;;) {
    const holder = await readStackInfo(dataDir);
    if (!holder) return undefined;
    const running = holder.role === 'npm-start' ? await findRunningStack(dataDir) : undefined;
    if (running) return running;
    if (Date.now() >= deadline) throw new DataDirBusyError(holder);
    // A stopping stack is never used: it is waited for until it is gone.
    const until = holder.state === 'stopping' ? 'stop' : holder.role === 'npm-start' ? 'start' : 'finish';
    const line = `waiting for \`${holder.command}\` (pid ${holder.pid}) to ${until} with ${dataDir}…`;
    if (line !== said) {
      log(line);
      said = line;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * Writes the file of a stack this process did not start itself (tests that run a stack
 * in-process, or that leave a stale file). The start time of `pid` is recorded as it is now,
 * unless given; a file with this process's pid is ours unless it names another instance.
 */
export async function writeStackInfo(
  info: Omit<StackInfo, 'startedAt' | 'pidStart' | 'instance'> &
    Partial<Pick<StackInfo, 'startedAt' | 'pidStart' | 'instance'>>,
): Promise<void> {
  const pidStart = info.pidStart ?? (await processIdentity(info.pid));
  const instance = info.instance ?? randomUUID();
  if (info.pid === process.pid && info.instance === undefined) ownInstances.add(instance);
  await mkdir(info.dataDir, { recursive: true });
  await writeFile(
    join(info.dataDir, FILE),
    JSON.stringify(
      { startedAt: new Date().toISOString(), ...info, ...(pidStart ? { pidStart } : {}), instance },
      null,
      2,
    ),
  );
}

function answersSignals(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, owned by someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
