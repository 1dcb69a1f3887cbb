import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { traced } from '../tracer.ts';

/**
 * The DynamoDB document client every adapter uses. The endpoint comes from the SDK's own
 * AWS_ENDPOINT_URL_DYNAMODB, which the local stack points at its emulator.
 */
export function documentClient(): DynamoDBDocumentClient {
  // Adaptive retries back off and slow down on throttling, as batch ingests can provoke it.
  return DynamoDBDocumentClient.from(traced(new DynamoDBClient({ maxAttempts: 8, retryMode: 'adaptive' })), {
    marshallOptions: { removeUndefinedValues: true },
  });
}
