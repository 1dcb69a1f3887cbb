import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  type PutCommandInput,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Clock, SubscriberPage, SubscriberRepository } from '../core/ports.ts';
import type { Subscriber, SubscriberRecord } from '../core/subscriber.ts';
import { countedStateOf, DynamoCounters, transition } from './dynamo-counters.ts';
import {
  ACTIVE_SUBSCRIBERS,
  decodeCursor,
  encodeCursor,
  GSI1,
  isConditionFailure,
  isExpired,
  keys,
  stripKeys,
} from './dynamo-keys.ts';

/** The item for a subscriber record; only active ones carry the GSI1 attributes that list them. */
export function subscriberItem(record: SubscriberRecord): Record<string, unknown> {
  return {
    ...keys.subscriber(record.id),
    ...(record.status === 'active' ? keys.activeSubscriber(record.id) : {}),
    ...record,
  };
}

/** A new subscriber unless the address is taken; an expired pending sign-up counts as absent. */
export function buildCreateSubscriber(tableName: string, subscriber: Subscriber, now: Date): PutCommandInput {
  return {
    TableName: tableName,
    Item: subscriberItem(subscriber),
    ConditionExpression: 'attribute_not_exists(PK) OR expiresAt <= :now',
    ExpressionAttributeValues: { ':now': Math.floor(now.getTime() / 1000) },
  };
}

/**
 * Replaces a record only if it is still at the version that was read. Records written before
 * versions existed read as version 0 and are matched by the absence of the attribute.
 */
export function buildReplaceSubscriber(
  tableName: string,
  next: SubscriberRecord,
  expectedVersion: number,
): PutCommandInput {
  return {
    TableName: tableName,
    Item: subscriberItem(next),
    ConditionExpression:
      expectedVersion === 0
        ? 'attribute_exists(PK) AND (attribute_not_exists(#version) OR #version = :expected)'
        : 'attribute_exists(PK) AND #version = :expected',
    ExpressionAttributeNames: { '#version': 'version' },
    ExpressionAttributeValues: { ':expected': expectedVersion },
  };
}

/** A stored item as a record, with what older items lack filled in. */
export function recordFromItem(item: Record<string, unknown>): SubscriberRecord {
  const record = stripKeys(item) as unknown as SubscriberRecord;
  if (record.status === 'erased') return { ...record, version: record.version ?? 0 };
  return {
    ...record,
    authors: record.authors ?? [],
    exclude: record.exclude ?? [],
    // Sign-ups made before links were bound share one binding, '0'.
    signupId: record.signupId ?? '0',
    version: record.version ?? 0,
  };
}

export class DynamoSubscriberRepository implements SubscriberRepository {
  private readonly counters: DynamoCounters;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock,
  ) {
    this.counters = new DynamoCounters(client, tableName);
  }

  async create(subscriber: Subscriber): Promise<boolean> {
    return this.conditionalPut(buildCreateSubscriber(this.tableName, subscriber, this.clock.now()));
  }

  async get(id: string): Promise<SubscriberRecord | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.subscriber(id), ConsistentRead: true }),
    );
    if (!Item || isExpired(Item, this.clock.now())) return undefined;
    return recordFromItem(Item);
  }

  async replace(next: SubscriberRecord, expectedVersion: number): Promise<boolean> {
    return this.conditionalPut(buildReplaceSubscriber(this.tableName, next, expectedVersion));
  }

  async listActive(cursor?: string, limit = 50): Promise<SubscriberPage> {
    const page = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: GSI1,
        KeyConditionExpression: 'GSI1PK = :active',
        ExpressionAttributeValues: { ':active': ACTIVE_SUBSCRIBERS },
        Limit: limit,
        ExclusiveStartKey: decodeCursor(cursor),
      }),
    );
    const subscribers = (page.Items ?? []).map((item) => recordFromItem(item) as Subscriber);
    const next = encodeCursor(page.LastEvaluatedKey);
    return next ? { subscribers, next } : { subscribers };
  }

  /**
   * The write, then the state counts (subscribers by state) moved from the item it replaced (the
   * put hands the old item back) to the new one.
   */
  private async conditionalPut(input: PutCommandInput): Promise<boolean> {
    let replaced: Record<string, unknown> | undefined;
    try {
      ({ Attributes: replaced } = await this.client.send(
        new PutCommand({ ...input, ReturnValues: 'ALL_OLD' }),
      ));
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
    await this.counters.add(transition(countedStateOf(replaced), countedStateOf(input.Item)));
    return true;
  }
}
