import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { batchGet, batchPut, RetriesExhaustedError } from '../../../functions/adapters/dynamo-batch.ts';

const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const ddb = mockClient(client);
afterEach(() => {
  ddb.reset();
  vi.useRealTimers();
});

const item = (i: number) => ({ PK: `K${i}`, SK: 'S', n: i });

describe('batch reads and writes', () => {
  it('gives up after 8 attempts when DynamoDB keeps leaving writes unprocessed, and says how many', async () => {
    vi.useFakeTimers();
    ddb.on(BatchWriteCommand).callsFake((input) => ({ UnprocessedItems: input.RequestItems }));
    const run = batchPut(client, 't', [item(1), item(2)]);
    const settled = expect(run).rejects.toThrow(RetriesExhaustedError);
    await vi.runAllTimersAsync();
    await settled;
    await expect(run).rejects.toThrow('DynamoDB left 2 items unwritten after 8 attempts');
    expect(ddb.commandCalls(BatchWriteCommand)).toHaveLength(8);
  });

  it('gives up on reads the same way', async () => {
    vi.useFakeTimers();
    ddb
      .on(BatchGetCommand)
      .callsFake((input) => ({ Responses: { t: [] }, UnprocessedKeys: input.RequestItems }));
    const run = batchGet(client, 't', [{ PK: 'K1', SK: 'S' }]);
    const settled = expect(run).rejects.toThrow('DynamoDB left 1 keys unread after 8 attempts');
    await vi.runAllTimersAsync();
    await settled;
    expect(ddb.commandCalls(BatchGetCommand)).toHaveLength(8);
  });

  it('writes 60 items as batches of 25, 25 and 10, each item once', async () => {
    ddb.on(BatchWriteCommand).resolves({});
    await batchPut(
      client,
      't',
      Array.from({ length: 60 }, (_, i) => item(i)),
    );
    const sizes = ddb.commandCalls(BatchWriteCommand).map((c) => c.args[0].input.RequestItems?.t?.length);
    expect(sizes).toEqual([25, 25, 10]);
  });
});
