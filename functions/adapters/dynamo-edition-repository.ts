import { randomUUID } from 'node:crypto';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateQuery,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Edition, EditionRepository, EditionSummary } from '../core/ports.ts';
import type { RankedPaper } from '../core/ranking.ts';
import { batchPut } from './dynamo-batch.ts';
import { decodeCursor, encodeCursor, GSI1, isConditionFailure, keys, stripKeys } from './dynamo-keys.ts';

/** A DynamoDB item holds 400 KB; parts stay well under it. */
const PART_BYTES = 300_000;
/** Abstracts longer than this are cut in the edition (relevance and emails need far less). */
const ABSTRACT_CHARS = 4000;

/** Splits candidates into parts that each fit in one item, in order. */
export function editionParts(entries: readonly RankedPaper[]): RankedPaper[][] {
  const parts: RankedPaper[][] = [];
  let current: RankedPaper[] = [];
  let size = 0;
  for (const entry of entries) {
    const trimmed = {
      ...entry,
      paper: { ...entry.paper, abstract: entry.paper.abstract.slice(0, ABSTRACT_CHARS) },
    };
    const bytes = Buffer.byteLength(JSON.stringify(trimmed));
    if (size + bytes > PART_BYTES && current.length > 0) {
      parts.push(current);
      current = [];
      size = 0;
    }
    current.push(trimmed);
    size += bytes;
  }
  if (current.length > 0) parts.push(current);
  return parts;
}

/**
 * An edition is a header item and its candidates in parts. Parts are written first under a
 * run id, then the header, conditionally: if two runs race, one header wins and the reader only
 * ever reads the parts that header names.
 */
export class DynamoEditionRepository implements EditionRepository {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(edition: Edition): Promise<boolean> {
    const run = randomUUID().slice(0, 8);
    const parts = editionParts(edition.entries);
    await batchPut(
      this.client,
      this.tableName,
      parts.map((entries, i) => ({ ...keys.editionPart(edition.date, run, i), entries })),
    );
    const { entries: _entries, ...header } = edition;
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keys.edition(edition.date),
            ...keys.editionByDate(edition.date),
            ...header,
            run,
            parts: parts.length,
            entryCount: edition.entries.length,
          },
          ConditionExpression: 'attribute_not_exists(PK)',
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async latest(): Promise<EditionSummary | undefined> {
    const { Items } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: GSI1,
        KeyConditionExpression: 'GSI1PK = :editions',
        ExpressionAttributeValues: { ':editions': keys.editionByDate('').GSI1PK },
        ScanIndexForward: false,
        Limit: 1,
      }),
    );
    const item = Items?.[0];
    if (!item) return undefined;
    const { run: _run, parts: _parts, ...summary } = stripKeys(item);
    return summary as unknown as EditionSummary;
  }

  /** Edition summaries, newest first, a page at a time (the operator's `editions list`). */
  async list(limit: number, cursor?: string): Promise<{ editions: EditionSummary[]; next?: string }> {
    const page = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: GSI1,
        KeyConditionExpression: 'GSI1PK = :editions',
        ExpressionAttributeValues: { ':editions': keys.editionByDate('').GSI1PK },
        ScanIndexForward: false,
        Limit: limit,
        ExclusiveStartKey: decodeCursor(cursor),
      }),
    );
    const editions = (page.Items ?? []).map((item) => {
      const { run: _run, parts: _parts, ...summary } = stripKeys(item);
      return summary as unknown as EditionSummary;
    });
    const next = encodeCursor(page.LastEvaluatedKey);
    return next ? { editions, next } : { editions };
  }

  async get(date: string): Promise<Edition | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.edition(date), ConsistentRead: true }),
    );
    if (!Item) return undefined;
    const { run, parts: _parts, entryCount: _count, ...header } = stripKeys(Item);
    const entries: RankedPaper[] = [];
    const pages = paginateQuery(
      { client: this.client },
      {
        TableName: this.tableName,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
        ExpressionAttributeValues: {
          ':pk': keys.edition(date).PK,
          ':prefix': keys.editionPartPrefix(String(run)),
        },
        ConsistentRead: true,
      },
    );
    for await (const page of pages)
      for (const part of page.Items ?? []) entries.push(...(part.entries as RankedPaper[]));
    return { ...(header as Omit<Edition, 'entries'>), entries };
  }
}
