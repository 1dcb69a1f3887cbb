import { unlinkSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as z from 'zod';
import { PaperboyError } from '../core/errors.ts';

/**
 * Who holds a local data folder, and where its emulators listen. Only one process may run the
 * emulators on a data folder (dynalite crashes when a second one opens it), so the holder
 * writes `stack.json` with an exclusive create before starting anything, updates it as it goes
 * (`starting` → `running`) and removes it when it stops. Other processes read it to find the
 * stack, wait for it, or say clearly who holds the folder.
 */
const StackInfoSchema = z.object({
  pid: z.number().int().positive(),
  /** `npm start` serves until stopped; a CLI command holds the folder only while it runs. */
  role: z.enum(['npm-start', 'cli']),
  state: z.enum(['starting', 'running']),
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
    super(
      `${holder.dataDir} is in use by \`${holder.command}\` (pid ${holder.pid}, since ${holder.startedAt})` +
        (holder.role === 'npm-start'
          ? ': stop it (Ctrl-C), or pass --data-dir to use another folder'
          : ': try again when it finishes'),
    );
  }
}

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
  info: Omit<StackInfo, 'pid' | 'state' | 'startedAt' | 'urls'>,
): Promise<DataDirClaim> {
  await mkdir(info.dataDir, { recursive: true });
  const path = join(info.dataDir, FILE);
  const mine: StackInfo = {
    ...info,
    pid: process.pid,
    state: 'starting',
    startedAt: new Date().toISOString(),
  };
  for (let attempt = 0; ; attempt += 1) {
    try {
      await writeFile(path, JSON.stringify(mine, null, 2), { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
      const holder = await readStackInfo(info.dataDir);
      if (holder) throw new DataDirBusyError(holder);
      // Left by a process that is gone: take it over.
      await rm(path, { force: true });
    }
  }
  let current = mine;
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
    async update(change) {
      current = { ...current, ...change };
      const partial = `${path}.${process.pid}`;
      await writeFile(partial, JSON.stringify(current, null, 2));
      await rename(partial, path);
    },
    async release() {
      process.off('exit', dropOnExit);
      const holder = await readStackInfo(info.dataDir);
      if (holder?.pid === process.pid) await rm(path, { force: true });
    },
  };
}

/** The holder of a data folder, if it is a live process; undefined when the folder is free. */
export async function readStackInfo(dataDir: string): Promise<StackInfo | undefined> {
  let info: StackInfo;
  try {
    info = StackInfoSchema.parse(JSON.parse(await readFile(join(dataDir, FILE), 'utf8')));
  } catch {
    return undefined;
  }
  return isAlive(info.pid) ? info : undefined;
}

/** The `npm start` stack of this data folder when its servers answer; undefined otherwise. */
export async function findRunningStack(dataDir: string): Promise<RunningStack | undefined> {
  const info = await readStackInfo(dataDir);
  if (info?.role !== 'npm-start' || !info.urls) return undefined;
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
 * answer (which other processes may then use), for at most `timeoutMs`. Says once what it is
 * waiting for. Throws DataDirBusyError when the holder is still busy at the deadline.
 */
export async function waitForDataDir(
  dataDir: string,
  timeoutMs: number,
  log: (line: string) => void,
): Promise<RunningStack | undefined> {
  const deadline = Date.now() + timeoutMs;
  let said = false;
  for (;;) {
    const holder = await readStackInfo(dataDir);
    if (!holder) return undefined;
    const running = holder.role === 'npm-start' ? await findRunningStack(dataDir) : undefined;
    if (running) return running;
    if (Date.now() >= deadline) throw new DataDirBusyError(holder);
    if (!said) {
      log(
        `waiting for \`${holder.command}\` (pid ${holder.pid}) to ${holder.role === 'npm-start' ? 'start' : 'finish'} with ${dataDir}…`,
      );
      said = true;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Writes the file of a stack this process did not start itself (tests that run a stack in-process). */
export async function writeStackInfo(
  info: Omit<StackInfo, 'startedAt'> & { startedAt?: string },
): Promise<void> {
  await mkdir(info.dataDir, { recursive: true });
  await writeFile(
    join(info.dataDir, FILE),
    JSON.stringify({ startedAt: new Date().toISOString(), ...info }, null, 2),
  );
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, owned by someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
