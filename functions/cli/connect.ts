import { PaperboyError } from '../core/errors.ts';
import { createLocalRuntime, type LocalRuntime } from '../local/local-runtime.ts';
import { defaultLocalOptions, type InFlight, startLocalStack } from '../local/stack.ts';
import {
  claimDataDir,
  DataDirBusyError,
  type RunningStack,
  readStackInfo,
  waitForDataDir,
} from '../local/stack-info.ts';

export interface Connection {
  local: LocalRuntime;
  /** Where the API and mailbox of the stack in use answer. */
  urls: { api: string; mailbox: string };
  bucket: string;
  /** The stack's table and data folder (its token key and dead letters live there). */
  tableName: string;
  dataDir: string;
  /** Set when the command works on a deployed stage (`--aws`), not on the local stack. */
  remote?: { label: string; stage: string };
  /** True when this command started the stack itself (it stops it when done). */
  started: boolean;
  /** The `npm start` process this command uses, when it did not start the stack itself. */
  attachedTo?: Pick<RunningStack, 'pid' | 'command' | 'dataDir'>;
  /** Waits for this process's background work (ingest events, send jobs) to finish. */
  settle(): Promise<void>;
  /**
   * Lets SES's events for what was sent reach the feedback handler: published here when this
   * command runs the stack; the running `npm start` stack publishes its own every 2 seconds.
   */
  sesEvents(): Promise<void>;
  /**
   * Stops the work this process runs, within `graceMs`: when it started the stack, its ingests
   * stop at their next check and are quarantined with their report, as at Lambda's time limit
   * (see LocalStack.cancelIngests), and what is in flight is given up to `graceMs` to end.
   * Resolves to what was still running then. Work an `npm start` stack does for this command
   * runs in that process and cannot be stopped from here: `undefined`.
   */
  stopWork(graceMs: number): Promise<InFlight | undefined>;
  close(): Promise<void>;
}

/** How often a running stack publishes SES's events (functions/local/start.ts). */
const SES_EVENTS_EVERY_MS = 2000;

/** How long a command waits for a data folder another process is starting or using. */
export const DEFAULT_WAIT_MS = 60_000;

/**
 * Talks to the `npm start` stack of this data folder when there is one (waiting while it starts);
 * otherwise claims the folder and starts the emulators in this process for the length of the
 * command (the same data folder, so what it does is there the next time). A folder another
 * command holds, or a stack that is stopping, is waited for, up to `waitMs`, then refused with
 * DataDirBusyError. A stack that stops between the look and the first request is waited for in
 * the same way.
 */
export async function connect(
  dataDir: string,
  log: (line: string) => void,
  command: string,
  waitMs = DEFAULT_WAIT_MS,
): Promise<Connection> {
  const deadline = Date.now() + waitMs;
  let refusals = 0;
  for (;;) {
    const running = await waitForDataDir(dataDir, Math.max(0, deadline - Date.now()), log);
    if (running) {
      let local: LocalRuntime;
      try {
        local = await createLocalRuntime(running.urls, running, log);
      } catch (error) {
        const refused = refusedConnection(error);
        if (!refused) throw error;
        // It answered, then refused: it is stopping (wait for it to go, as for any stopping
        // stack), or one of its servers is down while the stack still says it runs.
        const now = await readStackInfo(dataDir);
        const unchanged = now !== undefined && now.instance === running.instance && now.state !== 'stopping';
        refusals += unchanged ? 1 : 0;
        if (Date.now() >= deadline || refusals >= 3) throw new StackUnreachableError(running, refused);
        await new Promise((resolve) => setTimeout(resolve, 250 * (refusals + 1)));
        continue;
      }
      return {
        local,
        urls: running.urls,
        bucket: running.bucket,
        tableName: running.tableName,
        dataDir,
        started: false,
        attachedTo: { pid: running.pid, command: running.command, dataDir: running.dataDir },
        settle: () => local.invoker.idle(),
        sesEvents: () => new Promise((resolve) => setTimeout(resolve, SES_EVENTS_EVERY_MS + 500)),
        stopWork: async () => undefined,
        close: async () => {},
      };
    }
    let claim: Awaited<ReturnType<typeof claimDataDir>>;
    try {
      const { tableName, bucket, sender, timeZone } = defaultLocalOptions;
      claim = await claimDataDir({ role: 'cli', command, dataDir, tableName, bucket, sender, timeZone });
    } catch (error) {
      // Another process took the folder between our look and our claim: wait for it again.
      if (error instanceof DataDirBusyError && Date.now() < deadline) continue;
      throw error;
    }
    log(`no running stack for ${dataDir}; starting the local emulators for this command`);
    try {
      const stack = await startLocalStack({
        ...defaultLocalOptions,
        dataDir,
        // Free ports, so a command never collides with anything else on the machine.
        ports: { api: 0, dynamodb: 0, s3: 0, ses: 0 },
        log,
      });
      await claim.update({ urls: stack.urls, state: 'running' });
      return {
        local: stack.local,
        urls: stack.urls,
        bucket: stack.options.bucket,
        tableName: stack.options.tableName,
        dataDir,
        started: true,
        settle: () => stack.idle(),
        sesEvents: async () => {
          await stack.idle();
          await stack.sesEvents.pump();
          await stack.idle();
        },
        stopWork: async (graceMs) => {
          stack.cancelIngests();
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([
            stack.idle(),
            new Promise((resolve) => {
              timer = setTimeout(resolve, graceMs);
            }),
          ]);
          clearTimeout(timer);
          return stack.inFlight();
        },
        close: async () => {
          await claim.update({ state: 'stopping' }).catch(() => {});
          await stack.stop();
          await claim.release();
        },
      };
    } catch (error) {
      await claim.release();
      throw error;
    }
  }
}

/** The `npm start` stack answers its health check, yet refuses the connections a command needs. */
export class StackUnreachableError extends PaperboyError {
  override name = 'StackUnreachableError';
  constructor(stack: Pick<RunningStack, 'pid' | 'command' | 'dataDir'>, refused: Error) {
    super(
      `the \`${stack.command}\` stack (pid ${stack.pid}) of ${stack.dataDir} refused this command's ` +
        `connection (${refused.message || 'connection refused'}): it may be stopping, or one of its servers ` +
        'is down; run the command again, or restart that stack',
      { cause: refused },
    );
  }
}

/**
 * The refused TCP connection behind an error (itself or one of its causes), if that is what it
 * is: the SDK passes Node's own error on, `fetch` wraps it as its cause, and Node's happy
 * eyeballs group them.
 */
export function refusedConnection(error: unknown, depth = 0): Error | undefined {
  if (!(error instanceof Error) || depth > 5) return undefined;
  if ((error as NodeJS.ErrnoException).code === 'ECONNREFUSED') {
    // An AggregateError carries the code but no message of its own.
    const first = error instanceof AggregateError ? refusedConnection(error.errors[0], depth + 1) : undefined;
    return error.message ? error : (first ?? error);
  }
  if (error instanceof AggregateError) {
    for (const inner of error.errors) {
      const found = refusedConnection(inner, depth + 1);
      if (found) return found;
    }
  }
  return refusedConnection(error.cause, depth + 1);
}
