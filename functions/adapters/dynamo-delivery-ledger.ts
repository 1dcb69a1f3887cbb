import {
  type DynamoDBDocumentClient,
  PutCommand,
  type PutCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Clock, DeliveryLedger } from '../core/ports.ts';
import { isConditionFailure, keys } from './dynamo-keys.ts';

/**
 * The claim written before an email is sent. It succeeds only if no item exists, or if an
 * earlier attempt released it after the provider refused the message. A claim left `sending`
 * by a crash is never taken again: whether that email went out is unknown, and a missed digest
 * is better than a doubled one (operators see these items in the ledger).
 */
export function buildClaim(
  tableName: string,
  subscriberId: string,
  editionDate: string,
  now: Date,
): PutCommandInput {
  return {
    TableName: tableName,
    Item: { ...keys.delivery(subscriberId, editionDate), status: 'sending', claimedAt: now.toISOString() },
    ConditionExpression: 'attribute_not_exists(PK) OR #status = :released',
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: { ':released': 'released' },
  };
}

export class DynamoDeliveryLedger implements DeliveryLedger {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock,
  ) {}

  async claim(subscriberId: string, editionDate: string): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand(buildClaim(this.tableName, subscriberId, editionDate, this.clock.now())),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async complete(subscriberId: string, editionDate: string, messageId: string): Promise<void> {
    await this.setStatus(subscriberId, editionDate, {
      status: 'sent',
      messageId,
      sentAt: this.clock.now().toISOString(),
    });
  }

  async release(subscriberId: string, editionDate: string, reason: string): Promise<void> {
    await this.setStatus(subscriberId, editionDate, {
      status: 'released',
      error: reason.slice(0, 1000),
      releasedAt: this.clock.now().toISOString(),
    });
  }

  private async setStatus(
    subscriberId: string,
    editionDate: string,
    values: Record<string, string>,
  ): Promise<void> {
    const names = Object.keys(values);
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.delivery(subscriberId, editionDate),
        UpdateExpression: `SET ${names.map((n) => `#${n} = :${n}`).join(', ')}`,
        ExpressionAttributeNames: Object.fromEntries(names.map((n) => [`#${n}`, n])),
        ExpressionAttributeValues: Object.fromEntries(names.map((n) => [`:${n}`, values[n]])),
      }),
    );
  }
}
