import { createHash } from 'node:crypto';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { CollectRun, CollectRunLog, FetchState, FetchStateStore } from '../core/ports.ts';
import { keys, stripKeys, TTL_ATTRIBUTE } from './dynamo-keys.ts';

/** A run record is kept this long (then DynamoDB's TTL removes it). */
const RUN_RECORD_DAYS = 90;

/** The URL's key: a hash, so that a long URL never passes DynamoDB's key size. */
export function fetchStateKey(url: string): { PK: string; SK: string } {
  return keys.fetchState(createHash('sha256').update(url).digest('hex'));
}

/** One small item per source URL: its validators and the hash of the last body written. */
export class DynamoFetchStateStore implements FetchStateStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(url: string): Promise<FetchState | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: fetchStateKey(url), ConsistentRead: true }),
    );
    return Item ? (stripKeys(Item) as unknown as FetchState) : undefined;
  }

  async put(state: FetchState): Promise<void> {
    await this.client.send(
      new PutCommand({ TableName: this.tableName, Item: { ...fetchStateKey(state.url), ...state } }),
    );
  }
}

/** One item per collector run, under one partition: the latest runs are one query. */
export class DynamoCollectRunLog implements CollectRunLog {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async record(run: CollectRun): Promise<void> {
    const expiresAt = Math.floor(Date.parse(run.startedAt) / 1000) + RUN_RECORD_DAYS * 86_400;
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.collectRun(run.startedAt, run.runId), ...run, [TTL_ATTRIBUTE]: expiresAt },
      }),
    );
  }

  /** The newest runs first, at most `limit`. */
  async latest(limit = 10): Promise<CollectRun[]> {
    const { Items } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :run)',
        ExpressionAttributeValues: { ':pk': keys.collectRunsPartition(), ':run': 'RUN#' },
        ScanIndexForward: false,
        Limit: limit,
        ConsistentRead: true,
      }),
    );
    return (Items ?? []).map((item) => {
      const { [TTL_ATTRIBUTE]: _ttl, ...rest } = stripKeys(item);
      return rest as unknown as CollectRun;
    });
  }
}
