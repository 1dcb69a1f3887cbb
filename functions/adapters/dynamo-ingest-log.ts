import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { IngestLog, IngestRecord } from '../core/ports.ts';
import { keys, stripKeys } from './dynamo-keys.ts';

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
