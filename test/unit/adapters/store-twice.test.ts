import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { paginateScan } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoPaperRepository } from '../../../functions/adapters/dynamo-paper-repository.ts';
import type { Paper } from '../../../functions/core/paper.ts';
import { tableDefinition } from '../../../functions/local/table.ts';
import { documentClient } from '../../../functions/shared/aws/dynamodb.ts';
import { startDynalite } from '../../support/dynalite.ts';

let db: Awaited<ReturnType<typeof startDynalite>>;
beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => db?.stop());

/**
 * Papers drawn from small pools of ids and titles, so that a batch holds repeats, title-only
 * records of works that also have an arXiv id, near-duplicates and differing signals.
 */
const titles = [
  'Sparse Retrieval Heads',
  'Diffusion Sampling at Scale',
  'A Survey of Speech Models',
  'Robots That Read',
];
const arbPaper: fc.Arbitrary<Paper> = fc
  .record({
    id: fc.constantFrom('2611.00001', '2611.00002', '2611.00003', 't-aaaaaaaaaaaaaaaa', 't-bbbbbbbbbbbbbbbb'),
    title: fc.constantFrom(...titles),
    abstract: fc.constantFrom('', 'We study a thing.', 'We study a thing at length, with results.'),
    authors: fc.subarray(['Ana Berg', 'Chen Xu', 'D. Okafor']),
    day: fc.integer({ min: 20, max: 26 }),
    source: fc.constantFrom('hf-daily', 'arxiv-api', 'page-dump', 'jsonl'),
    upvotes: fc.option(fc.nat({ max: 500 }), { nil: undefined }),
    stars: fc.option(fc.nat({ max: 500 }), { nil: undefined }),
    observedHour: fc.integer({ min: 0, max: 23 }),
  })
  .map(
    (r): Paper => ({
      id: r.id,
      title: r.title,
      abstract: r.abstract,
      authors: r.authors,
      publishedAt: `2026-11-${r.day}T00:00:00.000Z`,
      source: r.source as Paper['source'],
      links: r.id.startsWith('t-') ? {} : { abstract: `https://arxiv.org/abs/${r.id}` },
      keywords: [],
      categories: [],
      signals: {
        ...(r.upvotes === undefined ? {} : { upvotes: r.upvotes }),
        ...(r.stars === undefined ? {} : { stars: r.stars }),
        observedAt: `2026-11-26T${String(r.observedHour).padStart(2, '0')}:00:00.000Z`,
      },
    }),
  );

async function snapshot(tableName: string): Promise<string[]> {
  const items: string[] = [];
  for await (const page of paginateScan({ client: documentClient() }, { TableName: tableName })) {
    for (const item of page.Items ?? []) items.push(JSON.stringify(item, Object.keys(item).sort()));
  }
  return items.sort();
}

describe('storing papers', () => {
  it('twice changes nothing: the second store writes nothing and reports everything unchanged', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(arbPaper, { minLength: 1, maxLength: 12 }), async (papers) => {
        run += 1;
        const tableName = `store-twice-${run}`;
        const client = new DynamoDBClient({});
        await client.send(new CreateTableCommand(tableDefinition(tableName)));
        client.destroy();
        const repo = new DynamoPaperRepository(documentClient(), tableName);
        await repo.store(papers);
        const before = await snapshot(tableName);
        const again = await repo.store(papers);
        expect(await snapshot(tableName)).toEqual(before);
        // Title-only records are still classified as merged into their arXiv paper, writing nothing.
        expect(again).toMatchObject({ new: 0, updated: 0, linked: 0 });
      }),
      { numRuns: 60 },
    );
  }, 60_000);
});
