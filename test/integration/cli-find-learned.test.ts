import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoLearnedProfiles } from '../../functions/adapters/dynamo-learned-profiles.ts';
import { applyVote, type LearnedProfile, paperTerms } from '../../functions/core/learning.ts';
import { writeStackInfo } from '../../functions/local/stack-info.ts';
import { documentClient } from '../../functions/shared/aws/dynamodb.ts';
import { bootTestStack } from '../support/local-stack.ts';
import { NOW, paper } from '../support/papers.ts';

const BIN = new URL('../../bin/paperboy.mjs', import.meta.url).pathname;
let stack: Awaited<ReturnType<typeof bootTestStack>>;

/** The real CLI in its own process, attached to the test stack as to a running `npm start`. */
async function paperboy(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      'node',
      [BIN, ...args, '--data-dir', stack.options.dataDir],
      { env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'ERROR' } },
    );
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
}, 120_000);
afterAll(async () => stack?.cleanup());

describe('paperboy subscribers find', { timeout: 120_000 }, () => {
  it('shows what the reader’s clicks taught: counts and the words that weigh most (text and --json)', async () => {
    const file = join(stack.options.dataDir, 'one.csv');
    await writeFile(file, 'email,topics\nlea@example.org,retrieval\nmo@example.org,speech\n');
    expect((await paperboy(['subscribers', 'import', file, '--confirmed'])).code).toBe(0);
    let learned: LearnedProfile | undefined;
    for (const [id, title, vote] of [
      ['2611.00001', 'Dense retrieval with sparse experts', 'more'],
      ['2611.00002', 'Legged robot locomotion', 'fewer'],
    ] as const)
      learned = applyVote(
        learned,
        { paperId: id, vote, terms: paperTerms({ ...paper(id, 1), title }) },
        NOW,
      ).profile;
    const id = await stack.local.operator.subscriberId('lea@example.org');
    const store = new DynamoLearnedProfiles(documentClient(), stack.options.tableName);
    expect(await store.put(id, learned as LearnedProfile, 0)).toBe(true);

    const json = await paperboy(['subscribers', 'find', 'lea@example.org', '--json']);
    expect(json.code, json.stderr).toBe(0);
    const found = JSON.parse(json.stdout);
    expect(found.learned).toMatchObject({ liked: 1, disliked: 1 });
    expect(found.learned.likedWords).toContain('retrieval');
    expect(found.learned.dislikedWords).toContain('legged');
    const text = await paperboy(['subscribers', 'find', 'lea@example.org']);
    expect(text.stdout).toMatch(
      / {2}learned {5}1 more, 1 fewer; more of: [^;]*retrieval[^;]*; less of: [^\n]*legged/u,
    );

    // A reader who never clicked: no learned line, no learned field.
    const other = await paperboy(['subscribers', 'find', 'mo@example.org', '--json']);
    expect(JSON.parse(other.stdout)).not.toHaveProperty('learned');
    expect((await paperboy(['subscribers', 'find', 'mo@example.org'])).stdout).not.toContain('learned');
  });
});
