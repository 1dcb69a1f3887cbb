import { createLocalRuntime, type LocalRuntime } from '../local/local-runtime.ts';
import { defaultLocalOptions, startLocalStack } from '../local/stack.ts';
import { claimDataDir, DataDirBusyError, waitForDataDir } from '../local/stack-info.ts';

export interface Connection {
  local: LocalRuntime;
  /** Where the API and mailbox of the stack in use answer. */
  urls: { api: string; mailbox: string };
  bucket: string;
  /** True when this command started the stack itself (it stops it when done). */
  started: boolean;
  /** Waits for this process's background work (ingest events, send jobs) to finish. */
  settle(): Promise<void>;
  /**
   * Lets SES's events for what was sent reach the feedback handler: published here when this
   * command runs the stack; the running `npm start` stack publishes its own every 2 seconds.
   */
  sesEvents(): Promise<void>;
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
 * command holds is waited for, up to `waitMs`, then refused with DataDirBusyError.
 */
export async function connect(
  dataDir: string,
  log: (line: string) => void,
  command: string,
  waitMs = DEFAULT_WAIT_MS,
): Promise<Connection> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const running = await waitForDataDir(dataDir, Math.max(0, deadline - Date.now()), log);
    if (running) {
      const local = await createLocalRuntime(running.urls, running, log);
      return {
        local,
        urls: running.urls,
        bucket: running.bucket,
        started: false,
        settle: () => local.invoker.idle(),
        sesEvents: () => new Promise((resolve) => setTimeout(resolve, SES_EVENTS_EVERY_MS + 500)),
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
        started: true,
        settle: () => stack.idle(),
        sesEvents: async () => {
          await stack.idle();
          await stack.sesEvents.pump();
          await stack.idle();
        },
        close: async () => {
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
