import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  type PutCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { type LearnedProfile, parseLearnedProfile } from '../core/learning.ts';
import type { LearnedProfiles, StoredLearned } from '../core/ports.ts';
import { isConditionFailure, keys } from './dynamo-keys.ts';

/**
 * A stored learned profile, checked with zod; undefined when the item is not one (changed by
 * hand, or by a version that wrote another shape): a send must not fail on it, and the next vote
 * starts afresh (see {@link storedLearned}).
 */
export function learnedFromItem(item: Record<string, unknown>): LearnedProfile | undefined {
  // Checked by hand as the zod schema checks it (parseLearnedProfile): one per reader on the send path.
  return parseLearnedProfile(item);
}

/** An item as a change reads it: an unreadable one keeps its version (if numeric) to be written over. */
export function storedLearned(item: Record<string, unknown> | undefined): StoredLearned {
  if (!item) return { profile: undefined, version: 0, unreadable: false };
  const profile = learnedFromItem(item);
  if (profile) return { profile, version: profile.version, unreadable: false };
  const version = typeof item.version === 'number' && Number.isFinite(item.version) ? item.version : null;
  return { profile: undefined, version, unreadable: true };
}

/**
 * Writes a profile only if the stored item is still at the version read: 0, none stored; null,
 * an item without a numeric version (unreadable, replaced by this write).
 */
export function buildPutLearned(
  tableName: string,
  subscriberId: string,
  profile: LearnedProfile,
  expectedVersion: number | null,
): PutCommandInput {
  const base = { TableName: tableName, Item: { ...keys.learned(subscriberId), ...profile } };
  if (expectedVersion === 0) return { ...base, ConditionExpression: 'attribute_not_exists(PK)' };
  if (expectedVersion === null)
    return {
      ...base,
      ConditionExpression:
        'attribute_exists(PK) AND (attribute_not_exists(#version) OR NOT attribute_type(#version, :number))',
      ExpressionAttributeNames: { '#version': 'version' },
      ExpressionAttributeValues: { ':number': 'N' },
    };
  return {
    ...base,
    ConditionExpression: 'attribute_exists(PK) AND #version = :expected',
    ExpressionAttributeNames: { '#version': 'version' },
    ExpressionAttributeValues: { ':expected': expectedVersion },
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
    return (await this.load(subscriberId)).profile;
  }

  async load(subscriberId: string): Promise<StoredLearned> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.learned(subscriberId), ConsistentRead: true }),
    );
    return storedLearned(Item);
  }

  async put(subscriberId: string, profile: LearnedProfile, expectedVersion: number | null): Promise<boolean> {
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
