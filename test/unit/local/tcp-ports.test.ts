import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultLocalOptions, startLocalStack } from '../../../functions/local/stack.ts';
import { assertDistinctPorts, assertPortFree, PortInUseError } from '../../../functions/local/tcp-ports.ts';

/** A port that was free a moment ago. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

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

describe('two servers given one port', () => {
  it('names both options and the port, and lets port 0 repeat', () => {
    expect(() =>
      assertDistinctPorts([
        { port: 3300, role: 'API and pages', flag: '--api-port' },
        { port: 0, role: 'S3 emulator', flag: '--s3-port' },
        { port: 3300, role: 'DynamoDB emulator', flag: '--dynamodb-port' },
        { port: 0, role: 'SES emulator and mailbox', flag: '--ses-port' },
      ]),
    ).toThrow(
      '--api-port (API and pages) and --dynamodb-port (DynamoDB emulator) are both 3300: each server needs a port of its own',
    );
  });

  it('makes the stack refuse to start before any server listens or any folder is made', async () => {
    const port = await freePort();
    const parent = await mkdtemp(join(tmpdir(), 'paperboy-ports-'));
    const dataDir = join(parent, 'data');
    try {
      const start = startLocalStack({
        ...defaultLocalOptions,
        dataDir,
        persist: false,
        ports: { api: port, dynamodb: port, s3: 0, ses: 0 },
      });
      await expect(start).rejects.toThrow(PortInUseError);
      await expect(start).rejects.toThrow(
        `--dynamodb-port (DynamoDB emulator) and --api-port (API and pages) are both ${port}`,
      );
      await expect(start).rejects.not.toThrow(/EADDRINUSE/u);
      expect(existsSync(dataDir)).toBe(false);
      await expect(assertPortFree('127.0.0.1', port, 'API', '--api-port')).resolves.toBeUndefined();
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });
});
