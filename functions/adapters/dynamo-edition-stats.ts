import {
  type DynamoDBDocumentClient,
  GetCommand,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { EDITION_STAT_NAMES, type EditionStatCounts, type EditionStats } from '../core/ports.ts';
import { keys } from './dynamo-keys.ts';

/** One atomic `ADD` of every counter that changed: concurrent workers and events never lose a count. */
export function buildAddStats(
  tableName: string,
  editionDate: string,
  counts: EditionStatCounts,
): UpdateCommandInput | undefined {
  const names = EDITION_STAT_NAMES.filter((name) => (counts[name] ?? 0) !== 0);
  if (names.length === 0) return undefined;
  return {
    TableName: tableName,
    Key: keys.editionStats(editionDate),
    UpdateExpression: `ADD ${names.map((n) => `#${n} :${n}`).join(', ')}`,
    ExpressionAttributeNames: Object.fromEntries(names.map((n) => [`#${n}`, n])),
    ExpressionAttributeValues: Object.fromEntries(names.map((n) => [`:${n}`, counts[n]])),
  };
}

/** Per-edition counters (sent, delivered, bounced, complained, …) beside the edition's header. */
export class DynamoEditionStats implements EditionStats {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async add(editionDate: string, counts: EditionStatCounts): Promise<void> {
    const input = buildAddStats(this.tableName, editionDate, counts);
    if (input) await this.client.send(new UpdateCommand(input));
  }

  async get(editionDate: string): Promise<Required<EditionStatCounts>> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.editionStats(editionDate),
        ConsistentRead: true,
      }),
    );
    return Object.fromEntries(
      EDITION_STAT_NAMES.map((name) => [name, Number(Item?.[name] ?? 0)]),
    ) as Required<EditionStatCounts>;
  }
}
