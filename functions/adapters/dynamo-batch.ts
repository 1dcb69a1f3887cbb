import { BatchGetCommand, BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { PaperboyError } from '../core/errors.ts';

type Key = Record<string, unknown>;
type Item = Record<string, unknown>;

const GET_LIMIT = 100;
const WRITE_LIMIT = 25;
const MAX_ATTEMPTS = 8;

/**
 * Reads items in batches of 100, retrying the keys DynamoDB leaves unprocessed (it does so
 * under throttling) with exponential backoff and jitter. Returns the items found, by `PK|SK`.
 */
export async function batchGet(
  client: DynamoDBDocumentClient,
  tableName: string,
  keys: readonly Key[],
): Promise<Map<string, Item>> {
  const found = new Map<string, Item>();
  const unique = [...new Map(keys.map((k) => [keyId(k), k])).values()];
  for (let i = 0; i < unique.length; i += GET_LIMIT) {
    let pending: Key[] = unique.slice(i, i + GET_LIMIT);
    for (let attempt = 0; pending.length > 0; attempt += 1) {
      if (attempt >= MAX_ATTEMPTS)
        throw new RetriesExhaustedError(
          `DynamoDB left ${pending.length} keys unread after ${MAX_ATTEMPTS} attempts`,
        );
      if (attempt > 0) await backoff(attempt);
      const result = await client.send(
        new BatchGetCommand({ RequestItems: { [tableName]: { Keys: pending, ConsistentRead: true } } }),
      );
      for (const item of result.Responses?.[tableName] ?? []) found.set(keyId(item), item);
      pending = (result.UnprocessedKeys?.[tableName]?.Keys as Key[] | undefined) ?? [];
    }
  }
  return found;
}

/** Writes (puts) items in batches of 25, retrying unprocessed items with backoff. Not conditional. */
export async function batchPut(
  client: DynamoDBDocumentClient,
  tableName: string,
  items: readonly Item[],
): Promise<void> {
  const unique = [...new Map(items.map((item) => [keyId(item), item])).values()];
  await batchWrite(
    client,
    tableName,
    unique.map((Item) => ({ PutRequest: { Item } })),
  );
}

/** Deletes items by key in batches of 25, retrying unprocessed ones with backoff. */
export async function batchDelete(
  client: DynamoDBDocumentClient,
  tableName: string,
  itemKeys: readonly Key[],
): Promise<void> {
  const unique = [...new Map(itemKeys.map((key) => [keyId(key), { PK: key.PK, SK: key.SK }])).values()];
  await batchWrite(
    client,
    tableName,
    unique.map((Key) => ({ DeleteRequest: { Key } })),
  );
}

type WriteRequest = { PutRequest: { Item: Item } } | { DeleteRequest: { Key: Key } };

async function batchWrite(
  client: DynamoDBDocumentClient,
  tableName: string,
  requests: readonly WriteRequest[],
): Promise<void> {
  for (let i = 0; i < requests.length; i += WRITE_LIMIT) {
    let pending = requests.slice(i, i + WRITE_LIMIT);
    for (let attempt = 0; pending.length > 0; attempt += 1) {
      if (attempt >= MAX_ATTEMPTS)
        throw new RetriesExhaustedError(
          `DynamoDB left ${pending.length} items unwritten after ${MAX_ATTEMPTS} attempts`,
        );
      if (attempt > 0) await backoff(attempt);
      const result = await client.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending } }));
      pending = (result.UnprocessedItems?.[tableName] as typeof pending | undefined) ?? [];
    }
  }
}

/** DynamoDB kept leaving part of a batch unprocessed (sustained throttling): the caller must retry later. */
export class RetriesExhaustedError extends PaperboyError {
  override name = 'RetriesExhaustedError';
}

export function keyId(item: Key): string {
  return `${String(item.PK)}|${String(item.SK)}`;
}

/** Exponential backoff with full jitter: 50 ms, 100 ms, 200 ms … capped at 5 s. */
function backoff(attempt: number): Promise<void> {
  const ceiling = Math.min(5000, 50 * 2 ** (attempt - 1));
  return new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
}
