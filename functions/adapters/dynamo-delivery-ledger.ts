import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  type PutCommandInput,
  QueryCommand,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { ClaimOptions, Clock, Delivery, DeliveryLedger, SendEventRecord } from '../core/ports.ts';
import { GSI1, isConditionFailure, keys, stripKeys, TTL_ATTRIBUTE } from './dynamo-keys.ts';

/** How long a delivery, and so the record of the papers it carried, is kept. */
export const DELIVERY_KEEP_DAYS = 90;

/**
 * The claim written before an email is sent, with the papers chosen. It succeeds only if no
 * item exists, or if an earlier attempt released it. While `sending`, the item is listed in
 * GSI1 (sparse) so that claims left hanging by a dead worker can be found; every other state
 * removes it from there.
 */
export function buildClaim(
  tableName: string,
  subscriberId: string,
  editionDate: string,
  paperIds: readonly string[],
  now: Date,
  options: ClaimOptions = {},
): PutCommandInput {
  // A feed-only reader's digest is recorded, not sent: `sent` at once, never listed as sending.
  const feed = options.channel === 'feed';
  return {
    TableName: tableName,
    Item: {
      ...keys.delivery(subscriberId, editionDate),
      ...(feed ? {} : keys.sendingDelivery(now.toISOString(), subscriberId, editionDate)),
      subscriberId,
      editionDate,
      status: feed ? 'sent' : 'sending',
      claimedAt: now.toISOString(),
      ...(feed ? { channel: 'feed', sentAt: now.toISOString() } : {}),
      paperIds: [...paperIds],
      ...(options.reasons ? { reasons: options.reasons.map((r) => [...r]) } : {}),
      // The papers chosen are what the reader received: kept 90 days, for "never twice".
      [TTL_ATTRIBUTE]: Math.floor(now.getTime() / 1000) + DELIVERY_KEEP_DAYS * 86_400,
    },
    ConditionExpression: 'attribute_not_exists(PK) OR #status = :released',
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: { ':released': 'released' },
  };
}

/**
 * Sets a delivery's state (and takes it off the list of hanging claims). `onlyIf`: the states it
 * may change from (a condition), else any.
 */
export function buildSetStatus(
  tableName: string,
  subscriberId: string,
  editionDate: string,
  values: Record<string, string>,
  onlyIf: readonly Delivery['status'][] = [],
): UpdateCommandInput {
  const names = Object.keys(values);
  return {
    TableName: tableName,
    Key: keys.delivery(subscriberId, editionDate),
    UpdateExpression: `SET ${names.map((n) => `#${n} = :${n}`).join(', ')} REMOVE GSI1PK, GSI1SK`,
    ExpressionAttributeNames: Object.fromEntries(names.map((n) => [`#${n}`, n])),
    ExpressionAttributeValues: {
      ...Object.fromEntries(names.map((n) => [`:${n}`, values[n]])),
      ...Object.fromEntries(onlyIf.map((state, i) => [`:from${i}`, state])),
    },
    ...(onlyIf.length
      ? {
          ConditionExpression: `#status IN (${onlyIf.map((_, i) => `:from${i}`).join(', ')})`,
          ReturnValues: 'ALL_NEW' as const,
        }
      : {}),
  };
}

/**
 * Records a send event once per message id (a string set of ids, so EventBridge's repeated
 * deliveries change nothing) and completes a claim still `sending` or released as hanging.
 * Returns the item as it was (ALL_OLD).
 */
export function buildRecordSendEvent(
  tableName: string,
  subscriberId: string,
  editionDate: string,
  messageId: string,
  now: Date,
): UpdateCommandInput {
  return {
    TableName: tableName,
    Key: keys.delivery(subscriberId, editionDate),
    UpdateExpression:
      'SET #status = :sent, sentAt = if_not_exists(sentAt, :now), messageId = if_not_exists(messageId, :id) ' +
      'ADD sendEvents :ids REMOVE GSI1PK, GSI1SK',
    ConditionExpression:
      'attribute_exists(PK) AND #status IN (:sending, :released, :sent) AND NOT contains(sendEvents, :id)',
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: {
      ':sent': 'sent',
      ':sending': 'sending',
      ':released': 'released',
      ':now': now.toISOString(),
      ':id': messageId,
      ':ids': new Set([messageId]),
    },
    ReturnValues: 'ALL_OLD',
  };
}

/** A ledger item as the port's Delivery (the set of send events as a list, no storage attributes). */
export function deliveryFromItem(item: Record<string, unknown>): Delivery {
  const {
    sendEvents,
    feedbackEvents: _applied,
    [TTL_ATTRIBUTE]: _expires,
    ...rest
  } = stripKeys(item) as Record<string, unknown>;
  return {
    ...(rest as unknown as Delivery),
    ...(sendEvents instanceof Set ? { sendEvents: [...(sendEvents as Set<string>)] } : {}),
  };
}

export class DynamoDeliveryLedger implements DeliveryLedger {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock,
  ) {}

  async claim(
    subscriberId: string,
    editionDate: string,
    paperIds: readonly string[],
    options: ClaimOptions = {},
  ): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand(
          buildClaim(this.tableName, subscriberId, editionDate, paperIds, this.clock.now(), options),
        ),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async complete(subscriberId: string, editionDate: string, messageId: string): Promise<void> {
    await this.client.send(
      new UpdateCommand(
        buildSetStatus(this.tableName, subscriberId, editionDate, {
          status: 'sent',
          messageId,
          sentAt: this.clock.now().toISOString(),
        }),
      ),
    );
  }

  async recordSendEvent(
    subscriberId: string,
    editionDate: string,
    messageId: string,
  ): Promise<SendEventRecord | undefined> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand(
          buildRecordSendEvent(this.tableName, subscriberId, editionDate, messageId, this.clock.now()),
        ),
      );
      if (!Attributes) return undefined;
      const before = deliveryFromItem(Attributes);
      const earlier = before.sendEvents?.[0];
      return {
        before,
        completed: before.status !== 'sent',
        ...(earlier ? { duplicateOf: earlier } : {}),
      };
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  async recordEvent(subscriberId: string, editionDate: string, eventKey: string): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.delivery(subscriberId, editionDate),
          UpdateExpression: 'ADD feedbackEvents :key',
          ConditionExpression: 'attribute_exists(PK) AND NOT contains(feedbackEvents, :one)',
          ExpressionAttributeValues: { ':key': new Set([eventKey]), ':one': eventKey },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async release(
    subscriberId: string,
    editionDate: string,
    reason: string,
    onlyIfSending = false,
  ): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand(
          buildSetStatus(
            this.tableName,
            subscriberId,
            editionDate,
            { status: 'released', error: reason.slice(0, 1000), releasedAt: this.clock.now().toISOString() },
            onlyIfSending ? ['sending'] : [],
          ),
        ),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async reject(subscriberId: string, editionDate: string, reason: string): Promise<void> {
    await this.client.send(
      new UpdateCommand(
        buildSetStatus(this.tableName, subscriberId, editionDate, {
          status: 'rejected',
          error: reason.slice(0, 1000),
          rejectedAt: this.clock.now().toISOString(),
        }),
      ),
    );
  }

  async get(subscriberId: string, editionDate: string): Promise<Delivery | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.delivery(subscriberId, editionDate),
        ConsistentRead: true,
      }),
    );
    return Item ? deliveryFromItem(Item) : undefined;
  }

  async listSending(claimedBefore: string, limit = 1000): Promise<Delivery[]> {
    const found: Delivery[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: GSI1,
          KeyConditionExpression: 'GSI1PK = :sending AND GSI1SK < :before',
          ExpressionAttributeValues: {
            ':sending': keys.sendingDelivery('', '', '').GSI1PK,
            ':before': keys.sendingDelivery(claimedBefore, '', '').GSI1SK,
          },
          Limit: Math.min(limit - found.length, 500),
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) found.push(deliveryFromItem(item));
      start = page.LastEvaluatedKey;
    } while (start && found.length < limit);
    return found;
  }
}
