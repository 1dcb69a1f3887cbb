/**
 * Readers, papers and an edition's send jobs on a local stack, in bulk: what the delivery test
 * and the delivery bench start from.
 */
import { batchPut } from '../../functions/adapters/dynamo-batch.ts';
import { DynamoPaperRepository } from '../../functions/adapters/dynamo-paper-repository.ts';
import { subscriberItem } from '../../functions/adapters/dynamo-subscriber-repository.ts';
import type { SendJob } from '../../functions/core/ports.ts';
import { rankEdition } from '../../functions/core/rank-edition.ts';
import type { Subscriber } from '../../functions/core/subscriber.ts';
import {
  functionEnvironment,
  type LocalEndpoints,
  type LocalSettings,
} from '../../functions/local/local-runtime.ts';
import { RankPapersEnv, rankPapersDeps } from '../../functions/roots/rank-papers.ts';
import { documentClient } from '../../functions/shared/aws/dynamodb.ts';
import { parseEnv } from '../../functions/shared/config.ts';
import { paper } from './papers.ts';

/** Reader number `i`: `r00042@example.org`, daily, no topics, 3 papers a digest. */
export function reader(i: number, overrides: Partial<Subscriber> = {}): Subscriber {
  const id = `r${String(i).padStart(5, '0')}`;
  return {
    id,
    email: `${id}@example.org`,
    status: 'active',
    topics: [],
    authors: [],
    exclude: [],
    frequency: 'daily',
    digestSize: 3,
    signupId: `signup-${id}`,
    version: 1,
    createdAt: '2026-11-01T00:00:00.000Z',
    updatedAt: '2026-11-01T00:00:00.000Z',
    ...overrides,
  };
}

/** Readers `from` … `from + count - 1`, written in batches. */
export async function storeReaders(tableName: string, count: number, from = 0): Promise<Subscriber[]> {
  const readers = Array.from({ length: count }, (_, i) => reader(from + i));
  await batchPut(documentClient(), tableName, readers.map(subscriberItem));
  return readers;
}

/** `count` papers published the morning of `date`, so that its edition has them all as new. */
export async function storePapersFor(
  tableName: string,
  date: string,
  prefix: string,
  count: number,
): Promise<void> {
  const at = new Date(`${date}T06:00:00Z`);
  await new DynamoPaperRepository(documentClient(), tableName).store(
    Array.from({ length: count }, (_, i) => ({
      ...paper(`${prefix}.${String(i).padStart(5, '0')}`, 0, { upvotes: 100 - i }),
      publishedAt: new Date(at.getTime() - i * 60_000).toISOString(),
    })),
  );
}

/**
 * Makes the edition of `date` with the rank function's own use case and composition root, and
 * returns its send jobs (one per page of the readers due) instead of queueing them.
 */
export async function rankAndDispatch(
  endpoints: LocalEndpoints,
  settings: LocalSettings,
  date: string,
): Promise<SendJob[]> {
  const jobs: SendJob[] = [];
  const deps = rankPapersDeps(parseEnv(RankPapersEnv, functionEnvironment(endpoints, settings)), {
    queue: { enqueue: async (more) => void jobs.push(...more) },
  });
  const result = await rankEdition({ date }, deps);
  if (result.entries === 0) throw new Error(`the edition of ${date} has no papers`);
  return jobs;
}
