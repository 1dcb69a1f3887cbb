import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { tableDefinition } from '../../functions/local/table.ts';

/**
 * An in-memory dynalite with the single table, on a free port, for adapter behaviour tests.
 * Points the SDK's DynamoDB endpoint at it (each test file runs in its own process).
 */
export async function startDynalite(
  tableName = 'paperboy',
): Promise<{ tableName: string; stop(): Promise<void> }> {
  const server = dynalite({ createTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${port}`,
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_REGION: 'us-east-1',
  });
  const client = new DynamoDBClient({});
  await client.send(new CreateTableCommand(tableDefinition(tableName)));
  client.destroy();
  return {
    tableName,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
