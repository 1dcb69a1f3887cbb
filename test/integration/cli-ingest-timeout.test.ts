import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FREE_PORTS, type Launched, npmStart, paperboy, writeAtomFeed } from './processes.ts';

/**
 * `paperboy ingest --timeout` with a file that takes the ingest much longer than the timeout:
 * in a command that runs the emulators itself, and attached to a running stack.
 */
const PAPERS = 10_000;
/** STOP_GRACE_MS in functions/cli/paperboy.ts: what stopping may add to --timeout. */
const STOP_GRACE_MS = 5_000;
/** Starting the CLI and, without a running stack, the emulators: generous, for a busy machine. */
const START_UP_MS = 6_000;

let scratch: string;
let feed: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'paperboy-ingest-timeout-'));
  feed = join(scratch, 'feed.xml');
  await writeAtomFeed(feed, PAPERS);
});
afterAll(() => rm(scratch, { recursive: true, force: true }));

/** The objects s3rver keeps for `name` under a prefix of the ingest bucket. */
async function objects(dataDir: string, prefix: string, name: string): Promise<string[]> {
  const bucket = join(dataDir, 's3', 'paperboy-ingest');
  if (!existsSync(join(bucket, prefix))) return [];
  const files = await readdir(join(bucket, prefix), { recursive: true });
  return files.filter((file) => file.endsWith(`${name}._S3rver_object`));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('paperboy ingest --timeout, with no stack running', () => {
  it('stops the ingest in bounded time, says where the file is, and a second run completes it', async () => {
    const dataDir = join(scratch, 'self');
    const first = paperboy('ingest', feed, '--timeout', '2', '--data-dir', dataDir);
    const { code, ms } = await first.exited;
    expect(code, first.stderr).toBe(1);
    const stopped = first.stderr.match(
      /feed\.xml: not ingested within 2 s \(--timeout\), so it was stopped after ([\d,]+) records: the ([\d,]+) papers read so far are stored/u,
    );
    expect(stopped, first.stderr).not.toBeNull();
    expect(first.stderr).toMatch(
      /moved to quarantine\/incoming\/cli\/\d{4}-\d{2}-\d{2}\/feed\.xml with its report/u,
    );
    expect(first.stderr).toContain('run the same command again, with a larger --timeout');
    expect(first.stderr).not.toContain('ECONNREFUSED');
    expect(first.stderr).not.toContain('dead letter');
    // Bounded by the timeout, the stated margin and the start-up (before: the whole ingest, and its retries).
    expect(ms).toBeLessThan(2_000 + STOP_GRACE_MS + START_UP_MS);
    // Nothing half-done: the file is in quarantine, none is left under incoming/ without a record.
    expect(await objects(dataDir, 'incoming', 'feed.xml')).toEqual([]);
    expect(await objects(dataDir, 'quarantine', 'feed.xml')).toHaveLength(1);
    expect(existsSync(join(dataDir, 'stack.json'))).toBe(false);

    const storedBefore = Number((stopped?.[2] ?? '').replace(/,/gu, ''));
    expect(storedBefore).toBeGreaterThan(0);
    expect(storedBefore).toBeLessThan(PAPERS);
    const second = paperboy('ingest', feed, '--timeout', '300', '--data-dir', dataDir, '--json');
    expect((await second.exited).code, second.stderr).toBe(0);
    const [record] = JSON.parse(second.stdout);
    expect(record).toMatchObject({ status: 'ingested', accepted: PAPERS, rejected: 0 });
    // Idempotent: the papers of the first run are stored once, the others are new.
    expect(record.stored.new).toBe(PAPERS - storedBefore);
    expect(record.stored.new + record.stored.updated + record.stored.unchanged).toBe(PAPERS);
  }, 180_000);
});

describe('paperboy ingest, attached to a running npm start', () => {
  let dataDir: string;
  let server: Launched;
  beforeAll(async () => {
    dataDir = join(scratch, 'served');
    server = npmStart('--data-dir', dataDir, ...FREE_PORTS);
    await server.waitFor('stdout', 'serving;', 60_000);
  }, 90_000);
  afterAll(() => {
    server?.child.kill('SIGKILL');
  });

  it('at the timeout, says that the stack goes on with the file, and returns at once', async () => {
    const cli = paperboy('ingest', feed, '--timeout', '3', '--data-dir', dataDir);
    const { code, ms } = await cli.exited;
    expect(code, cli.stderr).toBe(1);
    expect(cli.stderr).toMatch(
      /not ingested within 3 s \(--timeout\): the `npm start` stack \(pid \d+\) is still ingesting incoming\/cli\/\S+\/feed\.xml; it will finish it, or quarantine it with a report, on its own/u,
    );
    expect(ms).toBeLessThan(3_000 + START_UP_MS);
  }, 60_000);

  it('says clearly that the stack stopped when it is killed in the middle of the command', async () => {
    const other = join(scratch, 'other-feed.xml');
    await copyFile(feed, other);
    const cli = paperboy('ingest', other, '--timeout', '120', '--data-dir', dataDir);
    // Attached once its upload is in the stack's bucket (a command of its own would say so).
    for (let i = 0; i < 300 && (await objects(dataDir, 'incoming', 'other-feed.xml')).length === 0; i += 1) {
      await sleep(100);
    }
    expect(cli.stderr).not.toContain('starting the local emulators');
    server.child.kill('SIGKILL');
    const { code, ms } = await cli.exited;
    expect(code).toBe(1);
    expect(cli.stderr).toMatch(
      /paperboy: the `npm start` stack \(pid \d+\) of \S+ stopped answering while this command was using it \(connect ECONNREFUSED 127\.0\.0\.1:\d+\)/u,
    );
    expect(cli.stderr).toContain('run it again');
    expect(cli.stderr).not.toMatch(/^paperboy: connect ECONNREFUSED/mu);
    expect(ms).toBeLessThan(30_000);
  }, 60_000);
});
