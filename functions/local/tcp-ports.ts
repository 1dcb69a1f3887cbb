import { createServer } from 'node:net';
import { PaperboyError } from '../core/errors.ts';

export class PortInUseError extends PaperboyError {
  override name = 'PortInUseError';
}

/** A server of the local stack, for messages: what it is and the option that moves it. */
export interface PortUse {
  port: number;
  role: string;
  flag: string;
}

/** The message for a port something else holds: the port, its role and the flag that moves it. */
export function portInUse(host: string, use: PortUse, options?: { cause?: unknown }): PortInUseError {
  return new PortInUseError(
    `port ${use.port} (${use.role}) is already in use on ${host}: stop what uses it, or pass ${use.flag} <port>`,
    options,
  );
}

/**
 * Fails, before any server starts, when two servers are given the same port: each one is free
 * on its own, so probing them one by one passes, and the second server would fail later with a
 * raw EADDRINUSE. Port 0 (a free port each) never clashes.
 */
export function assertDistinctPorts(uses: readonly PortUse[]): void {
  const byPort = new Map<number, PortUse>();
  for (const use of uses) {
    if (use.port === 0) continue;
    const first = byPort.get(use.port);
    if (first) {
      throw new PortInUseError(
        `${first.flag} (${first.role}) and ${use.flag} (${use.role}) are both ${use.port}: ` +
          'each server needs a port of its own; give one of them another port',
      );
    }
    byPort.set(use.port, use);
  }
}

/**
 * Fails with a message naming the port, its role and the flag that moves it, before any server
 * starts (the emulators themselves report a taken port as an unhandled 'error' event).
 */
export async function assertPortFree(host: string, port: number, role: string, flag: string): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'EADDRINUSE' ? portInUse(host, { port, role, flag }, { cause: error }) : error);
    });
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}
