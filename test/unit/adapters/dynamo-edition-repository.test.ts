import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  DynamoEditionRepository,
  editionParts,
} from '../../../functions/adapters/dynamo-edition-repository.ts';
import type { Edition } from '../../../functions/core/edition.ts';
import { rankTrending } from '../../../functions/core/ranking.ts';
import { documentClient } from '../../../functions/shared/aws/dynamodb.ts';
import { startDynalite } from '../../support/dynalite.ts';
import { NOW, paper } from '../../support/papers.ts';

/** An edition of `n` papers whose abstracts are long enough to need several 300 KB parts. */
function edition(date: string, n: number, abstractChars = 3000): Edition {
  const papers = Array.from({ length: n }, (_, i) => ({
    ...paper(`2611.${String(i).padStart(5, '0')}`, i % 100),
    abstract: `${'word '.repeat(abstractChars / 5)}${i}`,
  }));
  return {
    date,
    createdAt: NOW.toISOString(),
    mode: 'daily',
    freshSince: '2026-11-25T00:00:00.000Z',
    entries: rankTrending(papers, NOW),
  };
}

describe('DynamoEditionRepository request shape', () => {
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
  const ddb = mockClient(client);
  afterEach(() => ddb.reset());

  it('writes the parts first, then the header on condition that no edition exists', async () => {
    ddb.on(BatchWriteCommand).resolves({});
    ddb.on(PutCommand).resolves({});
    const made = edition('2026-11-26', 3);
    expect(await new DynamoEditionRepository(client, 't').create(made)).toBe(true);
    const [write] = ddb.commandCalls(BatchWriteCommand);
    const parts = write?.args[0].input.RequestItems?.t ?? [];
    expect(parts).toHaveLength(1);
    const partItem = parts[0]?.PutRequest?.Item as Record<string, unknown>;
    expect(partItem.PK).toBe('EDITION#2026-11-26');
    expect(partItem.SK).toMatch(/^PART#[0-9a-f]{8}#0000$/u);
    const [header] = ddb.commandCalls(PutCommand);
    expect(header?.args[0].input).toMatchObject({
      TableName: 't',
      ConditionExpression: 'attribute_not_exists(PK)',
      Item: {
        PK: 'EDITION#2026-11-26',
        SK: 'EDITION',
        run: String(partItem.SK).slice(5, 13),
        parts: 1,
        entryCount: 3,
        mode: 'daily',
      },
    });
    expect(header?.args[0].input.Item).not.toHaveProperty('entries');
  });

  it('answers false, not an error, when another run stored the day first', async () => {
    ddb.on(BatchWriteCommand).resolves({});
    ddb.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'exists', $metadata: {} }));
    expect(await new DynamoEditionRepository(client, 't').create(edition('2026-11-26', 1))).toBe(false);
  });

  it('cuts parts under the item size limit, in order, and trims very long abstracts', () => {
    const parts = editionParts(edition('2026-11-26', 400).entries);
    expect(parts.length).toBeGreaterThan(3);
    for (const part of parts) expect(Buffer.byteLength(JSON.stringify(part))).toBeLessThan(400_000);
    expect(parts.flat().map((e) => e.paper.id)).toEqual(
      edition('2026-11-26', 400).entries.map((e) => e.paper.id),
    );
    const [long] = editionParts(edition('2026-11-26', 1, 10_000).entries);
    expect(long?.[0]?.paper.abstract.length).toBe(4000);
  });
});

describe('DynamoEditionRepository on the emulator', () => {
  let db: ReturnType<typeof startDynalite> extends Promise<infer T> ? T : never;
  beforeAll(async () => {
    db = await startDynalite();
  });
  afterAll(async () => db?.stop());

  it('reads back every entry of a many-part edition, in order, and keeps the first of two runs', async () => {
    const repo = new DynamoEditionRepository(documentClient(), db.tableName);
    const first = edition('2026-11-26', 400);
    expect(await repo.create(first)).toBe(true);
    const second = edition('2026-11-26', 5);
    expect(await repo.create(second)).toBe(false);
    const read = await repo.get('2026-11-26');
    expect(read?.entries.map((e) => e.paper.id)).toEqual(first.entries.map((e) => e.paper.id));
    expect(read).toMatchObject({ date: '2026-11-26', mode: 'daily', freshSince: first.freshSince });
    expect(await repo.get('2026-11-25')).toBeUndefined();
  });
});
