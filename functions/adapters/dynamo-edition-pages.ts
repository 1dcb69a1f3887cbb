import { type DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import {
  type ArchivePage,
  type EditionListing,
  type EditionPage,
  type EditionPages,
  listingOf,
} from '../core/archive.ts';
import type { DigestPaper } from '../core/digest.ts';
import { batchGet, batchPut, keyId } from './dynamo-batch.ts';
import { GSI1, keys, stripKeys } from './dynamo-keys.ts';

const Mode = z.enum(['daily', 'week']);
/** A stored page, checked as it is read back (a card's fields are the view model's). */
const PageItem = z.object({
  date: z.iso.date(),
  mode: Mode,
  createdAt: z.string(),
  entryCount: z.number().int().min(0),
  heading: z.string(),
  dateLabel: z.string(),
  summary: z.string(),
  papers: z.array(
    z
      .object({
        rank: z.number(),
        title: z.string(),
        url: z.string(),
        authors: z.string(),
        tldr: z.string(),
        keywords: z.array(z.string()),
        links: z.array(z.object({ text: z.string(), url: z.string() })),
        reasons: z.array(z.string()),
      })
      .loose(),
  ),
});
const ListingItem = z.object({
  date: z.iso.date(),
  mode: Mode,
  entryCount: z.number().int().min(0),
  topTitles: z.array(z.string()),
});
/** An edition header, as the archive's index reads it from GSI1 (the editions by date). */
const HeaderItem = z
  .object({ date: z.iso.date(), mode: Mode, entryCount: z.number().int().min(0).optional() })
  .loose();

/**
 * Edition pages in the table (docs/data-model.md): the edition's page item holds the cards
 * (about 30 KB), its listing item the index line (under 1 KB). The index pages through the
 * edition headers already kept in GSI1 (by date), so that editions made before pages were
 * stored are listed too, and reads the listing items of one page of dates in one batch.
 */
export class DynamoEditionPages implements EditionPages {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async put(page: EditionPage): Promise<void> {
    await batchPut(this.client, this.tableName, [
      { ...keys.editionPage(page.date), ...page },
      { ...keys.editionListing(page.date), ...listingOf(page) },
    ]);
  }

  async get(date: string): Promise<EditionPage | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.editionPage(date) }),
    );
    if (!Item) return undefined;
    const page = PageItem.parse(stripKeys(Item));
    return { ...page, papers: page.papers as DigestPaper[] };
  }

  async list(limit: number, before?: string, after?: string): Promise<ArchivePage> {
    const { Items, LastEvaluatedKey } = await this.client.send(
      new QueryCommand(buildArchiveQuery(this.tableName, limit, before, after)),
    );
    const headers = (Items ?? []).map((item) => HeaderItem.parse(stripKeys(item)));
    // Read oldest first after `after`: listed newest first as every page.
    if (after) headers.reverse();
    const found = await batchGet(
      this.client,
      this.tableName,
      headers.map((h) => keys.editionListing(h.date)),
    );
    const listings: EditionListing[] = headers.map((header) => {
      const item = found.get(keyId(keys.editionListing(header.date)));
      if (item) return ListingItem.parse(stripKeys(item));
      // Made before pages were stored: its date and size, no titles.
      return { date: header.date, mode: header.mode, entryCount: header.entryCount ?? 0, topTitles: [] };
    });
    const last = listings.at(-1);
    if (after) {
      return {
        listings,
        ...(last ? { next: last.date } : {}),
        ...(LastEvaluatedKey && listings[0] ? { newer: listings[0].date } : {}),
      };
    }
    return { listings, ...(LastEvaluatedKey && last ? { next: last.date } : {}) };
  }
}

/**
 * The edition headers, newest first, before `before` (a date) if given; with `after`, oldest
 * first from just after that date (the caller turns them round).
 */
export function buildArchiveQuery(tableName: string, limit: number, before?: string, after?: string) {
  const all = keys.editionByDate('');
  if (after) {
    return {
      TableName: tableName,
      IndexName: GSI1,
      KeyConditionExpression: 'GSI1PK = :editions AND GSI1SK > :after',
      ExpressionAttributeValues: { ':editions': all.GSI1PK, ':after': keys.editionByDate(after).GSI1SK },
      ScanIndexForward: true,
      Limit: limit,
    };
  }
  return {
    TableName: tableName,
    IndexName: GSI1,
    KeyConditionExpression: before ? 'GSI1PK = :editions AND GSI1SK < :before' : 'GSI1PK = :editions',
    ExpressionAttributeValues: {
      ':editions': all.GSI1PK,
      ...(before ? { ':before': keys.editionByDate(before).GSI1SK } : {}),
    },
    ScanIndexForward: false,
    Limit: limit,
  };
}
