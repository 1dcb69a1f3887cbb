import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { assertPortFree, PortInUseError } from '../../../functions/local/tcp-ports.ts';

describe('assertPortFree', () => {
  it('names the taken port, its role and the flag that moves it', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const check = assertPortFree('127.0.0.1', port, 'SES emulator and mailbox', '--ses-port');
      await expect(check).rejects.toThrow(PortInUseError);
      await expect(check).rejects.toThrow(
        `port ${port} (SES emulator and mailbox) is already in use on 127.0.0.1`,
      );
      await expect(check).rejects.toThrow('--ses-port <port>');
    } finally {
      server.close();
    }
  });

  it('passes for a port that was just freed', async () => {
    // A real port, probed: port 0 would return before probing anything.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await expect(assertPortFree('127.0.0.1', port, 'API', '--api-port')).resolves.toBeUndefined();
  });
});
