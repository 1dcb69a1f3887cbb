import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_FILE } from '../../../functions/local/demo.ts';
import { writeStackInfo } from '../../../functions/local/stack-info.ts';
import { dayIn } from '../../../functions/shared/config.ts';
import { bootTestStack } from '../../support/local-stack.ts';

/**
 * `paperboy edition run` and `preview --out` in their own process against a running stack (as
 * test/integration/cli.test.ts does), in a time zone whose day is not the UTC day right now:
 * west of UTC in the UTC morning, east of it in the afternoon.
 */
const BIN = new URL('../../../bin/paperboy.mjs', import.meta.url).pathname;
const TIME_ZONE = new Date().getUTCHours() < 11 ? 'Etc/GMT+12' : 'Etc/GMT-14';
let stack: Awaited<ReturnType<typeof bootTestStack>>;
let scratch: string;

async function paperboy(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      'node',
      [BIN, ...args, '--data-dir', stack.options.dataDir],
      { env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'WARN' } },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code: number; stdout: string; stderr: string };
    return { code: failure.code, stdout: failure.stdout, stderr: failure.stderr };
  }
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'paperboy-cli-'));
  stack = await bootTestStack({ timeZone: TIME_ZONE });
  const { tableName, bucket, sender, timeZone, dataDir } = stack.options;
  await writeStackInfo({
    pid: process.pid,
    role: 'npm-start',
    state: 'running',
    command: 'npm start (test)',
    urls: stack.urls,
    dataDir,
    tableName,
    bucket,
    sender,
    timeZone,
  });
});
afterAll(async () => {
  await stack?.cleanup();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('paperboy edition run', { timeout: 60_000 }, () => {
  it("makes today's edition by the stack's time zone, not by UTC", async () => {
    const before = new Date();
    const run = await paperboy('edition', 'run', '--json');
    const after = new Date();
    const { date } = JSON.parse(run.stdout) as { date: string };
    expect([dayIn(before, TIME_ZONE), dayIn(after, TIME_ZONE)]).toContain(date);
    if (dayIn(before, TIME_ZONE) === dayIn(after, TIME_ZONE)) expect(date).not.toBe(dayIn(after, 'UTC'));
  });

  it('says a day with no papers made nothing and how to ingest some, and exits 1', async () => {
    // A Monday: the default policy sends on Mondays.
    const run = await paperboy('edition', 'run', '--date', '2026-01-05');
    expect(run.code).toBe(1);
    expect(run.stdout).not.toContain('already made');
    expect(run.stderr).toContain('edition 2026-01-05 (Monday): not made: no papers');
    expect(run.stderr).toContain('paperboy ingest');
    const json = await paperboy('edition', 'run', '--date', '2026-01-05', '--json');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ outcome: 'no-papers', created: false, skipped: false });
  });

  it('says a day the weekday policy skips was skipped, and which rule, and exits 0', async () => {
    expect((await paperboy('ingest', SAMPLE_FILE.pathname)).code).toBe(0);
    const run = await paperboy('edition', 'run', '--date', '2026-11-28');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('edition 2026-11-28 (Saturday): skipped by the weekday policy (sat=skip)');
    expect(run.stdout).not.toContain('already made');
    const json = await paperboy('edition', 'run', '--date', '2026-11-28', '--json');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      outcome: 'skipped',
      skipped: true,
      weekday: 'sat',
      policy: 'skip',
    });
  });

  it('says an edition was made, then kept; and preview names a directory given as --out', async () => {
    const made = await paperboy('edition', 'run', '--date', '2026-11-26');
    expect(made.code).toBe(0);
    expect(made.stdout).toMatch(/^edition 2026-11-26 \(Thursday\): \d+ papers from \d+ candidates\n/u);
    const kept = await paperboy('edition', 'run', '--date', '2026-11-26', '--json');
    expect(JSON.parse(kept.stdout)).toMatchObject({ outcome: 'kept', created: false });
    const preview = await paperboy('preview', '--edition', '2026-11-26', '--out', scratch);
    expect(preview.code).toBe(2);
    expect(preview.stderr).toContain(`paperboy: ${scratch}: is a directory, not a file`);
  });
});
