import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoCounters } from '../../functions/adapters/dynamo-counters.ts';
import { DynamoPersonalData } from '../../functions/adapters/dynamo-personal-data.ts';
import { DynamoSubscriberRepository } from '../../functions/adapters/dynamo-subscriber-repository.ts';
import { recount } from '../../functions/cli/status.ts';
import { suppressSubscriber } from '../../functions/core/operator-subscribers.ts';
import type { Subscriber } from '../../functions/core/subscriber.ts';
import { eraseSubscriber } from '../../functions/core/subscriptions.ts';
import { appendDeadLetter, readDeadLetters } from '../../functions/local/dead-letter-file.ts';
import { SAMPLE_FILE } from '../../functions/local/demo.ts';
import { readMailbox } from '../../functions/local/mailbox.ts';
import { writeStackInfo } from '../../functions/local/stack-info.ts';
import { documentClient } from '../../functions/shared/aws/dynamodb.ts';
import { systemClock } from '../../functions/shared/system-clock.ts';
import { bootTestStack } from '../support/local-stack.ts';

const BIN = new URL('../../bin/paperboy.mjs', import.meta.url).pathname;
const DAY = '2026-11-26';
let stack: Awaited<ReturnType<typeof bootTestStack>>;

/** Runs the real CLI in its own process, attached to the test stack as to a running `npm start`. */
async function paperboy(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      'node',
      [BIN, ...args, '--data-dir', stack.options.dataDir],
      { env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'ERROR', ...env } },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code: number; stdout: string; stderr: string };
    return { code: failure.code, stdout: failure.stdout, stderr: failure.stderr };
  }
}
const json = async (...args: string[]) => {
  const result = await paperboy([...args, '--json']);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout);
};
const csv = async (name: string, text: string) => {
  const file = join(stack.options.dataDir, name);
  await writeFile(file, text);
  return file;
};
const idOf = (email: string) => stack.local.operator.subscriberId(email);

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
  // As `npm start` does: SES's events for what the emulator took (they count what was sent).
  stack.sesEvents.start(1000);
  await stack.s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: `incoming/${DAY}/papers.json`,
      Body: await readFile(SAMPLE_FILE),
    }),
  );
  await stack.idle();
}, 60_000);
afterAll(async () => {
  await stack?.cleanup();
});

describe('the operator commands against a running stack', { timeout: 240_000 }, () => {
  it('counts subscribers by state exactly through subscribe, confirm, unsubscribe, suppress, erase and re-subscribe', async () => {
    const db = documentClient();
    const { tableName } = stack.options;
    const repository = new DynamoSubscriberRepository(db, tableName, systemClock);
    const counters = new DynamoCounters(db, tableName);
    const before = (await counters.read(new Date())).subscribers;
    const id = await idOf('counted@example.org');
    const now = new Date().toISOString();
    const pending: Subscriber = {
      id,
      email: 'counted@example.org',
      status: 'pending',
      topics: [],
      authors: [],
      exclude: [],
      frequency: 'daily',
      digestSize: 5,
      signupId: 's1',
      version: 1,
      createdAt: now,
      updatedAt: now,
      expiresAt: Math.floor(Date.now() / 1000) + 86_400,
    };
    const delta = async () => {
      const after = (await counters.read(new Date())).subscribers;
      return Object.fromEntries(
        Object.entries(after)
          .map(([state, n]) => [state, n - before[state as keyof typeof before]])
          .filter(([, n]) => n !== 0),
      );
    };
    expect(await repository.create(pending)).toBe(true);
    expect(await delta()).toEqual({ pending: 1 });
    // A second create of the same address changes nothing, and counts nothing.
    expect(await repository.create({ ...pending, signupId: 's2' })).toBe(false);
    const { expiresAt: _e, ...confirmed } = pending;
    expect(await repository.replace({ ...confirmed, status: 'active', version: 2 }, 1)).toBe(true);
    expect(await delta()).toEqual({ active: 1 });
    // A write that lost its race (wrong version) counts nothing.
    expect(await repository.replace({ ...confirmed, status: 'unsubscribed', version: 3 }, 1)).toBe(false);
    expect(await repository.replace({ ...confirmed, status: 'unsubscribed', version: 3 }, 2)).toBe(true);
    expect(await delta()).toEqual({ unsubscribed: 1 });
    expect(await repository.replace({ ...pending, signupId: 's3', version: 4 }, 3)).toBe(true);
    expect(await delta()).toEqual({ pending: 1 });
    expect(await repository.replace({ ...confirmed, status: 'active', version: 5 }, 4)).toBe(true);
    expect(await suppressSubscriber(id, 'test', { subscribers: repository, clock: systemClock })).toBe(
      'suppressed',
    );
    expect(await delta()).toEqual({ bounced: 1 });
    await eraseSubscriber(
      { id, version: 6 },
      { clock: systemClock, personalData: new DynamoPersonalData(db, tableName) },
    );
    expect(await delta()).toEqual({ erased: 1 });
    // The kept counts are what a full scan counts.
    const kept = await counters.read(new Date());
    await recount(db, tableName);
    expect(await counters.read(new Date())).toEqual(kept);
  });

  it('imports a CSV: bad rows named by line, good rows kept, a re-run changes nothing', async () => {
    const file = await csv(
      'list.csv',
      [
        'email,topics,frequency,digestSize',
        'ana@example.org,retrieval;robotics,daily,5',
        'not-an-address,x,daily,5',
        'ben@example.org,,weekly,40',
        '',
        'ana@example.org,,daily,5',
        '"cleo@example.org","speech, audio",daily,10',
        'dan@example.org,"open quote,daily,10',
        'eve@example.org,,daily',
      ].join('\n'),
    );
    const first = await paperboy(['subscribers', 'import', file, '--confirmed']);
    expect(first.code).toBe(2);
    expect(first.stdout).toContain('line 3: rejected: email: email must be a valid email address');
    expect(first.stdout).toContain('line 4: rejected: digestSize: digestSize must be at most 30 papers');
    expect(first.stdout).toContain('line 6: rejected: the same address as line 2');
    expect(first.stdout).toContain('line 8: rejected: a quoted field is not closed');
    expect(first.stdout).toContain('line 9: rejected: 3 fields where the header has 4');
    expect(first.stdout).toContain('7 rows: 2 added (active), 0 unchanged, 0 skipped');
    const found = await json('subscribers', 'find', 'cleo@example.org');
    expect(found).toMatchObject({ status: 'active', topics: ['speech', 'audio'], digestSize: 10 });
    expect(found).not.toHaveProperty('signupId');

    const again = await paperboy(['subscribers', 'import', file, '--confirmed', '--json']);
    expect(again.code).toBe(2);
    expect(JSON.parse(again.stdout)).toMatchObject({
      rows: 7,
      added: 0,
      unchanged: 2,
      skipped: 0,
      rejected: 5,
    });
  });

  it('never re-activates a suppressed, unsubscribed or erased address', async () => {
    const db = documentClient();
    const repository = new DynamoSubscriberRepository(db, stack.options.tableName, systemClock);
    const file = await csv('left.csv', 'email\nfay@example.org\ngus@example.org\nhal@example.org\n');
    expect(await json('subscribers', 'import', file, '--confirmed')).toMatchObject({ added: 3 });
    // Fay unsubscribes (as her link does), Gus is suppressed and Hal erased by the operator.
    const fay = (await repository.get(await idOf('fay@example.org'))) as Subscriber;
    expect(
      await repository.replace({ ...fay, status: 'unsubscribed', version: fay.version + 1 }, fay.version),
    ).toBe(true);
    const [suppressed, erased] = await Promise.all([
      json('subscribers', 'suppress', 'gus@example.org', '--note', 'asked by phone'),
      json('subscribers', 'erase', 'hal@example.org'),
    ]);
    expect(suppressed).toMatchObject({ outcome: 'suppressed' });
    expect(erased).toMatchObject({ outcome: 'erased' });
    expect(await repository.get(await idOf('gus@example.org'))).toMatchObject({
      status: 'bounced',
      bounceReason: 'suppressed by the operator: asked by phone',
    });
    expect(await repository.get(await idOf('hal@example.org'))).not.toHaveProperty('email');

    const report = await json('subscribers', 'import', file, '--confirmed');
    expect(report).toMatchObject({ added: 0, unchanged: 0, skipped: 3, rejected: 0 });
    expect(report.skips).toEqual([
      { line: 2, status: 'unsubscribed' },
      { line: 3, status: 'bounced' },
      { line: 4, status: 'erased' },
    ]);
    expect((await repository.get(await idOf('fay@example.org')))?.status).toBe('unsubscribed');
    const [asJson, asCsv] = await Promise.all([
      paperboy(['subscribers', 'export', '--json']),
      paperboy(['subscribers', 'export', '--csv']),
    ]);
    const exported = asJson.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(exported.find((s) => s.email === 'gus@example.org')).toMatchObject({ status: 'bounced' });
    expect(exported.some((s) => 'signupId' in s || 'token' in s)).toBe(false);
    expect(asCsv.stdout.split('\n')[0]).toMatch(/^email,status,topics/u);
    expect(asCsv.stdout).toContain('fay@example.org,unsubscribed');
  });

  it('without --confirmed, imports through the double opt-in: a confirmation email, a pending sign-up', async () => {
    const file = await csv('optin.csv', 'email,topics\nivy@example.org,retrieval\n');
    const since = Math.floor(Date.now() / 1000) - 1;
    expect(await json('subscribers', 'import', file)).toMatchObject({ mode: 'confirmation', added: 1 });
    const mail = await readMailbox(stack.urls.ses, since);
    expect(mail.filter((m) => m.destination.to.includes('ivy@example.org')).map((m) => m.subject)).toEqual([
      'Confirm your Paperboy subscription',
    ]);
    expect(await stack.local.operator.subscribers.get(await idOf('ivy@example.org'))).toMatchObject({
      status: 'pending',
    });
    // Re-run: the sign-up waits for its confirmation; nothing is sent again.
    expect(await json('subscribers', 'import', file)).toMatchObject({ added: 0, unchanged: 1 });
  });

  it('status reports the counts, the last edition and its sending, dead letters and hanging claims', async () => {
    // A reader with no topics gets the trending digest: the edition sends at least one email.
    const repository = new DynamoSubscriberRepository(documentClient(), stack.options.tableName, systemClock);
    const now = new Date().toISOString();
    const kim = { email: 'kim@example.org', status: 'active', topics: [], authors: [], exclude: [] } as const;
    expect(
      await repository.create({
        ...kim,
        id: await idOf(kim.email),
        topics: [],
        authors: [],
        exclude: [],
        frequency: 'daily',
        digestSize: 5,
        signupId: 'k',
        version: 1,
        createdAt: now,
        updatedAt: now,
      }),
    ).toBe(true);
    const run = await paperboy(['edition', 'run', '--date', DAY]);
    expect(run.code, run.stderr).toBe(0);
    // `sent` counts SES's send events, which the stack publishes every second: wait until they settle.
    let sending = await stack.local.operator.stats.get(DAY);
    for (let i = 0; i < 20; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await stack.idle();
      const now = await stack.local.operator.stats.get(DAY);
      const settled = now.sent > 0 && JSON.stringify(now) === JSON.stringify(sending);
      sending = now;
      if (settled) break;
    }
    expect(sending.sent).toBeGreaterThan(0);
    const [status, text, list, shown, missing] = await Promise.all([
      json('status'),
      paperboy(['status']),
      json('editions', 'list'),
      json('editions', 'show', DAY),
      paperboy(['editions', 'show', '2020-01-01']),
    ]);
    const kept = await new DynamoCounters(documentClient(), stack.options.tableName).read(new Date());
    expect(status.subscribers).toMatchObject(kept.subscribers);
    expect(status.papers.stored).toBeGreaterThan(0);
    expect(status.papers.stored).toBe(kept.papers);
    expect(status.lastEdition).toMatchObject({ date: DAY, stats: sending });
    expect(status.queues.filter((q: { kind: string }) => q.kind === 'dead-letter')).toHaveLength(5);
    expect(status.hangingClaims.count).toBe(0);
    expect(status.errors).toEqual([]);
    expect(text.stdout).toContain(`last edition ${DAY}`);
    expect(list[0]).toMatchObject({ date: DAY, ...sending });
    expect(shown).toMatchObject({ date: DAY, stats: sending });
    expect(missing.code).toBe(1);
  });

  it('lists dead letters without taking them, and redrives them: what fails again goes back', async () => {
    const { dataDir } = stack.options;
    const ana = await idOf('ana@example.org');
    await appendDeadLetter(dataDir, {
      source: 'send-queue',
      event: { editionDate: DAY, subscriberIds: [ana] },
      error: 'Task timed out',
    });
    await appendDeadLetter(dataDir, { source: 'signup-queue', event: { request: 'nonsense' }, error: 'bad' });
    const listed = await json('dlq', 'list');
    expect(listed.find((q: { role: string }) => q.role === 'send')).toMatchObject({
      depth: 1,
      messages: [expect.objectContaining({ error: 'Task timed out' })],
    });
    // Listing takes nothing.
    expect((await readDeadLetters(dataDir)).letters).toHaveLength(2);

    const send = await json('dlq', 'redrive', '--queue', 'send');
    expect(send).toEqual([expect.objectContaining({ role: 'send', moved: 1, failed: [] })]);
    expect((await readDeadLetters(dataDir)).letters.map((l) => l.source)).toEqual(['signup-queue']);

    const signup = await paperboy(['dlq', 'redrive', '--queue', 'signup']);
    expect(signup.code).toBe(1);
    expect(signup.stderr).toContain('failed again');
    expect((await readDeadLetters(dataDir)).letters.map((l) => l.source)).toEqual(['signup-queue']);
  });

  it('runs the same commands with --aws against the emulators, every resource from the outputs file', async () => {
    const { dataDir, tableName, bucket } = stack.options;
    const outputs = {
      'Paperboy-test-Data': {
        TableName: tableName,
        IngestBucketName: bucket,
        TokenSecretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:paperboy-test',
      },
      'Paperboy-test-App': {
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
    const outputsFile = join(dataDir, 'outputs.json');
    await writeFile(outputsFile, JSON.stringify(outputs));
    // Only the endpoints differ: the emulators', named by the SDK's own variables. There is no SQS
    // emulator: its endpoint refuses connections, and what needs SQS says so.
    const env = {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_ENDPOINT_URL_DYNAMODB: stack.urls.dynamodb,
      AWS_ENDPOINT_URL_S3: stack.urls.s3,
      AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:9',
      PAPERBOY_TOKEN_KEY_FILE: join(dataDir, 'token-key.json'),
    };
    const aws = (...args: string[]) =>
      paperboy([...args, '--aws', '--stage', 'test', '--outputs-file', outputsFile], env);

    const file = await csv('aws.csv', 'email\njon@example.org\n');
    // Independent commands, run side by side.
    const [found, list, imported, ingest, preview, local] = await Promise.all([
      aws('subscribers', 'find', 'cleo@example.org', '--json'),
      aws('editions', 'list', '--json'),
      aws('subscribers', 'import', file, '--confirmed', '--json'),
      // The existing commands too: an ingest is the bucket's notification to the ingest function.
      aws('ingest', SAMPLE_FILE.pathname, '--json'),
      aws('preview', '--out', join(dataDir, 'p.html')),
      json('subscribers', 'find', 'cleo@example.org'),
    ]);
    expect(found.code, found.stderr).toBe(0);
    expect(JSON.parse(found.stdout)).toEqual(local);
    expect(JSON.parse(list.stdout)[0]).toMatchObject({
      date: DAY,
      ...(await stack.local.operator.stats.get(DAY)),
    });
    expect(JSON.parse(imported.stdout)).toMatchObject({ added: 1 });
    expect(await stack.local.operator.subscribers.get(await idOf('jon@example.org'))).toMatchObject({
      status: 'active',
    });
    expect(ingest.code, ingest.stderr).toBe(0);
    expect(JSON.parse(ingest.stdout)).toEqual([
      expect.objectContaining({ status: 'ingested', accepted: 40 }),
    ]);
    expect(preview.code).toBe(2);
    expect(preview.stderr).toContain('preview works on the local stack only');

    const [stats, status] = await Promise.all([
      aws('stats', '--edition', DAY, '--json'),
      aws('status', '--json'),
    ]);
    expect(JSON.parse(stats.stdout)).toMatchObject({
      edition: DAY,
      ...(await stack.local.operator.stats.get(DAY)),
    });
    expect(status.code).toBe(1);
    const report = JSON.parse(status.stdout);
    expect(report.target).toContain('stage test (Paperboy-test-Data, Paperboy-test-App)');
    const kept = await new DynamoCounters(documentClient(), tableName).read(new Date());
    expect(report.subscribers).toEqual({ ...kept.subscribers, expiredPending: kept.expiredPending });
    expect(report.errors.map((e: { part: string }) => e.part)).toEqual(['queues']);

    // A stage that is not there, or a stack without an output the CLI needs: exit 3, named.
    const { RankFunctionName: _gone, ...withoutRank } = outputs['Paperboy-test-App'];
    const partialFile = join(dataDir, 'partial-outputs.json');
    await writeFile(partialFile, JSON.stringify({ ...outputs, 'Paperboy-test-App': withoutRank }));
    const [missingStage, missingOutput] = await Promise.all([
      paperboy(['status', '--aws', '--stage', 'prod', '--outputs-file', outputsFile], env),
      paperboy(['status', '--aws', '--stage', 'test', '--outputs-file', partialFile], env),
    ]);
    expect(missingStage.code).toBe(3);
    expect(missingStage.stderr).toContain('there is no stack Paperboy-prod-Data');
    expect(missingOutput.code).toBe(3);
    expect(missingOutput.stderr).toContain('the stack Paperboy-test-App');
    expect(missingOutput.stderr).toContain('has no output RankFunctionName');
  });

  it('has --help on every new command, and refuses a bad address with exit 2', async () => {
    const commands = [
      ['status'],
      ['subscribers', 'import'],
      ['editions', 'show'],
      ['dlq', 'redrive'],
      ['stats'],
    ];
    const [bad, ...helps] = await Promise.all([
      paperboy(['subscribers', 'find', 'nobody']),
      ...commands.map((command) => paperboy([...command, '--help'])),
    ]);
    for (const [i, help] of helps.entries()) {
      expect(help.code, commands[i]?.join(' ')).toBe(0);
      expect(help.stdout).toContain('--aws');
    }
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('email must be a valid email address');
  });
});
