import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { DigestHistory } from '../core/feeds.ts';
import { type Paper, PaperSchema } from '../core/paper.ts';
import type { Clock, Delivery } from '../core/ports.ts';
import { batchGet, keyId } from './dynamo-batch.ts';
import { deliveryFromItem } from './dynamo-delivery-ledger.ts';
import { isExpired, keys, stripKeys } from './dynamo-keys.ts';

/**
 * A reader's digests, for their personal feed: their delivery items (one query of their
 * partition, newest edition first) and the papers those carried (batched reads of 100).
 */
export class DynamoDigestHistory implements DigestHistory {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock,
  ) {}

  async recent(subscriberId: string, limit: number): Promise<Delivery[]> {
    const { Items } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
        ExpressionAttributeValues: {
          ':pk': keys.delivery(subscriberId, '').PK,
          ':prefix': keys.deliveryPrefix,
        },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    const now = this.clock.now();
    return (Items ?? []).filter((item) => !isExpired(item, now)).map(deliveryFromItem);
  }

  async papers(ids: readonly string[]): Promise<Map<string, Paper>> {
    const found = await batchGet(
      this.client,
      this.tableName,
      ids.map((id) => keys.paper(id)),
    );
    const out = new Map<string, Paper>();
    for (const id of ids) {
      const item = found.get(keyId(keys.paper(id)));
      const parsed = item ? PaperSchema.safeParse(stripKeys(item)) : undefined;
      if (parsed?.success) out.set(id, parsed.data);
    }
    return out;
  }
}
