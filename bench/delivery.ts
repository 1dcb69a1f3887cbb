/**
 * Sending, on the local stack (dynalite, the SES emulator behind its rate-limit stand-in):
 * - end to end: an edition to 2,000 readers through the stack's own send queue and handler
 *   (2 workers, 8 readers in flight each), the rate cap off, beside the same path one reader at a
 *   time (no readers in flight together), on 300 other readers of the same run;
 * - pacing: 1,000 readers with the SES account at 50/s and SES enforcing 50/s: the rate achieved
 *   (target within 5%) and the share of SendEmail calls SES took at the first try, beside the
 *   same sends unpaced (the account reported as 100,000/s: the SDK's retries alone);
 * - DynamoDB requests per digest sent, counted by a middleware on the send function's client:
 *   reads and writes, beside the per-entity pattern (read the profile, query the papers
 *   received, claim, complete, write one item per paper received) on the same client.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, paginateQuery } from '@aws-sdk/lib-dynamodb';
import { batchPut } from '../functions/adapters/dynamo-batch.ts';
import { DynamoDeliveryLedger } from '../functions/adapters/dynamo-delivery-ledger.ts';
import { keys } from '../functions/adapters/dynamo-keys.ts';
import { DynamoLearnedProfiles } from '../functions/adapters/dynamo-learned-profiles.ts';
import { DynamoSubscriberRepository } from '../functions/adapters/dynamo-subscriber-repository.ts';
import { compileTemplates } from '../functions/adapters/mjml-compiler.ts';
import { applyVote, type LearnedProfile, paperTerms } from '../functions/core/learning.ts';
import type { SendJob } from '../functions/core/ports.ts';
import { composeDigest, sendDigests } from '../functions/core/send-digests.ts';
import { functionEnvironment, type LocalSettings } from '../functions/local/local-runtime.ts';
import { defaultLocalOptions, type LocalStack, startLocalStack } from '../functions/local/stack.ts';
import { SendDigestEnv, sendDigestDeps } from '../functions/roots/send-digest.ts';
import { documentClient } from '../functions/shared/aws/dynamodb.ts';
import { parseEnv } from '../functions/shared/config.ts';
import { systemClock } from '../functions/shared/system-clock.ts';
import { rankAndDispatch, storePapersFor, storeReaders } from '../test/support/readers.ts';
import { type BenchResult, result } from './harness.ts';

const EDITION = '2026-11-26';

async function withStack<T>(
  ses: { maxSendRate: number; enforcedRate?: number },
  work: (stack: LocalStack, settings: LocalSettings) => Promise<T>,
): Promise<T> {
  const dataDir = await mkdtemp(join(tmpdir(), 'paperboy-bench-'));
  const stack = await startLocalStack({
    ...defaultLocalOptions,
    dataDir,
    persist: false,
    ports: { api: 0, dynamodb: 0, s3: 0, ses: 0 },
    ses,
  });
  try {
    await storePapersFor(stack.options.tableName, EDITION, '2611', 20);
    return await work(stack, { ...stack.options, sesMaxSendRate: ses.maxSendRate });
  } finally {
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Sends per second through the stack's queue (its two in-process workers). */
async function throughQueue(stack: LocalStack, jobs: SendJob[]): Promise<number> {
  const sendsBefore = stack.sesThrottle.sends - stack.sesThrottle.throttled;
  const started = performance.now();
  await stack.local.queue.enqueue(jobs);
  await stack.idle();
  const seconds = (performance.now() - started) / 1000;
  const sent = stack.sesThrottle.sends - stack.sesThrottle.throttled - sendsBefore;
  if (stack.deadLetters.length > 0) throw new Error(`send jobs failed: ${stack.deadLetters[0]?.error}`);
  return sent / seconds;
}

async function endToEnd(): Promise<BenchResult[]> {
  return withStack({ maxSendRate: 100_000 }, async (stack, settings) => {
    await storeReaders(stack.options.tableName, 2_300);
    const jobs = await rankAndDispatch(stack.urls, settings, EDITION);
    const ids = jobs.flatMap((j) => j.subscriberIds);
    const page = (from: number, to: number): SendJob[] => {
      const out: SendJob[] = [];
      for (let i = from; i < to; i += 50)
        out.push({ editionDate: EDITION, subscriberIds: ids.slice(i, Math.min(i + 50, to)) });
      return out;
    };
    // The baseline first (a cold stack is its disadvantage, not ours): one reader at a time.
    const deps = stack.local.operator.send;
    const started = performance.now();
    let sequential = 0;
    for (const job of page(2_000, 2_300))
      sequential += (await sendDigests(job, { ...deps, concurrency: 1 })).sent;
    const sequentialRate = sequential / ((performance.now() - started) / 1000);
    const rate = await throughQueue(stack, page(0, 2_000));
    return [
      result(
        'sending an edition on the local stack (2 workers × 8 in flight, cap off)',
        rate,
        'digests/s',
        'one reader at a time, same stack and path',
        sequentialRate,
        true,
      ),
    ];
  });
}

async function pacing(): Promise<BenchResult[]> {
  const run = async (reportedRate: number) =>
    withStack({ maxSendRate: reportedRate, enforcedRate: 50 }, async (stack, settings) => {
      await storeReaders(stack.options.tableName, 1_000);
      const jobs = await rankAndDispatch(stack.urls, settings, EDITION);
      await throughQueue(stack, jobs);
      const { sends, throttled, firstPassedAt = 0, lastPassedAt = 0 } = stack.sesThrottle;
      const passed = sends - throttled;
      return {
        achieved: (passed - 1) / ((lastPassedAt - firstPassedAt) / 1000),
        firstTry: (passed / sends) * 100,
        throttled,
      };
    });
  const paced = await run(50);
  const unpaced = await run(100_000);
  if (paced.throttled > 0) console.error(`pacing at 50/s: ${paced.throttled} SendEmail calls were throttled`);
  return [
    result('pacing at 50/s: rate achieved', paced.achieved, 'messages/s', 'the rate set', 50, true),
    result(
      'pacing at 50/s: SendEmail calls SES took at the first try',
      paced.firstTry,
      '%',
      'the same sends unpaced (SDK retries alone)',
      unpaced.firstTry,
      true,
    ),
  ];
}

/** A DynamoDB client that counts the requests it sends, by kind. */
function countingClient(): { db: DynamoDBDocumentClient; reads: () => number; writes: () => number } {
  const counts = { reads: 0, writes: 0 };
  const READS = new Set(['GetItemCommand', 'QueryCommand', 'BatchGetItemCommand', 'ScanCommand']);
  const client = new DynamoDBClient({ maxAttempts: 8, retryMode: 'adaptive' });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (READS.has(context.commandName ?? '')) counts.reads += 1;
      else counts.writes += 1;
      return next(args);
    },
    { step: 'initialize', name: 'countRequests' },
  );
  const db = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  return { db, reads: () => counts.reads, writes: () => counts.writes };
}

/**
 * Every reader has a learned profile (10 votes on half the edition's papers) in their partition: the
 * send path reads it in the same query as the reader; the per-entity pattern reads it with one
 * more GetItem.
 */
export async function requestsPerDigest(withProfiles = true): Promise<BenchResult[]> {
  return withStack({ maxSendRate: 100_000 }, async (stack, settings) => {
    const readers = await storeReaders(stack.options.tableName, 1_000);
    const jobs = await rankAndDispatch(stack.urls, settings, EDITION);
    const voted = (await stack.local.operator.editions.get(EDITION))?.entries.map((e) => e.paper) ?? [];
    let profile: LearnedProfile | undefined;
    for (const [i, paper] of voted.slice(0, 10).entries())
      profile = applyVote(
        profile,
        { paperId: paper.id, vote: i % 3 ? 'more' : 'fewer', terms: paperTerms(paper) },
        new Date(),
      ).profile;
    if (!profile) throw new Error('no papers to vote on');
    if (withProfiles)
      await batchPut(
        documentClient(),
        stack.options.tableName,
        readers.map((r) => ({ ...keys.learned(r.id), ...(profile as LearnedProfile) })),
      );
    const env = parseEnv(SendDigestEnv, functionEnvironment(stack.urls, settings));
    // Paperboy's send path, on its own counted client: the first 500 readers.
    const ours = countingClient();
    const deps = sendDigestDeps(env, { db: ours.db, templates: await compileTemplates() });
    let sent = 0;
    for (const job of jobs.slice(0, 10)) {
      const outcome = await sendDigests(job, deps);
      sent += outcome.sent;
    }

    // The per-entity pattern on its own counted client: the other 500.
    const naive = countingClient();
    const subscribers = new DynamoSubscriberRepository(naive.db, env.TABLE_NAME, systemClock);
    const ledger = new DynamoDeliveryLedger(naive.db, env.TABLE_NAME, systemClock);
    const learnedProfiles = new DynamoLearnedProfiles(naive.db, env.TABLE_NAME);
    const edition = await deps.editions.get(EDITION);
    if (!edition) throw new Error('no edition');
    const selector = deps.selectorFor(edition);
    let naiveSent = 0;
    for (const job of jobs.slice(10, 20)) {
      for (const id of job.subscriberIds) {
        const subscriber = await subscribers.get(id);
        if (subscriber?.status !== 'active') continue;
        const received = new Set<string>();
        for await (const page of paginateQuery(
          { client: naive.db },
          {
            TableName: env.TABLE_NAME,
            KeyConditionExpression: 'PK = :pk AND begins_with(SK, :sent)',
            ExpressionAttributeValues: { ':pk': keys.subscriber(id).PK, ':sent': keys.sentPrefix },
            ConsistentRead: true,
          },
        )) {
          for (const item of page.Items ?? []) received.add(String(item.paperId));
        }
        const learned = await learnedProfiles.get(id);
        const chosen = selector.choose(
          {
            topics: subscriber.topics,
            authors: [],
            exclude: [],
            digestSize: subscriber.digestSize,
            sent: received,
            learned,
          },
          edition.mode,
        );
        const paperIds = chosen.map((c) => c.entry.paper.id);
        if (!(await ledger.claim(id, EDITION, paperIds))) continue;
        const { messageId } = await deps.sender.send(await composeDigest(subscriber, edition, chosen, deps));
        await ledger.complete(id, EDITION, messageId);
        await batchPut(
          naive.db,
          env.TABLE_NAME,
          paperIds.map((paperId) => ({
            ...keys.sentPaper(id, paperId),
            paperId,
            sentAt: new Date().toISOString(),
          })),
        );
        naiveSent += 1;
      }
    }
    return [
      result(
        'DynamoDB reads per digest sent (every reader with a learned profile)',
        ours.reads() / sent,
        'requests',
        'read the profile, the learned profile, then query the papers received',
        naive.reads() / naiveSent,
        false,
      ),
      result(
        'DynamoDB writes per digest sent',
        ours.writes() / sent,
        'requests',
        'claim, complete, then write the papers received',
        naive.writes() / naiveSent,
        false,
      ),
    ];
  });
}

export async function benchDelivery(): Promise<BenchResult[]> {
  return [...(await endToEnd()), ...(await pacing()), ...(await requestsPerDigest())];
}
