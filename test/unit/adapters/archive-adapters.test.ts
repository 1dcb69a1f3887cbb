import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDeliveryLedger } from '../../../functions/adapters/dynamo-delivery-ledger.ts';
import { DynamoDigestHistory } from '../../../functions/adapters/dynamo-digest-history.ts';
import { buildArchiveQuery, DynamoEditionPages } from '../../../functions/adapters/dynamo-edition-pages.ts';
import { DynamoEditionRepository } from '../../../functions/adapters/dynamo-edition-repository.ts';
import { DynamoPaperRepository } from '../../../functions/adapters/dynamo-paper-repository.ts';
import { DynamoReaders } from '../../../functions/adapters/dynamo-readers.ts';
import { buildEditionPage } from '../../../functions/core/archive.ts';
import type { Edition } from '../../../functions/core/edition.ts';
import { rankTrending } from '../../../functions/core/ranking.ts';
import { documentClient } from '../../../functions/shared/aws/dynamodb.ts';
import { startDynalite } from '../../support/dynalite.ts';
import { FixedClock } from '../../support/memory-ports.ts';
import { NOW, paper } from '../../support/papers.ts';

function edition(date: string, n: number): Edition {
  const papers = Array.from({ length: n }, (_, i) =>
    paper(`${date.slice(2, 4)}${date.slice(5, 7)}.${date.slice(8)}${i}`, i),
  );
  return {
    date,
    createdAt: `${date}T06:00:00.000Z`,
    mode: 'daily',
    freshSince: `${date}T00:00:00.000Z`,
    entries: rankTrending(papers, NOW),
  };
}

describe('archive adapters on the local DynamoDB', () => {
  let stop: () => Promise<void>;
  let table: string;
  beforeAll(async () => {
    const db = await startDynalite();
    stop = db.stop;
    table = db.tableName;
  });
  afterAll(async () => stop?.());

  it('stores a page and its index line, lists every edition newest first (old ones without titles), pages by date', async () => {
    const client = documentClient();
    const editions = new DynamoEditionRepository(client, table);
    const pages = new DynamoEditionPages(client, table);
    for (const day of ['20', '21', '22', '23']) await editions.create(edition(`2026-11-${day}`, 5));
    // The 20th was made before pages were stored.
    for (const day of ['21', '22', '23']) {
      await pages.put(buildEditionPage((await editions.get(`2026-11-${day}`)) as Edition));
    }
    const page = await pages.get('2026-11-22');
    expect(page?.papers).toHaveLength(5);
    expect(page?.papers[0]?.title).toBe((await editions.get('2026-11-22'))?.entries[0]?.paper.title);
    expect(await pages.get('2026-11-20')).toBeUndefined();
    const first = await pages.list(2);
    expect(first.listings.map((l) => l.date)).toEqual(['2026-11-23', '2026-11-22']);
    expect(first.listings[0]?.topTitles).toHaveLength(3);
    expect(first.listings[0]?.entryCount).toBe(5);
    expect(first.next).toBe('2026-11-22');
    const second = await pages.list(2, first.next);
    expect(second.listings.map((l) => l.date)).toEqual(['2026-11-21', '2026-11-20']);
    expect(second.listings[1]).toEqual({ date: '2026-11-20', mode: 'daily', entryCount: 5, topTitles: [] });
    expect((await pages.list(2, '2026-11-20')).listings).toEqual([]);
    // One page back (issue 14, F10): the editions just newer than a date, newest first.
    const back = await pages.list(2, undefined, '2026-11-21');
    expect(back.listings.map((l) => l.date)).toEqual(['2026-11-23', '2026-11-22']);
    expect(back.next).toBe('2026-11-22');
    const middle = await pages.list(2, undefined, '2026-11-20');
    expect(middle.listings.map((l) => l.date)).toEqual(['2026-11-22', '2026-11-21']);
    expect(middle.newer).toBe('2026-11-22');
    expect((await pages.list(2, undefined, '2026-11-23')).listings).toEqual([]);
    expect(buildArchiveQuery('t', 20, '2026-11-22')).toMatchObject({
      IndexName: 'GSI1',
      KeyConditionExpression: 'GSI1PK = :editions AND GSI1SK < :before',
      ExpressionAttributeValues: { ':editions': 'EDITIONS', ':before': 'EDITION#2026-11-22' },
      ScanIndexForward: false,
      Limit: 20,
    });
  });

  it('records reasons with a claim, a feed-only digest as sent at once, and reads a reader’s digests back with their papers', async () => {
    const client = documentClient();
    const clock = new FixedClock(new Date('2026-11-26T07:00:00Z'));
    const ledger = new DynamoDeliveryLedger(client, table, clock);
    const papers = new DynamoPaperRepository(client, table);
    await papers.store([paper('2611.00001', 2), paper('2611.00002', 3)]);
    expect(
      await ledger.claim('r1', '2026-11-25', ['2611.00001'], { reasons: [['matches “retrieval”']] }),
    ).toBe(true);
    await ledger.complete('r1', '2026-11-25', 'm-1');
    expect(
      await ledger.claim('r1', '2026-11-26', ['2611.00002', '2611.00001'], {
        reasons: [['a'], ['b', 'c']],
        channel: 'feed',
      }),
    ).toBe(true);
    // Recorded once: a second claim of a feed-only digest is refused.
    expect(await ledger.claim('r1', '2026-11-26', ['2611.00002'], { channel: 'feed' })).toBe(false);
    expect(await ledger.listSending('2026-11-27T00:00:00Z')).toEqual([]);
    const history = new DynamoDigestHistory(client, table, clock);
    const recent = await history.recent('r1', 10);
    expect(recent.map((d) => [d.editionDate, d.status, d.channel ?? 'email', d.reasons])).toEqual([
      ['2026-11-26', 'sent', 'feed', [['a'], ['b', 'c']]],
      ['2026-11-25', 'sent', 'email', [['matches “retrieval”']]],
    ]);
    expect((await history.recent('r1', 1)).map((d) => d.editionDate)).toEqual(['2026-11-26']);
    const found = await history.papers(['2611.00001', '2611.00002', 'missing']);
    expect([...found.keys()]).toEqual(['2611.00001', '2611.00002']);
    // Feed-only papers count as received: never twice.
    const state = await new DynamoReaders(client, table, clock).load('r1', '2026-11-27');
    expect([...state.received].sort()).toEqual(['2611.00001', '2611.00002']);
  });
});
