import { execFile, spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoCounters } from '../../functions/adapters/dynamo-counters.ts';
import { recount } from '../../functions/cli/status.ts';
import { deadLetterPath, readDeadLetters } from '../../functions/local/dead-letter-file.ts';
import { writeStackInfo } from '../../functions/local/stack-info.ts';
import { tableDefinition } from '../../functions/local/table.ts';
import { documentClient } from '../../functions/shared/aws/dynamodb.ts';
import { bootTestStack } from '../support/local-stack.ts';

/**
 * The operator's import, export and suppress after the issue 12 attack: case variants of an
 * address, suppressing an address the table does not know, an export imported back into a fresh
 * table (a second, empty table in the same emulator, reached with --aws as a new stage's would
 * be), and Ctrl-C during an import.
 */
const BIN = new URL('../../bin/paperboy.mjs', import.meta.url).pathname;
type Stack = Awaited<ReturnType<typeof bootTestStack>>;
let stack: Stack;

async function attach(target: Stack): Promise<void> {
  const { tableName, bucket, sender, timeZone, dataDir } = target.options;
  await writeStackInfo({
    pid: process.pid,
    role: 'npm-start',
    state: 'running',
    command: 'npm start (test)',
    urls: target.urls,
    dataDir,
    tableName,
    bucket,
    sender,
    timeZone,
  });
}

/** The CLI's environment: quiet handler logs unless a test leaves the level to the CLI (`unset`). */
function environment(env: Record<string, string>): NodeJS.ProcessEnv {
  const all: NodeJS.ProcessEnv = { ...process.env, POWERTOOLS_LOG_LEVEL: 'ERROR', ...env };
  if (all.POWERTOOLS_LOG_LEVEL === 'unset') delete all.POWERTOOLS_LOG_LEVEL;
  return all;
}

async function paperboy(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      'node',
      [BIN, ...args, '--data-dir', stack.options.dataDir],
      { env: environment(env), maxBuffer: 64 * 1024 * 1024 },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code: number; stdout: string; stderr: string };
    return { code: failure.code, stdout: failure.stdout, stderr: failure.stderr };
  }
}
const json = async (args: string[], env: Record<string, string> = {}) => {
  const result = await paperboy([...args, '--json'], env);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout);
};
const csv = async (name: string, text: string) => {
  const file = join(stack.options.dataDir, name);
  await writeFile(file, text);
  return file;
};

beforeAll(async () => {
  stack = await bootTestStack();
  await attach(stack);
}, 90_000);
afterAll(async () => {
  await stack?.cleanup();
});

/** A fresh, empty table in the same emulator, and the CLI's --aws flags and environment for it. */
async function freshTable(): Promise<{ args: string[]; env: Record<string, string> }> {
  const { dataDir, tableName, bucket } = stack.options;
  const freshName = `${tableName}-fresh`;
  await new DynamoDBClient({}).send(new CreateTableCommand(tableDefinition(freshName)));
  const outputs = {
    'Paperboy-fresh-Data': {
      TableName: freshName,
      IngestBucketName: bucket,
      TokenSecretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:paperboy-fresh',
    },
    'Paperboy-fresh-App': {
      ApiUrl: stack.urls.api,
      SendQueueName: 'send',
      SendDeadLetterQueueName: 'send-dlq',
      SignupQueueName: 'signup',
      SignupDeadLetterQueueName: 'signup-dlq',
      IngestDeadLetterQueueName: 'ingest-dlq',
      RankDeadLetterQueueName: 'rank-dlq',
      FeedbackDeadLetterQueueName: 'feedback-dlq',
      IngestFunctionName: 'ingest',
      RankFunctionName: 'rank',
      FeedbackFunctionName: 'feedback',
    },
  };
  const outputsFile = join(dataDir, 'fresh-outputs.json');
  await writeFile(outputsFile, JSON.stringify(outputs));
  return {
    args: ['--aws', '--stage', 'fresh', '--outputs-file', outputsFile],
    env: {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_ENDPOINT_URL_DYNAMODB: stack.urls.dynamodb,
      AWS_ENDPOINT_URL_S3: stack.urls.s3,
      AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:9',
      PAPERBOY_TOKEN_KEY_FILE: join(dataDir, 'token-key.json'),
    },
  };
}

describe('import, export and suppress after the attack', { timeout: 240_000 }, () => {
  it('treats case variants of an address as one reader: suppressed stays suppressed, one row per mailbox', async () => {
    const first = await csv('case1.csv', 'email\nbom1@example.com\nquoted@example.com\n');
    expect(await json(['subscribers', 'import', first, '--confirmed'])).toMatchObject({ added: 2 });
    expect(await json(['subscribers', 'suppress', 'bom1@example.com'])).toMatchObject({
      outcome: 'suppressed',
    });
    expect(await json(['subscribers', 'erase', 'QUOTED@example.com'])).toMatchObject({ outcome: 'erased' });
    const variants = await csv(
      'case2.csv',
      'email\nBOM1@example.com\nQUOTED@EXAMPLE.COM\nDup@Example.com\ndup@example.com\n',
    );
    const result = await paperboy(['subscribers', 'import', variants, '--confirmed']);
    expect(result.code).toBe(2);
    expect(result.stdout).toContain('line 2: skipped: the address is bounced');
    expect(result.stdout).toContain('line 3: skipped: the address is erased');
    expect(result.stdout).toContain('line 5: rejected: the same address as line 4');
    expect(result.stdout).toContain('1 added');
    expect(await json(['subscribers', 'find', 'BOM1@EXAMPLE.COM'])).toMatchObject({
      status: 'bounced',
      email: 'bom1@example.com',
    });
  });

  it('suppresses an address the table does not know, with the reason, so an import later skips it', async () => {
    const suppressed = await json([
      'subscribers',
      'suppress',
      'Nobody2@example.com',
      '--reason',
      'unsubscribed',
    ]);
    expect(suppressed).toMatchObject({ outcome: 'suppressed', status: 'unsubscribed', created: true });
    expect(await json(['subscribers', 'find', 'nobody2@example.com'])).toMatchObject({
      status: 'unsubscribed',
      email: 'Nobody2@example.com',
    });
    const again = await paperboy([
      'subscribers',
      'suppress',
      'nobody2@example.com',
      '--reason',
      'unsubscribed',
    ]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('already unsubscribed');
    const file = await csv('nobody.csv', 'email\nNOBODY2@example.com\n');
    expect(await json(['subscribers', 'import', file, '--confirmed'])).toMatchObject({
      added: 0,
      skipped: 1,
    });
    const bad = await paperboy(['subscribers', 'suppress', 'x@example.com', '--reason', 'because']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unsubscribed, bounced, complained, manual');
  });

  it('imports an export back into a fresh table: extra columns ignored once, who left kept out, nothing activated by status', async () => {
    const file = await csv(
      'round.csv',
      [
        'email,topics,frequency,digestSize',
        'ana@example.org,=cmd|retrieval;robotics,daily,5',
        'ben@example.org,,weekly,12',
        'gone@example.org,,daily,10',
      ].join('\n'),
    );
    expect(await json(['subscribers', 'import', file, '--confirmed'])).toMatchObject({ added: 3 });
    expect(
      await json(['subscribers', 'suppress', 'gone@example.org', '--reason', 'complained']),
    ).toMatchObject({
      outcome: 'suppressed',
    });
    const exported = await paperboy(['subscribers', 'export']);
    expect(exported.code, exported.stderr).toBe(0);
    const exportFile = await csv('exported.csv', exported.stdout);

    const fresh = await freshTable();
    const report = await json(['subscribers', 'import', exportFile, '--confirmed', ...fresh.args], fresh.env);
    expect(report.ignoredColumns).toEqual(expect.arrayContaining(['status', 'id', 'createdAt']));
    expect(report.rejected).toBe(0);
    const text = await paperboy(
      ['subscribers', 'import', exportFile, '--confirmed', ...fresh.args],
      fresh.env,
    );
    expect(text.stdout.match(/ignored column/gu)).toHaveLength(1);
    const find = (email: string) =>
      paperboy(['subscribers', 'find', email, '--json', ...fresh.args], fresh.env);
    const [ana, gone, bom] = await Promise.all([
      find('ana@example.org'),
      find('gone@example.org'),
      find('bom1@example.com'),
    ]);
    // The apostrophe the export put before "=cmd" (a spreadsheet formula) is taken off again.
    expect(JSON.parse(ana.stdout)).toMatchObject({
      status: 'active',
      topics: ['=cmd|retrieval', 'robotics'],
      digestSize: 5,
    });
    expect(gone.code).toBe(1);
    expect(bom.code).toBe(1);
    expect(report.skips).toEqual(
      expect.arrayContaining([expect.objectContaining({ status: "complained (the file's status column)" })]),
    );
  });

  it('dlq redrive keeps unreadable lines and letters of unknown source, and a re-failed sign-up keeps its reason', async () => {
    const file = deadLetterPath(stack.options.dataDir);
    await writeFile(
      file,
      [
        'this is not json',
        '{"source":"mystery","error":"boom","at":"2026-11-27T19:00:00.000Z","event":{"x":1}}',
        '{"source":"signup-queue","error":"boom2","at":"2026-11-27T19:00:01.000Z","event":{"bogus":1}}',
        '',
      ].join('\n'),
    );
    const listed = await json(['dlq', 'list']);
    expect(listed.find((q: { role: string }) => q.role === 'unknown')).toMatchObject({
      depth: 1,
      unreadable: 1,
    });
    const redrive = await paperboy(['dlq', 'redrive'], { POWERTOOLS_LOG_LEVEL: 'unset' });
    expect(redrive.code).toBe(1);
    expect(redrive.stdout).toMatch(/signup-1: invalid sign-up message: request:/u);
    expect(redrive.stdout).toContain('unknown   2 kept, not redriven');
    // One line per failure from the command, no handler JSON logs (they need --verbose).
    expect(redrive.stderr).not.toContain('"level"');
    expect(redrive.stderr).not.toContain('stack');
    const after = await readFile(file, 'utf8');
    expect(after).toContain('this is not json');
    expect(after).toContain('"source":"mystery"');
    const { letters } = await readDeadLetters(stack.options.dataDir);
    expect(letters.find((l) => l.source === 'signup-queue')?.error).toMatch(/^invalid sign-up message/u);
    await writeFile(file, '');
  });

  it('refuses conflicting flags as usage errors: export --csv --json, --outputs-file without --aws, preview --aws', async () => {
    const both = await paperboy(['subscribers', 'export', '--csv', '--json']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('exclude each other');
    const [outputsAlone, preview] = await Promise.all([
      paperboy(['status', '--outputs-file', '/nonexistent.json']),
      paperboy(['preview', '--aws', '--out', '/tmp/never.html']),
    ]);
    expect(outputsAlone.code).toBe(2);
    expect(outputsAlone.stderr).toContain('--outputs-file goes with --aws');
    expect(preview.code).toBe(2);
    expect(preview.stderr).toContain('preview works on the local stack only');
  });

  it('on Ctrl-C finishes the rows in flight, prints what was done, exits 130, and leaves the counts exact', async () => {
    const rows = 20_000;
    const lines = ['email'];
    for (let i = 0; i < rows; i += 1) lines.push(`bulk${i}@example.net`);
    const file = await csv('bulk.csv', `${lines.join('\n')}\n`);
    const child = spawn(
      'node',
      [BIN, 'subscribers', 'import', file, '--confirmed', '--data-dir', stack.options.dataDir],
      {
        env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'ERROR' },
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    const progressed = new Promise<void>((resolve) => {
      child.stderr.on('data', (d) => {
        stderr += d;
        if (/import \d+% /u.test(stderr)) resolve();
      });
    });
    await progressed;
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code, stderr).toBe(130);
    const done = /interrupted after ([\d]+) of 20000 rows: (\d+) added/u.exec(stdout);
    expect(done, stdout).not.toBeNull();
    expect(Number(done?.[2])).toBeGreaterThan(0);
    expect(Number(done?.[2])).toBeLessThan(rows);
    const db = documentClient();
    const kept = await new DynamoCounters(db, stack.options.tableName).read(new Date());
    const counted = await recount(db, stack.options.tableName);
    expect(kept.subscribers.active).toBe(counted['subscribers:active']);
  });
});
