import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_FILE } from '../../functions/local/demo.ts';
import { writeStackInfo } from '../../functions/local/stack-info.ts';
import { bootTestStack } from '../support/local-stack.ts';

const BIN = new URL('../../bin/paperboy.mjs', import.meta.url).pathname;
let stack: Awaited<ReturnType<typeof bootTestStack>>;

/** Runs the real CLI in its own process against the test stack. */
async function paperboy(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    // `parse` touches no stack; every other command is pointed at the test stack's data folder.
    const target = args[0] === 'parse' ? [] : ['--data-dir', stack.options.dataDir];
    const { stdout, stderr } = await promisify(execFile)('node', [BIN, ...args, ...target], {
      env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'WARN' },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code: number; stdout: string; stderr: string };
    return { code: failure.code, stdout: failure.stdout, stderr: failure.stderr };
  }
}

beforeAll(async () => {
  stack = await bootTestStack();
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
});

describe('npx paperboy', { timeout: 60_000 }, () => {
  it('reports the running stack', async () => {
    const { code, stdout } = await paperboy('stack', '--json');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ running: true, urls: { api: stack.urls.api } });
  });

  it('ingests a file through the running stack and reports its counts', async () => {
    const { code, stdout } = await paperboy('ingest', SAMPLE_FILE.pathname, '--json');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual([
      expect.objectContaining({ status: 'ingested', accepted: 40, format: 'hf-daily' }),
    ]);
  });

  it('exits 2 with the reason for a file that is not papers, and for a missing file', async () => {
    const bad = join(stack.options.dataDir, 'bad.json');
    await writeFile(bad, 'not json at all');
    const unreadable = await paperboy('ingest', bad);
    expect(unreadable.code).toBe(2);
    expect(unreadable.stdout).toContain(
      'quarantined, read as page-dump: the dump ends with a title and no abstract',
    );
    const missing = await paperboy('ingest', join(stack.options.dataDir, 'absent.json'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no such file');
    // An error no command classified itself still maps to the documented code.
    const notPapers = await paperboy('rank', '--papers', bad);
    expect(notPapers.code).toBe(2);
    expect(notPapers.stderr).toContain('paperboy: ');
    expect(notPapers.stderr).not.toMatch(/\n\s+at /u);
  });

  it('runs an edition and shows it', async () => {
    const run = await paperboy('edition', 'run', '--date', '2026-11-26', '--json');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ date: '2026-11-26', created: true, failedJobs: 0 });
    const show = await paperboy('edition', 'show', '2026-11-26');
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/^ {2}1\. \d+\.\d{3} {2}\S/mu);
    const absent = await paperboy('edition', 'show', '2020-01-01');
    expect(absent.code).toBe(1);
    expect(absent.stderr).toContain('there is no edition for 2020-01-01');
  });

  it('parses a file as ingestion would: papers on stdout, a summary on stderr, exit 2 when unreadable', async () => {
    const ok = await paperboy('parse', SAMPLE_FILE.pathname);
    expect(ok.code).toBe(0);
    const lines = ok.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toHaveLength(40);
    expect(lines[0]).toMatchObject({
      id: '2611.10000',
      title: expect.any(String),
      abstract: expect.any(String),
      authors: expect.any(Array),
    });
    expect(ok.stderr).toContain('hf-daily, 40 accepted, 0 rejected, 0 duplicates');
    const forced = await paperboy('parse', SAMPLE_FILE.pathname, '--format', 'page-dump');
    expect(forced.code).toBe(2);
    expect(forced.stderr).toContain('could not be read');
    const wrong = await paperboy('parse', SAMPLE_FILE.pathname, '--format', 'pdf');
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain("argument 'pdf' is invalid");
  });

  it('never prints the control characters of a hostile title to the terminal', async () => {
    const hostile = join(stack.options.dataDir, 'hostile.jsonl');
    const title = 'Speech \u001b]0;pwned\u0007models \u001b[8mhidden\u001b[0m \u009b31m\u202eevil';
    await writeFile(
      hostile,
      `${JSON.stringify({ id: '2611.99991', title, abstract: 'Speech recognition in noisy rooms.', publishedAt: '2026-11-26T00:00:00Z' })}\n`,
    );
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the assertion is about control characters
    const raw = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e]/u;
    for (const args of [[], ['--json']]) {
      const ranked = await paperboy('rank', '--papers', hostile, '--topics', 'speech', ...args);
      expect(ranked.code).toBe(0);
      expect(ranked.stdout).toContain('Speech');
      expect(ranked.stdout).not.toMatch(raw);
    }
    const ingested = await paperboy('ingest', hostile);
    expect(ingested.code).toBe(0);
    expect((await paperboy('edition', 'run', '--date', '2026-11-26')).code).toBe(0);
    const shown = await paperboy('edition', 'show', '2026-11-26');
    expect(shown.stdout).not.toMatch(raw);
  });

  it('ranks files for a profile without a store, and shows a stored edition', async () => {
    const ranked = await paperboy(
      'rank',
      '--papers',
      SAMPLE_FILE.pathname,
      '--topics',
      'speech',
      '--limit',
      '3',
      '--json',
    );
    expect(ranked.code).toBe(0);
    const lines = ranked.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({
      rank: 1,
      id: expect.any(String),
      title: expect.any(String),
      score: expect.any(Number),
    });
    expect(lines[0].parts).toMatchObject({
      relevance: expect.any(Number),
      trending: expect.any(Number),
      recency: expect.any(Number),
    });
    // Each paper says where the topic matched (or what related term it was found by).
    const onTopic = /^(?:matches|about|related to) “[^”]*”/iu;
    expect(lines.every((line: { reasons: string[] }) => line.reasons.some((r) => onTopic.test(r)))).toBe(
      true,
    );
    const stored = await paperboy('rank', '--edition', '2026-11-26', '--limit', '2');
    expect(stored.code).toBe(0);
    expect(stored.stdout).toContain('edition 2026-11-26');
    const nothing = await paperboy('rank');
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain('give --papers');
  });

  it('says what is wrong with its arguments, and has --help', async () => {
    const bad = await paperboy('edition', 'run', '--date', 'tomorrow');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('expected a date as YYYY-MM-DD');
    const help = await paperboy('ingest', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('upload paper files to the ingest bucket');
  });
});
