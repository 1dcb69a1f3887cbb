import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { InvalidArgumentError } from 'commander';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CliError,
  describeEditionRun,
  describeError,
  inputFile,
  isoDate,
  rankEventFor,
} from '../../../functions/cli/common.ts';
import { EXIT, exitCodeFor } from '../../../functions/cli/exit-codes.ts';
import { defaultRankEditionConfig, type RankEditionResult } from '../../../functions/core/rank-edition.ts';
import { defaultTrendingConfig } from '../../../functions/core/ranking.ts';
import { defaultSchedulePolicy } from '../../../functions/core/schedule-policy.ts';
import { dayIn } from '../../../functions/shared/config.ts';
import { createRankPapersHandler } from '../../../functions/triggers/rank-papers.ts';
import { FixedClock, MemoryEditions, MemorySubscribers } from '../../support/memory-ports.ts';

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'paperboy-cli-'));
});
afterAll(() => rm(scratch, { recursive: true, force: true }));

describe('dates on the command line', () => {
  it('takes only days of the calendar, so that no suggested command is refused later', () => {
    expect(isoDate('2024-02-29')).toBe('2024-02-29');
    expect(isoDate('2026-12-31')).toBe('2026-12-31');
    for (const day of ['2026-02-30', '2026-02-29', '2026-04-31', '2026-13-01', '2026-00-10', '2026-01-00']) {
      expect(() => isoDate(day), day).toThrow(/is not a day of the calendar/u);
    }
    for (const text of ['tomorrow', '2026-1-5', '2026-01-05T00:00:00Z', ' 2026-01-05']) {
      expect(() => isoDate(text), text).toThrow(/expected a date as YYYY-MM-DD/u);
    }
  });

  it('agrees with the calendar on every day from 1970 to 2400', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1970, max: 2400 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 31 }),
        (year, month, day) => {
          const text = `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
          const real = new Date(Date.UTC(year, month - 1, day)).getUTCDate() === day;
          if (real) expect(isoDate(text)).toBe(text);
          else expect(() => isoDate(text)).toThrow(InvalidArgumentError);
        },
      ),
    );
  });
});

describe('files given to a command', () => {
  async function problem(path: string): Promise<CliError> {
    try {
      await inputFile(path);
    } catch (error) {
      if (error instanceof CliError) return error;
      throw error;
    }
    throw new Error(`${path} was taken`);
  }

  it('are named for what they are when they cannot be read: missing, a directory, not a file', async () => {
    const file = join(scratch, 'papers.jsonl');
    await writeFile(file, 'abc');
    expect(await inputFile(file)).toBe(3);
    const missing = await problem(join(scratch, 'absent.json'));
    expect(missing.message).toBe(`${join(scratch, 'absent.json')}: no such file`);
    expect(missing.exitCode).toBe(EXIT.badInput);
    expect((await problem(scratch)).message).toBe(`${scratch}: is a directory, not a file`);
    expect((await problem('/dev/null')).message).toBe('/dev/null: is not a regular file');
    expect((await problem(join(file, 'inside'))).message).toContain('a part of the path is not a folder');
  });

  // Root reads every file, whatever its mode.
  it.skipIf(process.getuid?.() === 0)('say permission denied when the file is not readable', async () => {
    const locked = join(scratch, 'locked.json');
    await writeFile(locked, '{}');
    await chmod(locked, 0o000);
    expect((await problem(locked)).message).toBe(`${locked}: permission denied`);
  });

  it('that a command could not write are named with their path, and are input the operator can fix', async () => {
    const folder = join(scratch, 'out');
    await mkdir(folder);
    let thrown: unknown;
    try {
      await writeFile(folder, 'html');
    } catch (error) {
      thrown = error;
    }
    expect(describeError(thrown)).toBe(`${folder}: is a directory, not a file`);
    expect(exitCodeFor(thrown)).toBe(EXIT.badInput);
    expect(describeError(new Error('ECONNREFUSED'))).toBe('ECONNREFUSED');
    expect(exitCodeFor(new Error('ECONNREFUSED'))).toBe(EXIT.failed);
  });

  it('get the same answer from every command that reads one, before any stack is started', async () => {
    const bin = new URL('../../../bin/paperboy.mjs', import.meta.url).pathname;
    const dataDir = join(scratch, 'data');
    for (const args of [
      ['parse', scratch],
      ['ingest', scratch, '--data-dir', dataDir],
      ['feedback', scratch, '--data-dir', dataDir],
      ['rank', '--papers', scratch],
    ]) {
      const run = await promisify(execFile)('node', [bin, ...args]).then(
        () => ({ code: 0, stderr: '' }),
        (error: { code: number; stderr: string }) => error,
      );
      expect(run.code, args.join(' ')).toBe(EXIT.badInput);
      expect(run.stderr, args.join(' ')).toBe(`paperboy: ${scratch}: is a directory, not a file\n`);
    }
  }, 30_000);
});

describe('what `paperboy edition run` says', () => {
  const result = (change: Partial<RankEditionResult>): RankEditionResult => ({
    date: '2026-11-26',
    created: true,
    skipped: false,
    mode: 'daily',
    candidates: 40,
    entries: 40,
    subscribers: 2,
    jobs: 1,
    ...change,
  });
  const mailbox = 'http://127.0.0.1:3000/mailbox';

  it('names the weekday rule that skipped a day, and exits 0', () => {
    const report = describeEditionRun(
      result({ date: '2026-11-28', created: false, skipped: true, candidates: 0, entries: 0, jobs: 0 }),
      defaultSchedulePolicy,
      mailbox,
    );
    expect(report).toMatchObject({ outcome: 'skipped', details: { weekday: 'sat', policy: 'skip' } });
    expect(report.failure).toBeUndefined();
    expect(report.lines.join('\n')).toBe(
      'edition 2026-11-28 (Saturday): skipped by the weekday policy (sat=skip); nothing was ranked or sent',
    );
  });

  it('says a day with no papers made nothing, how to ingest some, and fails with exit 1', () => {
    const report = describeEditionRun(
      result({ created: false, candidates: 0, entries: 0, subscribers: 0, jobs: 0, mode: undefined }),
      defaultSchedulePolicy,
      mailbox,
    );
    expect(report.outcome).toBe('no-papers');
    expect(report.lines).toEqual([]);
    expect(report.failure?.exitCode).toBe(EXIT.failed);
    expect(report.failure?.message).toContain('edition 2026-11-26 (Thursday): not made: no papers');
    expect(report.failure?.message).toContain('paperboy ingest <file…>');
    expect(report.failure?.message).not.toContain('already made');
  });

  it('tells an edition made now from one kept as it was', () => {
    const made = describeEditionRun(result({}), defaultSchedulePolicy, mailbox);
    expect(made.outcome).toBe('made');
    expect(made.lines).toEqual([
      'edition 2026-11-26 (Thursday): 40 papers from 40 candidates',
      'dispatched to 2 active subscriber(s) in 1 job(s)',
      `mailbox: ${mailbox}`,
    ]);
    const kept = describeEditionRun(result({ created: false }), defaultSchedulePolicy, mailbox);
    expect(kept.outcome).toBe('kept');
    expect(kept.lines[0]).toContain('(already made; kept as it was)');
  });
});

describe("`paperboy edition run`'s default day", () => {
  it("is today in the stack's edition time zone, as the rank function names it, never the UTC day", async () => {
    // 20:00 UTC on the 26th is already the 27th in Tokyo, still the 26th in UTC.
    const now = new Date('2026-11-26T20:00:00Z');
    const clock = new FixedClock(now);
    const handler = createRankPapersHandler({
      papers: {
        store: async () => ({ new: 0, updated: 0, unchanged: 0, merged: 0, linked: 0 }),
        listPublishedOn: async () => [],
        signalHistory: async () => new Map(),
      },
      editions: new MemoryEditions(),
      subscribers: new MemorySubscribers(clock),
      queue: { enqueue: async () => {} },
      clock,
      config: { ...defaultRankEditionConfig, trending: defaultTrendingConfig, policy: defaultSchedulePolicy },
      timeZone: 'Asia/Tokyo',
    });
    expect((await handler(rankEventFor(undefined, now))).date).toBe(dayIn(now, 'Asia/Tokyo'));
    expect(dayIn(now, 'Asia/Tokyo')).toBe('2026-11-27');
    expect((await handler(rankEventFor('2026-11-20', now))).date).toBe('2026-11-20');
  });
});
