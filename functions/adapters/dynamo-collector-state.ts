import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import type {
  CollectedIngests,
  CollectLease,
  CollectLeaseHolder,
  CollectRun,
  CollectRunLog,
  FetchState,
  FetchStateStore,
} from '../core/ports.ts';
import { COLLECTOR_KEY_PREFIXES, keys, stripKeys, TTL_ATTRIBUTE } from './dynamo-keys.ts';

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

/** The lease item: under the collector's own partition prefix (its role may put and delete only there). */
export const COLLECT_LEASE_KEY = { PK: `${COLLECTOR_KEY_PREFIXES.runs}LEASE`, SK: 'LEASE' } as const;

/**
 * One collection at a time, for every process that shares the table (the scheduled function,
 * `collect --aws`, `npm start`'s scheduler, `paperboy collect` attached to it): a conditional put
 * takes the lease when there is none or the holder's has ended (its `until`: a run that crashed
 * holds it no longer than its time limit); a conditional delete gives it back. DynamoDB's TTL
 * removes a forgotten item a day later; the condition never relies on that.
 */
export class DynamoCollectLease implements CollectLease {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async acquire(
    owner: string,
    now: Date,
    until: Date,
  ): Promise<{ acquired: true } | { acquired: false; holder: CollectLeaseHolder }> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...COLLECT_LEASE_KEY,
            owner,
            since: now.toISOString(),
            until: until.toISOString(),
            [TTL_ATTRIBUTE]: Math.floor(until.getTime() / 1000) + 86_400,
          },
          ConditionExpression: 'attribute_not_exists(PK) OR #until < :now',
          ExpressionAttributeNames: { '#until': 'until' },
          ExpressionAttributeValues: { ':now': now.toISOString() },
        }),
      );
      return { acquired: true };
    } catch (error) {
      if (
        !(error instanceof ConditionalCheckFailedException) &&
        (error as Error).name !== 'ConditionalCheckFailedException'
      )
        throw error;
      const { Item } = await this.client.send(
        new GetCommand({ TableName: this.tableName, Key: COLLECT_LEASE_KEY, ConsistentRead: true }),
      );
      return {
        acquired: false,
        holder: {
          owner: String(Item?.owner ?? 'unknown'),
          since: String(Item?.since ?? 'unknown'),
          until: String(Item?.until ?? 'unknown'),
        },
      };
    }
  }

  async release(owner: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: COLLECT_LEASE_KEY,
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': owner },
        }),
      );
    } catch (error) {
      // Not ours any more (it ended and another run took it): nothing to give back.
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
    }
  }
}

/** Whether the ingest log has any record of a collected object (one query, one item at most). */
export class DynamoCollectedIngests implements CollectedIngests {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async ingested(key: string): Promise<boolean> {
    const { PK } = keys.ingest(key, '', '');
    const { Items } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :ingest)',
        ExpressionAttributeValues: { ':pk': PK, ':ingest': keys.ingestPrefix },
        Limit: 1,
        ConsistentRead: true,
      }),
    );
    return (Items ?? []).length > 0;
  }
}
