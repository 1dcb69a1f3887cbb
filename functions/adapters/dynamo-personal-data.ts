import { DeleteCommand, type DynamoDBDocumentClient, PutCommand, paginateQuery } from '@aws-sdk/lib-dynamodb';
import type { PersonalData, PersonalDataExport } from '../core/ports.ts';
import type { ErasedSubscriber } from '../core/subscriber.ts';
import { batchDelete } from './dynamo-batch.ts';
import { countedStateOf, DynamoCounters, transition } from './dynamo-counters.ts';
import { keys } from './dynamo-keys.ts';
import { learnedFromItem } from './dynamo-learned-profiles.ts';
import { recordFromItem, subscriberItem } from './dynamo-subscriber-repository.ts';

/**
 * Everything stored about a reader lives in their partition (see `keys.subscriber`): the profile, what
 * their clicks taught (`keys.learned`), one
 * delivery item per edition (with the papers it carried), and per-paper records older versions wrote. Export reads the partition; erasure
 * deletes it and writes the erased marker in the profile's place.
 */
export class DynamoPersonalData implements PersonalData {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async exportOf(subscriberId: string): Promise<PersonalDataExport> {
    const result: PersonalDataExport = { subscriber: undefined, deliveries: [], papersReceived: [] };
    for (const item of await this.partition(subscriberId)) {
      const sk = String(item.SK);
      if (sk === keys.subscriber(subscriberId).SK) result.subscriber = recordFromItem(item);
      else if (sk === keys.learned(subscriberId).SK) {
        const learned = learnedFromItem(item);
        if (learned) result.learned = learned;
      } else if (sk.startsWith(keys.deliveryPrefix)) {
        const at = String(item.sentAt ?? item.claimedAt ?? '');
        result.deliveries.push({
          editionDate: sk.slice(keys.deliveryPrefix.length),
          status: String(item.status),
          channel: item.channel === 'feed' ? 'feed' : 'email',
          ...(at ? { at } : {}),
          ...(item.messageId ? { messageId: String(item.messageId) } : {}),
          ...exportedPapers(item.paperIds, item.reasons),
        });
        // The papers a sent delivery carried are the papers received.
        if (item.status === 'sent' && Array.isArray(item.paperIds)) {
          for (const paperId of item.paperIds)
            result.papersReceived.push({ paperId: String(paperId), sentAt: at });
        }
      } else if (sk.startsWith(keys.sentPrefix)) {
        result.papersReceived.push({ paperId: String(item.paperId), sentAt: String(item.sentAt) });
      }
    }
    return result;
  }

  async erase(marker: ErasedSubscriber): Promise<void> {
    const profile = keys.subscriber(marker.id);
    const others = (await this.partition(marker.id)).filter((item) => item.SK !== profile.SK);
    await batchDelete(
      this.client,
      this.tableName,
      others.map((item) => ({ PK: item.PK, SK: item.SK })),
    );
    // The marker replaces the profile whatever it held: erasure wins over any concurrent change.
    const item = subscriberItem(marker);
    const { Attributes: before } = await this.client.send(
      new PutCommand({ TableName: this.tableName, Item: item, ReturnValues: 'ALL_OLD' }),
    );
    // A vote in flight may have written the learned profile after the query above: deleted once
    // more after the marker (the vote, reading the reader after its write, deletes it if it came later).
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: keys.learned(marker.id) }));
    await new DynamoCounters(this.client, this.tableName).add(
      transition(countedStateOf(before), countedStateOf(item)),
    );
  }

  private async partition(subscriberId: string): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    const pages = paginateQuery(
      { client: this.client },
      {
        TableName: this.tableName,
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': keys.subscriber(subscriberId).PK },
        ConsistentRead: true,
      },
    );
    for await (const page of pages) items.push(...(page.Items ?? []));
    return items;
  }
}

/** A delivery's papers with why each was chosen, as stored (an older one has no reasons). */
function exportedPapers(
  paperIds: unknown,
  reasons: unknown,
): { papers?: { paperId: string; reasons: string[] }[] } {
  if (!Array.isArray(paperIds) || paperIds.length === 0) return {};
  const why = Array.isArray(reasons) ? reasons : [];
  return {
    papers: paperIds.map((id, i) => ({
      paperId: String(id),
      reasons: Array.isArray(why[i]) ? (why[i] as unknown[]).map(String) : [],
    })),
  };
}
