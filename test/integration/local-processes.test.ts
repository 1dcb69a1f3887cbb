import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeStackInfo } from '../../functions/local/stack-info.ts';
import { FREE_PORTS, npmStart, paperboy, writeAtomFeed } from './processes.ts';

/**
 * `npm start` and `npx paperboy` as processes, as an operator runs them: stale files, signals,
 * a command started while a stack stops, ports.
 */
let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'paperboy-processes-'));
});
afterAll(() => rm(scratch, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('npm start, given one port for two servers', () => {
  it('names both options and exits 2 before it starts anything', async () => {
    const port = await freePort();
    const dataDir = join(scratch, 'same-port');
    const start = npmStart(
      '--once',
      '--data-dir',
      dataDir,
      '--api-port',
      String(port),
      '--dynamodb-port',
      String(port),
    );
    const { code } = await start.exited;
    expect(code).toBe(2);
    expect(start.stderr).toContain(
      `paperboy: --api-port (API and pages) and --dynamodb-port (DynamoDB emulator) are both ${port}`,
    );
    expect(start.stderr).not.toContain('EADDRINUSE');
    expect(existsSync(dataDir)).toBe(false);
  }, 30_000);
});

describe('a stack.json whose pid now belongs to another process', () => {
  let sleeper: ChildProcess;
  beforeAll(async () => {
    sleeper = spawn('sleep', ['1000'], { stdio: 'ignore' });
    await once(sleeper, 'spawn');
  });
  afterAll(() => {
    sleeper.kill();
  });

  /** What a stack that died left behind, its pid since taken by `sleep 1000`. */
  const stale = (dataDir: string, fields: Record<string, unknown> = {}) =>
    writeFile(
      join(dataDir, 'stack.json'),
      JSON.stringify({
        pid: sleeper.pid,
        role: 'npm-start',
        state: 'running',
        command: 'npm start',
        startedAt: '2026-11-27T16:10:00.000Z',
        urls: {
          api: 'http://127.0.0.1:1/',
          dynamodb: 'http://127.0.0.1:1',
          s3: 'http://127.0.0.1:1',
          ses: 'http://127.0.0.1:1',
          mailbox: 'http://127.0.0.1:1/',
        },
        dataDir,
        tableName: 'paperboy',
        bucket: 'paperboy-ingest',
        sender: 'papers@paperboy.local',
        timeZone: 'UTC',
        ...fields,
      }),
    );

  it.runIf(process.platform === 'linux')(
    'locks nothing: npm start runs, and commands neither wait nor call the folder held',
    async () => {
      const dataDir = join(scratch, 'stale');
      await mkdir(dataDir, { recursive: true });
      // Written by hand (or by an older version): a pid and nothing else to go on.
      await stale(dataDir);
      const stack = paperboy('stack', '--data-dir', dataDir);
      expect((await stack.exited).code).toBe(1);
      expect(stack.stdout).toContain(`no stack is running for ${dataDir}`);

      const start = npmStart('--once', '--data-dir', dataDir, ...FREE_PORTS);
      expect((await start.exited).code, start.stderr).toBe(0);
      expect(start.stdout).toContain('edition 2026-11-26:');
      expect(existsSync(join(dataDir, 'stack.json'))).toBe(false);

      // Written by a stack whose pid `sleep` got after it died: another start time.
      await stale(dataDir, { pidStart: 'an-earlier-boot/12345', instance: 'gone' });
      const show = paperboy('edition', 'show', '2026-11-26', '--data-dir', dataDir);
      const { code, ms } = await show.exited;
      expect(code, show.stderr).toBe(0);
      expect(show.stdout).toContain('edition 2026-11-26');
      expect(show.stderr).not.toContain('waiting for');
      expect(ms).toBeLessThan(20_000);
    },
    90_000,
  );
});

describe('stopping npm start', () => {
  it('says at once what it waits for; a second Ctrl-C stops now; a command meanwhile waits, then runs on its own', async () => {
    const dataDir = join(scratch, 'stopping');
    const feed = join(scratch, 'stopping-feed.xml');
    await writeAtomFeed(feed, 10_000);
    const server = npmStart('--data-dir', dataDir, ...FREE_PORTS);
    try {
      await server.waitFor('stdout', 'serving;', 60_000);
      const { urls, bucket } = JSON.parse(await readFile(join(dataDir, 'stack.json'), 'utf8'));
      const s3 = new S3Client({
        endpoint: urls.s3,
        forcePathStyle: true,
        region: 'us-east-1',
        credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
        requestChecksumCalculation: 'WHEN_REQUIRED',
      });
      const key = 'incoming/stopping-feed.xml';
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: await readFile(feed) }));
      s3.destroy();
      await sleep(1_000); // the ingest is under way: it takes tens of seconds

      let signalled = Date.now();
      server.child.kill('SIGINT');
      await server.waitFor(
        'stderr',
        'paperboy: stopping: waiting for the ingest of incoming/stopping-feed.xml',
        3_000,
      );
      expect(Date.now() - signalled).toBeLessThan(3_000);
      expect(server.stderr).toContain('to finish, at most 30 s (Ctrl-C again to stop now)');
      expect(JSON.parse(await readFile(join(dataDir, 'stack.json'), 'utf8'))).toMatchObject({
        state: 'stopping',
      });

      // A command started now does not attach to servers about to close: it waits for the stack to go.
      const show = paperboy('edition', 'show', '2026-11-26', '--data-dir', dataDir);
      await show.waitFor('stderr', /waiting for `npm start` \(pid \d+\) to stop with/u, 15_000);

      signalled = Date.now();
      server.child.kill('SIGINT');
      const { code } = await server.exited;
      expect(code).toBe(0);
      expect(Date.now() - signalled).toBeLessThan(3_000 + 3_000);
      expect(server.stderr).toContain(
        'paperboy: stopping now: the ingest of incoming/stopping-feed.xml stops at its next check: the papers read so far stay stored',
      );
      expect(server.stderr).toContain('which is safe: ingestion is idempotent');
      expect(server.stderr).toContain('npx paperboy deliveries resolve');
      // Nothing half-done: the file was quarantined with its report; the folder is free.
      const bucketDir = join(dataDir, 's3', bucket);
      expect(existsSync(join(bucketDir, `quarantine/${key}._S3rver_object`))).toBe(true);
      expect(existsSync(join(bucketDir, `${key}._S3rver_object`))).toBe(false);
      // npm start's claim is gone: the file is absent, or already the waiting command's own.
      const file = await readFile(join(dataDir, 'stack.json'), 'utf8').catch(() => undefined);
      const holder = file === undefined ? undefined : JSON.parse(file).pid;
      expect(holder).not.toBe(server.child.pid);

      // The command then runs on emulators of its own, with the data the stack left.
      const shown = await show.exited;
      expect(shown.code, show.stderr).toBe(0);
      expect(show.stderr).toContain('starting the local emulators for this command');
      expect(show.stdout).toContain('edition 2026-11-26');
    } finally {
      server.child.kill('SIGKILL');
    }
  }, 120_000);
});

describe('a command and a stack that stops as the command attaches', () => {
  /**
   * A stack as a command sees it in the moment it stops: its file says `running` and its health
   * check answers, but DynamoDB refuses connections. The holder is this (live) test process.
   */
  async function closingStack(dataDir: string): Promise<{ healthChecks(): number; close(): Promise<void> }> {
    let checks = 0;
    const health = createHttpServer((_req, res) => {
      checks += 1;
      res.end('ok');
    });
    await new Promise<void>((resolve) => health.listen(0, '127.0.0.1', resolve));
    const ses = `http://127.0.0.1:${(health.address() as { port: number }).port}`;
    const refused = `http://127.0.0.1:${await freePort()}`;
    await writeStackInfo({
      pid: process.pid,
      role: 'npm-start',
      state: 'running',
      command: 'npm start',
      urls: { api: `${refused}/`, dynamodb: refused, s3: refused, ses, mailbox: `${ses}/` },
      dataDir,
      tableName: 'paperboy',
      bucket: 'paperboy-ingest',
      sender: 'papers@paperboy.local',
      timeZone: 'UTC',
    });
    return {
      healthChecks: () => checks,
      close: () => new Promise((resolve) => health.close(() => resolve())),
    };
  }

  it('waits for a stack that marks itself stopping, then starts its own emulators', async () => {
    const dataDir = join(scratch, 'closing');
    const stack = await closingStack(dataDir);
    try {
      const show = paperboy('edition', 'show', '2026-11-26', '--data-dir', dataDir);
      // Refused once, it looks at the folder again: a second health check.
      for (let i = 0; i < 200 && stack.healthChecks() < 2; i += 1) await sleep(50);
      expect(stack.healthChecks()).toBeGreaterThanOrEqual(2);
      const info = JSON.parse(await readFile(join(dataDir, 'stack.json'), 'utf8'));
      // As the stack writes it: whole, in one rename.
      await writeFile(join(dataDir, 'stack.json.next'), JSON.stringify({ ...info, state: 'stopping' }));
      await rename(join(dataDir, 'stack.json.next'), join(dataDir, 'stack.json'));
      await show.waitFor('stderr', /waiting for `npm start` \(pid \d+\) to stop with/u, 10_000);
      await rm(join(dataDir, 'stack.json'));
      const { code } = await show.exited;
      expect(show.stderr).toContain('starting the local emulators for this command');
      // Its own, empty emulators: the edition is not there, and it says so (not ECONNREFUSED).
      expect(code).toBe(1);
      expect(show.stderr).toContain('there is no edition for 2026-11-26');
      expect(show.stderr).not.toContain('ECONNREFUSED');
    } finally {
      await stack.close();
    }
  }, 60_000);

  it('says which stack refuses it, and what to do, when the stack goes on refusing', async () => {
    const dataDir = join(scratch, 'refusing');
    const stack = await closingStack(dataDir);
    try {
      const show = paperboy('edition', 'show', '2026-11-26', '--data-dir', dataDir);
      const { code, ms } = await show.exited;
      expect(code).toBe(1);
      expect(show.stderr).toMatch(
        /paperboy: the `npm start` stack \(pid \d+\) of \S+ refused this command's connection \(connect ECONNREFUSED 127\.0\.0\.1:\d+\): it may be stopping, or one of its servers is down; run the command again, or restart that stack/u,
      );
      expect(ms).toBeLessThan(20_000);
    } finally {
      await stack.close();
    }
  }, 60_000);
});
