import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  claimDataDir,
  DataDirBusyError,
  findRunningStack,
  processIdentity,
  readStackInfo,
  waitForDataDir,
  writeStackInfo,
} from '../../../functions/local/stack-info.ts';

const FOLDER = { tableName: 't', bucket: 'b', sender: 's@example.org', timeZone: 'UTC' };
const linux = process.platform === 'linux';

let dir: string;
let sleeper: ChildProcess;
beforeAll(async () => {
  // An unrelated process: what a recorded pid can belong to after its holder died.
  sleeper = spawn('sleep', ['1000'], { stdio: 'ignore' });
  await once(sleeper, 'spawn');
});
afterAll(() => {
  sleeper.kill();
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'paperboy-stack-info-'));
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

/** A stack.json as an earlier `npm start` left it, naming `pid`. */
async function leftBehind(fields: Record<string, unknown>): Promise<void> {
  await writeFile(
    join(dir, 'stack.json'),
    JSON.stringify({
      role: 'npm-start',
      state: 'running',
      command: 'npm start',
      startedAt: '2026-11-27T16:10:00.000Z',
      dataDir: dir,
      ...FOLDER,
      ...fields,
    }),
  );
}

describe('who holds a data folder', () => {
  it.runIf(linux)('knows a process by its start time, which a reused pid does not share', async () => {
    const pid = sleeper.pid as number;
    expect(await processIdentity(pid)).toMatch(/^[0-9a-f-]+\/\d+$/u);
    expect(await processIdentity(pid)).not.toBe(await processIdentity(process.pid));
    // A file from the process that had this pid before: same pid, another start time.
    await leftBehind({ pid, pidStart: `${(await processIdentity(pid))?.split('/')[0]}/1` });
    expect(await readStackInfo(dir)).toBeUndefined();
  });

  it.runIf(linux)('does not take a pid that runs something other than Node.js for a holder', async () => {
    // Written by hand, or by an older version: no start time, only a pid, now `sleep 1000`'s.
    await leftBehind({ pid: sleeper.pid });
    expect(await readStackInfo(dir)).toBeUndefined();
    expect(await findRunningStack(dir)).toBeUndefined();
    // And the folder is free: a claim takes the stale file over.
    const claim = await claimDataDir({ role: 'cli', command: 'paperboy test', dataDir: dir, ...FOLDER });
    expect(JSON.parse(await readFile(join(dir, 'stack.json'), 'utf8'))).toMatchObject({
      pid: process.pid,
      command: 'paperboy test',
    });
    await claim.release();
  });

  it('does not take its own pid, in a file it did not write, for itself (a restarted container)', async () => {
    await leftBehind({ pid: process.pid, instance: 'from-before-the-restart' });
    expect(await readStackInfo(dir)).toBeUndefined();
    const claim = await claimDataDir({ role: 'npm-start', command: 'npm start', dataDir: dir, ...FOLDER });
    // Its own claim, though, is alive: a second one in the same process is refused.
    expect(await readStackInfo(dir)).toMatchObject({ pid: process.pid, instance: claim.info.instance });
    await expect(
      claimDataDir({ role: 'cli', command: 'paperboy test', dataDir: dir, ...FOLDER }),
    ).rejects.toThrow(DataDirBusyError);
    await claim.release();
    expect(await readStackInfo(dir)).toBeUndefined();
  });

  it('still sees a live holder, and says how to clear the file if it is stale after all', async () => {
    await writeStackInfo({
      pid: process.pid,
      role: 'npm-start',
      state: 'running',
      command: 'npm start',
      dataDir: dir,
      ...FOLDER,
    });
    const holder = await readStackInfo(dir);
    expect(holder).toMatchObject({ pid: process.pid });
    const error = new DataDirBusyError(holder as NonNullable<typeof holder>);
    expect(error.message).toContain(`in use by \`npm start\` (pid ${process.pid}`);
    expect(error.message).toContain('stop it (Ctrl-C), or pass --data-dir');
    expect(error.message).toContain(`the file is stale: delete ${join(dir, 'stack.json')}`);
  });
});

describe('a stopping stack', () => {
  it('is never handed to a command: it is waited for until it is gone', async () => {
    await writeStackInfo({
      pid: process.pid,
      role: 'npm-start',
      state: 'stopping',
      command: 'npm start',
      // Answering URLs would not matter: a stopping stack is not used.
      urls: {
        api: 'http://127.0.0.1:1/',
        dynamodb: 'http://127.0.0.1:1',
        s3: 'http://127.0.0.1:1',
        ses: 'http://127.0.0.1:1',
        mailbox: 'http://127.0.0.1:1/',
      },
      dataDir: dir,
      ...FOLDER,
    });
    expect(await findRunningStack(dir)).toBeUndefined();
    const said: string[] = [];
    const gone = setTimeout(() => void rm(join(dir, 'stack.json')), 600);
    const started = Date.now();
    await expect(waitForDataDir(dir, 10_000, (line) => said.push(line))).resolves.toBeUndefined();
    clearTimeout(gone);
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    expect(said).toEqual([`waiting for \`npm start\` (pid ${process.pid}) to stop with ${dir}…`]);
  });

  it('records `stopping` after `running` even when both are written at once', async () => {
    const claim = await claimDataDir({ role: 'npm-start', command: 'npm start', dataDir: dir, ...FOLDER });
    const running = claim.update({ state: 'running' });
    const stopping = claim.update({ state: 'stopping' });
    await Promise.all([running, stopping]);
    expect(JSON.parse(await readFile(join(dir, 'stack.json'), 'utf8'))).toMatchObject({ state: 'stopping' });
    await claim.release();
  });
});
