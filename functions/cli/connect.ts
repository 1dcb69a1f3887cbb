import { createLocalRuntime, type LocalRuntime } from '../local/local-runtime.ts';
import { defaultLocalOptions, startLocalStack } from '../local/stack.ts';
import { findRunningStack } from '../local/stack-info.ts';

export interface Connection {
  local: LocalRuntime;
  /** Where the API and mailbox of the stack in use answer. */
  urls: { api: string; mailbox: string };
  bucket: string;
  /** True when this command started the stack itself (it stops it when done). */
  started: boolean;
  /** Waits for this process's background work (ingest events, send jobs) to finish. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Talks to the `npm start` stack when one runs on this data folder; otherwise starts the
 * emulators in this process for the length of the command (same data folder, so what it does
 * is there the next time).
 */
export async function connect(
  dataDir = defaultLocalOptions.dataDir,
  log: (line: string) => void,
): Promise<Connection> {
  const running = await findRunningStack(dataDir);
  if (running) {
    const local = await createLocalRuntime(running.urls, running, log);
    return {
      local,
      urls: running.urls,
      bucket: running.bucket,
      started: false,
      settle: () => local.invoker.idle(),
      close: async () => {},
    };
  }
  log(`no running stack for ${dataDir}; starting the local emulators for this command`);
  const stack = await startLocalStack({
    ...defaultLocalOptions,
    dataDir,
    // Free ports, so a command never collides with anything else on the machine.
    ports: { api: 0, dynamodb: 0, s3: 0, ses: 0 },
    log,
  });
  return {
    local: stack.local,
    urls: stack.urls,
    bucket: stack.options.bucket,
    started: true,
    settle: () => stack.idle(),
    close: () => stack.stop(),
  };
}
