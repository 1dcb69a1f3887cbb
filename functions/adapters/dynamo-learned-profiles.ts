import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  type PutCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { type LearnedProfile, LearnedProfileSchema } from '../core/learning.ts';
import type { LearnedProfiles } from '../core/ports.ts';
import { isConditionFailure, keys, stripKeys } from './dynamo-keys.ts';

/**
 * A stored learned profile, checked with zod; undefined when the item is not one (changed by
 * hand, or by a version that wrote another shape): a send must not fail on it, and the next vote
 * starts afresh.
 */
export function learnedFromItem(item: Record<string, unknown>): LearnedProfile | undefined {
  const parsed = LearnedProfileSchema.safeParse(stripKeys(item));
  return parsed.success ? parsed.data : undefined;
}

/** Writes a profile only if the stored one is still at the version read (0: none stored yet). */
export function buildPutLearned(
  tableName: string,
  subscriberId: string,
  profile: LearnedProfile,
  expectedVersion: number,
): PutCommandInput {
  return {
    TableName: tableName,
    Item: { ...keys.learned(subscriberId), ...profile },
    ConditionExpression:
      expectedVersion === 0 ? 'attribute_not_exists(PK)' : 'attribute_exists(PK) AND #version = :expected',
    ...(expectedVersion === 0
      ? {}
      : {
          ExpressionAttributeNames: { '#version': 'version' },
          ExpressionAttributeValues: { ':expected': expectedVersion },
        }),
  };
}

/**
 * Learned profiles in the reader's own partition (`keys.learned`): the send path's query of
 * the partition reads it with the reader at no extra request, the export lists it, and erasure
 * deletes it with the rest of the partition.
 */
export class DynamoLearnedProfiles implements LearnedProfiles {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(subscriberId: string): Promise<LearnedProfile | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.learned(subscriberId), ConsistentRead: true }),
    );
    return Item ? learnedFromItem(Item) : undefined;
  }

  async put(subscriberId: string, profile: LearnedProfile, expectedVersion: number): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand(buildPutLearned(this.tableName, subscriberId, profile, expectedVersion)),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async delete(subscriberId: string): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: keys.learned(subscriberId) }));
  }
}
