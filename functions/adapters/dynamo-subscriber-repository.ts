import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  type PutCommandInput,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Clock, SubscriberPage, SubscriberRepository } from '../core/ports.ts';
import type { Subscriber } from '../core/subscriber.ts';
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

/** The item for a subscriber; only active ones carry the GSI1 attributes that list them. */
export function subscriberItem(subscriber: Subscriber): Record<string, unknown> {
  return {
    ...keys.subscriber(subscriber.id),
    ...(subscriber.status === 'active' ? keys.activeSubscriber(subscriber.id) : {}),
    ...subscriber,
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

export function buildReplaceSubscriber(
  tableName: string,
  subscriber: Subscriber,
  expectedStatus: Subscriber['status'],
): PutCommandInput {
  return {
    TableName: tableName,
    Item: subscriberItem(subscriber),
    ConditionExpression: 'attribute_exists(PK) AND #status = :expected',
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: { ':expected': expectedStatus },
  };
}

export class DynamoSubscriberRepository implements SubscriberRepository {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock,
  ) {}

  async create(subscriber: Subscriber): Promise<boolean> {
    return this.conditionalPut(buildCreateSubscriber(this.tableName, subscriber, this.clock.now()));
  }

  async get(id: string): Promise<Subscriber | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.subscriber(id), ConsistentRead: true }),
    );
    if (!Item || isExpired(Item, this.clock.now())) return undefined;
    return stripKeys(Item) as unknown as Subscriber;
  }

  async replace(subscriber: Subscriber, expectedStatus: Subscriber['status']): Promise<boolean> {
    return this.conditionalPut(buildReplaceSubscriber(this.tableName, subscriber, expectedStatus));
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
    const subscribers = (page.Items ?? []).map((item) => stripKeys(item) as unknown as Subscriber);
    const next = encodeCursor(page.LastEvaluatedKey);
    return next ? { subscribers, next } : { subscribers };
  }

  private async conditionalPut(input: PutCommandInput): Promise<boolean> {
    try {
      await this.client.send(new PutCommand(input));
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}
