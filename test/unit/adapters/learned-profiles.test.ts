import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../../functions/adapters/dynamo-keys.ts';
import {
  buildPutLearned,
  DynamoLearnedProfiles,
} from '../../../functions/adapters/dynamo-learned-profiles.ts';
import { DynamoPersonalData } from '../../../functions/adapters/dynamo-personal-data.ts';
import { DynamoReaders } from '../../../functions/adapters/dynamo-readers.ts';
import { DynamoSubscriberRepository } from '../../../functions/adapters/dynamo-subscriber-repository.ts';
import { applyVote, paperTerms } from '../../../functions/core/learning.ts';
import { LinkBuilder } from '../../../functions/core/links.ts';
import { recordVote } from '../../../functions/core/votes.ts';
import { documentClient } from '../../../functions/shared/aws/dynamodb.ts';
import { startDynalite } from '../../support/dynalite.ts';
import { activeSubscriber, FixedClock, MemoryPapers, testTokenKeys } from '../../support/memory-ports.ts';
import { NOW, paper } from '../../support/papers.ts';

const liked = applyVote(
  undefined,
  { paperId: 'p1', vote: 'more', terms: paperTerms({ ...paper('p1', 1), title: 'Dense retrieval' }) },
  NOW,
).profile;

describe('the learned profile item', () => {
  it('is written in the reader’s partition, on the version read (a first one only if none exists)', () => {
    expect(buildPutLearned('t', 'sub1', liked, 0)).toMatchObject({
      Item: { PK: 'SUB#sub1', SK: 'LEARNED', version: 1 },
      ConditionExpression: 'attribute_not_exists(PK)',
    });
    expect(buildPutLearned('t', 'sub1', { ...liked, version: 2 }, 1)).toMatchObject({
      ConditionExpression: 'attribute_exists(PK) AND #version = :expected',
      ExpressionAttributeValues: { ':expected': 1 },
    });
  });
});

describe('learned profiles in DynamoDB', () => {
  let db: Awaited<ReturnType<typeof startDynalite>>;
  beforeAll(async () => {
    db = await startDynalite();
  });
  afterAll(async () => db?.stop());

  it('are written once per version, read with the reader in the same one request, exported, and erased', async () => {
    const client = documentClient();
    const clock = new FixedClock(NOW);
    const store = new DynamoLearnedProfiles(client, db.tableName);
    await new DynamoSubscriberRepository(client, db.tableName, clock).create(activeSubscriber('rita'));
    expect(await store.put('rita', liked, 0)).toBe(true);
    // A second writer that read "none" loses: the vote is applied again on what is there.
    expect(await store.put('rita', liked, 0)).toBe(false);
    expect(await store.get('rita')).toEqual(liked);
    const next = applyVote(
      liked,
      { paperId: 'p1', vote: 'fewer', terms: liked.votes[0]?.terms ?? [] },
      NOW,
    ).profile;
    expect(await store.put('rita', next, 1)).toBe(true);
    expect(await store.put('rita', next, 1)).toBe(false);

    let requests = 0;
    client.middlewareStack.add(
      (nextHandler) => async (args) => {
        requests += 1;
        return nextHandler(args);
      },
      { step: 'initialize' },
    );
    const reader = await new DynamoReaders(client, db.tableName, clock).load('rita', '2026-11-26');
    expect(requests).toBe(1);
    expect(reader.learned).toEqual(next);

    const personal = new DynamoPersonalData(client, db.tableName);
    expect((await personal.exportOf('rita')).learned).toEqual(next);
    await personal.erase({
      id: 'rita',
      status: 'erased',
      version: 2,
      erasedAt: NOW.toISOString(),
      updatedAt: NOW.toISOString(),
    });
    expect(await store.get('rita')).toBeUndefined();

    await store.put('rita', liked, 0);
    await store.delete('rita');
    expect(await store.get('rita')).toBeUndefined();
  });

  it('a stored item that is not a profile reads as none (a send never fails on it)', async () => {
    const client = documentClient();
    await client.send(
      new PutCommand({
        TableName: db.tableName,
        Item: { ...keys.learned('odd'), votes: 'nonsense', version: 1 },
      }),
    );
    expect(await new DynamoLearnedProfiles(client, db.tableName).get('odd')).toBeUndefined();
    const reader = await new DynamoReaders(client, db.tableName, new FixedClock(NOW)).load(
      'odd',
      '2026-11-26',
    );
    expect(reader.learned).toBeUndefined();
  });

  it('an unreadable item is loaded as such, with its version, and a change writes over it (numeric version or none)', async () => {
    const client = documentClient();
    const store = new DynamoLearnedProfiles(client, db.tableName);
    const cases: [string, Record<string, unknown>, number | null][] = [
      ['garbled', { votes: 'garbage', version: 1 }, 1],
      ['noversion', { votes: 'garbage' }, null],
      ['textversion', { votes: [], version: 'three' }, null],
    ];
    for (const [id, item, version] of cases) {
      await client.send(new PutCommand({ TableName: db.tableName, Item: { ...keys.learned(id), ...item } }));
      const stored = await store.load(id);
      expect(stored).toEqual({ profile: undefined, version, unreadable: true });
      // A writer that expected no item, or another version, loses; the one that read it wins.
      expect(await store.put(id, { ...liked, version: 2 }, 0)).toBe(false);
      expect(await store.put(id, { ...liked, version: 2 }, 5)).toBe(false);
      expect(await store.put(id, { ...liked, version: 2 }, stored.version)).toBe(true);
      expect(await store.load(id)).toEqual({
        profile: { ...liked, version: 2 },
        version: 2,
        unreadable: false,
      });
      // Once readable, the null condition (no numeric version) no longer matches it.
      expect(await store.put(id, { ...liked, version: 3 }, null)).toBe(false);
    }
  });

  it('erasure deletes a profile a vote wrote after the erasure read the partition', async () => {
    const client = documentClient();
    const clock = new FixedClock(NOW);
    const store = new DynamoLearnedProfiles(client, db.tableName);
    await new DynamoSubscriberRepository(client, db.tableName, clock).create(activeSubscriber('late'));
    const personal = new DynamoPersonalData(client, db.tableName);
    // The vote's write lands between the erasure's query of the partition and its marker.
    let writes = 0;
    client.middlewareStack.add(
      (nextHandler, context) => async (args) => {
        const result = await nextHandler(args);
        if (context.commandName === 'QueryCommand' && writes === 0) {
          writes += 1;
          await store.put('late', liked, 0);
        }
        return result;
      },
      { step: 'initialize', name: 'late-vote' },
    );
    try {
      await personal.erase({
        id: 'late',
        status: 'erased',
        version: 2,
        erasedAt: NOW.toISOString(),
        updatedAt: NOW.toISOString(),
      });
    } finally {
      client.middlewareStack.remove('late-vote');
    }
    expect(writes).toBe(1);
    expect(await store.load('late')).toEqual({ profile: undefined, version: 0, unreadable: false });
  });

  it('20 votes of one reader fired at once against DynamoDB all land (conditional puts, jittered retries)', async () => {
    const client = documentClient();
    const clock = new FixedClock(NOW);
    const subscribers = new DynamoSubscriberRepository(client, db.tableName, clock);
    await subscribers.create(activeSubscriber('burst'));
    const ids = Array.from({ length: 16 }, (_, i) => `2611.${String(i).padStart(5, '0')}`);
    const papers = new MemoryPapers(
      ids.map((id, i) => ({ ...paper(id, 1), title: `Paper ${i} on topic ${i}` })),
    );
    const deps = {
      subscribers,
      keys: testTokenKeys,
      clock,
      learned: new DynamoLearnedProfiles(client, db.tableName),
      papers,
    };
    const links = await new LinkBuilder('https://papers.example.org/', testTokenKeys).feedback(
      'burst',
      'signup-burst',
      ids,
      NOW,
    );
    const token = (id: string) => new URL(links.get(id)?.more as string).searchParams.get('token') as string;
    const results = await Promise.allSettled([
      ...ids.map((id) => recordVote(token(id), id, 'more', deps)),
      ...ids.slice(0, 4).map((id) => recordVote(token(id), id, 'fewer', deps)),
    ]);
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const stored = await deps.learned.get('burst');
    expect(new Set(stored?.votes.map((v) => v.paperId))).toEqual(new Set(ids));
    // Every change that landed counted once: 16 first votes, and each of the 4 switches that
    // came after its paper's first vote (a switch that came first made the later "more" a switch).
    expect(stored?.version).toBe(20);
  });
});
