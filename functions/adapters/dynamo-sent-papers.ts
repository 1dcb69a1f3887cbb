import { type DynamoDBDocumentClient, paginateQuery } from '@aws-sdk/lib-dynamodb';
import type { Clock, SentPapers } from '../core/ports.ts';
import { batchPut } from './dynamo-batch.ts';
import { isExpired, keys } from './dynamo-keys.ts';

const KEEP_DAYS = 90;

/** The papers each subscriber received, under the subscriber's partition, kept for 90 days. */
export class DynamoSentPapers implements SentPapers {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock,
  ) {}

  async received(subscriberId: string): Promise<Set<string>> {
    const now = this.clock.now();
    const ids = new Set<string>();
    const pages = paginateQuery(
      { client: this.client },
      {
        TableName: this.tableName,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
        ExpressionAttributeValues: { ':pk': keys.sentPaper(subscriberId, '').PK, ':prefix': keys.sentPrefix },
        ProjectionExpression: 'paperId, expiresAt',
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) if (!isExpired(item, now)) ids.add(String(item.paperId));
    }
    return ids;
  }

  async record(subscriberId: string, paperIds: readonly string[]): Promise<void> {
    const now = this.clock.now();
    const expiresAt = Math.floor(now.getTime() / 1000) + KEEP_DAYS * 86_400;
    await batchPut(
      this.client,
      this.tableName,
      paperIds.map((paperId) => ({
        ...keys.sentPaper(subscriberId, paperId),
        paperId,
        sentAt: now.toISOString(),
        expiresAt,
      })),
    );
  }
}
