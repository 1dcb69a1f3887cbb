/**
 * `paperboy status` on a table of 100,000 subscribers (in every state) on the local stack: the
 * command's reads (the counts item, the newest edition, the dead letters, the sparse index of
 * deliveries sending) and the whole command in its own process, beside counting the subscribers
 * by state with a full Scan of the same table in the same run (what a status without counters
 * would have to do). And `subscribers import`: rows per second with IMPORT_CONCURRENCY rows in
 * flight against one row at a time.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { paginateScan } from '@aws-sdk/lib-dynamodb';
import { batchPut } from '../functions/adapters/dynamo-batch.ts';
import { keys } from '../functions/adapters/dynamo-keys.ts';
import { subscriberItem } from '../functions/adapters/dynamo-subscriber-repository.ts';
import type { Connection } from '../functions/cli/connect.ts';
import { LocalQueueAdmin } from '../functions/cli/local-queues.ts';
import { readStatus, recount } from '../functions/cli/status.ts';
import { IMPORT_CONCURRENCY } from '../functions/cli/subscribers.ts';
import type { Targets } from '../functions/cli/targets.ts';
import type { Subscriber } from '../functions/core/subscriber.ts';
import { defaultLocalOptions, startLocalStack } from '../functions/local/stack.ts';
import { writeStackInfo } from '../functions/local/stack-info.ts';
import { documentClient } from '../functions/shared/aws/dynamodb.ts';
import { type BenchResult, result, timePerCall } from './harness.ts';

const SUBSCRIBERS = 100_000;
const STATES = [
  'active',
  'active',
  'active',
  'active',
  'pending',
  'unsubscribed',
  'bounced',
  'complained',
] as const;

function subscriber(i: number): Subscriber {
  const now = new Date().toISOString();
  const status = STATES[i % STATES.length] as Subscriber['status'];
  return {
    id: `bench-${String(i).padStart(6, '0')}`,
    email: `reader${i}@example.org`,
    status,
    topics: ['retrieval'],
    authors: [],
    exclude: [],
    frequency: 'daily',
    digestSize: 10,
    signupId: 's',
    version: 1,
    createdAt: now,
    updatedAt: now,
    ...(status === 'pending' ? { expiresAt: Math.floor(Date.now() / 1000) + 7 * 86_400 } : {}),
  };
}

/** Subscribers by state, counted the way a status without counters would: a full Scan. */
async function countByScan(targets: Targets): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  const pages = paginateScan(
    { client: targets.db },
    {
      TableName: targets.tableName,
      FilterExpression: 'SK = :profile',
      ProjectionExpression: '#status',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':profile': keys.subscriber('').SK },
    },
  );
  for await (const page of pages) {
    for (const item of page.Items ?? []) counts[String(item.status)] = (counts[String(item.status)] ?? 0) + 1;
  }
  return counts;
}

/** Rows imported with IMPORT_CONCURRENCY in flight, and one at a time (the baseline). */
const IMPORT_ROWS = 10_000;

/**
 * `paperboy subscribers import FILE --confirmed` of new addresses (each a read, a conditional put
 * and its counter ADD), the whole command in its own process attached to the stack (as an
 * operator runs it beside `npm start`), with IMPORT_CONCURRENCY rows in flight, beside the same
 * command one row at a time (the hidden --concurrency 1), in rows per second of wall time
 * (start-up included, about 1.5 s of each).
 */
async function benchImport(dataDir: string, bin: string): Promise<BenchResult[]> {
  const rate = async (label: string, rows: number, concurrency: number) => {
    const file = join(dataDir, `${label}.csv`);
    const lines = ['email,topics'];
    for (let i = 0; i < rows; i += 1) lines.push(`${label}${i}@example.net,retrieval`);
    await writeFile(file, `${lines.join('\n')}\n`);
    const t = performance.now();
    const child = await promisify(execFile)(
      process.execPath,
      [
        bin,
        'subscribers',
        'import',
        file,
        '--confirmed',
        '--json',
        '--concurrency',
        String(concurrency),
        '--data-dir',
        dataDir,
      ],
      {
        encoding: 'utf8',
        env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'ERROR' },
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    const seconds = (performance.now() - t) / 1000;
    const report = JSON.parse(child.stdout) as { added: number };
    if (report.added !== rows) throw new Error(`import added ${report.added} of ${rows}`);
    return rows / seconds;
  };
  const serial = await rate('serial', IMPORT_ROWS, 1);
  const concurrent = await rate('concurrent', IMPORT_ROWS, IMPORT_CONCURRENCY);
  return [
    result(
      `paperboy subscribers import --confirmed, ${IMPORT_ROWS.toLocaleString('en-US')} new rows, ${IMPORT_CONCURRENCY} in flight (whole process)`,
      concurrent,
      'rows/s',
      'the same command, one row at a time',
      serial,
      true,
    ),
  ];
}

export async function benchStatus(): Promise<BenchResult[]> {
  const dataDir = await mkdtemp(join(tmpdir(), 'paperboy-bench-status-'));
  const stack = await startLocalStack({
    ...defaultLocalOptions,
    dataDir,
    persist: false,
    ports: { api: 0, dynamodb: 0, s3: 0, ses: 0 },
  });
  try {
    const db = documentClient();
    const { tableName, bucket, sender, timeZone } = stack.options;
    const started = performance.now();
    await batchPut(
      db,
      tableName,
      Array.from({ length: SUBSCRIBERS }, (_, i) => subscriberItem(subscriber(i))),
    );
    // Written in bulk (as a migration would), so the counts are made once by the documented recount.
    await recount(db, tableName);
    console.error(
      `status: ${SUBSCRIBERS} subscribers written and counted in ${Math.round(performance.now() - started)} ms`,
    );
    const targets: Targets = {
      kind: 'local',
      label: 'bench',
      tableName,
      bucketName: bucket,
      apiUrl: stack.urls.api,
      db,
      s3: stack.s3,
      keys: {
        current: () => Promise.reject(new Error('unused')),
        refresh: () => Promise.reject(new Error('unused')),
      },
      signups: stack.local.operator.signups,
      queues: new LocalQueueAdmin({ dataDir } as Connection),
      settle: async () => {},
    };
    const status = await readStatus(targets);
    const scanned = await countByScan(targets);
    // The two must agree, or the figure means nothing.
    for (const [state, count] of Object.entries(scanned)) {
      if (status.subscribers[state] !== count) {
        throw new Error(`status counts ${status.subscribers[state]} ${state}, the scan ${count}`);
      }
    }
    const statusMs = await timePerCall(() => readStatus(targets), { minMs: 300, rounds: 5 });
    // A full Scan takes seconds: the faster of two runs (the first one above warmed it up).
    const scans: number[] = [];
    for (let i = 0; i < 2; i += 1) {
      const t = performance.now();
      await countByScan(targets);
      scans.push(performance.now() - t);
    }
    const scanMs = Math.min(...scans);

    // The whole command, in its own process, attached to this stack as to `npm start`.
    await writeStackInfo({
      pid: process.pid,
      role: 'npm-start',
      state: 'running',
      command: 'bench',
      urls: stack.urls,
      dataDir,
      tableName,
      bucket,
      sender,
      timeZone,
    });
    const bin = new URL('../bin/paperboy.mjs', import.meta.url).pathname;
    const runs: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      const t = performance.now();
      // Asynchronously: the stack it attaches to answers from this process's event loop.
      const child = await promisify(execFile)(
        process.execPath,
        [bin, 'status', '--json', '--data-dir', dataDir],
        {
          encoding: 'utf8',
          env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'ERROR' },
        },
      );
      runs.push(performance.now() - t);
      const report = JSON.parse(child.stdout) as { subscribers: Record<string, number> };
      if (report.subscribers.active !== scanned.active) throw new Error('paperboy status counted otherwise');
    }
    const commandMs = Math.min(...runs);
    const imports = await benchImport(dataDir, bin);
    return [
      ...imports,
      result(
        `status on ${SUBSCRIBERS.toLocaleString('en-US')} subscribers: the command's reads (counters, no scan)`,
        statusMs,
        'ms',
        'counting subscribers by state with a full Scan',
        scanMs,
        false,
      ),
      result(
        `paperboy status on ${SUBSCRIBERS.toLocaleString('en-US')} subscribers, whole process (start, attach, read)`,
        commandMs,
        'ms',
        'counting subscribers by state with a full Scan',
        scanMs,
        false,
      ),
    ];
  } finally {
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
