import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Edition, EditionRepository, IngestLog, IngestRecord } from '../core/ports.ts';
import { isConditionFailure, keys, stripKeys } from './dynamo-keys.ts';

export class DynamoEditionRepository implements EditionRepository {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(edition: Edition): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.edition(edition.date), ...edition },
          ConditionExpression: 'attribute_not_exists(PK)',
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async get(date: string): Promise<Edition | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.edition(date), ConsistentRead: true }),
    );
    return Item ? (stripKeys(Item) as unknown as Edition) : undefined;
  }
}

/** One item per ingest of a file version, under the file's key: its full history is one query. */
export class DynamoIngestLog implements IngestLog {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** The ingests of one file recorded at or after `since` (ISO time), oldest first. */
  async since(key: string, since: string): Promise<IngestRecord[]> {
    const { PK, SK } = keys.ingest(key, since, '');
    const { Items } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'PK = :pk AND SK >= :sk',
        ExpressionAttributeValues: { ':pk': PK, ':sk': SK },
        ConsistentRead: true,
      }),
    );
    return (Items ?? []).map((item) => stripKeys(item) as unknown as IngestRecord);
  }

  async record(entry: IngestRecord): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.ingest(entry.key, entry.at, entry.etag), ...entry },
      }),
    );
  }
}
