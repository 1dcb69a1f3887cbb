import { createServer } from 'node:net';
import { PaperboyError } from '../core/errors.ts';

export class PortInUseError extends PaperboyError {
  override name = 'PortInUseError';
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
      reject(
        error.code === 'EADDRINUSE'
          ? new PortInUseError(
              `port ${port} (${role}) is already in use on ${host}: stop what uses it, or pass ${flag} <port>`,
            )
          : error,
      );
    });
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}
