import { type DynamoDBDocumentClient, paginateQuery } from '@aws-sdk/lib-dynamodb';
import type { Clock, Delivery, ReaderState, Readers } from '../core/ports.ts';
import { deliveryFromItem } from './dynamo-delivery-ledger.ts';
import { isExpired, keys } from './dynamo-keys.ts';
import { learnedFromItem } from './dynamo-learned-profiles.ts';
import { recordFromItem } from './dynamo-subscriber-repository.ts';

/** Delivery states whose papers count as received: sent, or possibly sent (a claim still open). */
const RECEIVED: ReadonlySet<Delivery['status']> = new Set(['sent', 'sending']);

/**
 * A reader's whole partition in one strongly consistent query (docs/data-model.md): the profile,
 * what their clicks taught (the learned profile), one delivery item per edition of the last 90 days (each with the papers chosen), and the
 * per-paper records older versions wrote (read until they expire). One request per reader
 * instead of a read of the profile and a query of the papers received.
 */
export class DynamoReaders implements Readers {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock,
  ) {}

  async load(subscriberId: string, editionDate: string): Promise<ReaderState> {
    const now = this.clock.now();
    const state: ReaderState = { subscriber: undefined, received: new Set(), delivery: undefined };
    const profile = keys.subscriber(subscriberId);
    const learned = keys.learned(subscriberId).SK;
    const thisDelivery = keys.delivery(subscriberId, editionDate).SK;
    const pages = paginateQuery(
      { client: this.client },
      {
        TableName: this.tableName,
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': profile.PK },
        ConsistentRead: true,
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        const sk = String(item.SK);
        if (sk === profile.SK) {
          state.subscriber = isExpired(item, now) ? undefined : recordFromItem(item);
        } else if (sk === learned) {
          state.learned = learnedFromItem(item);
        } else if (sk.startsWith(keys.deliveryPrefix)) {
          const delivery = deliveryFromItem(item);
          if (sk === thisDelivery) state.delivery = delivery;
          if (!isExpired(item, now) && RECEIVED.has(delivery.status)) {
            for (const id of delivery.paperIds) state.received.add(id);
          }
        } else if (sk.startsWith(keys.sentPrefix) && !isExpired(item, now)) {
          state.received.add(String(item.paperId));
        }
      }
    }
    return state;
  }
}
