import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * Plain SDK clients. Endpoints come from the SDK's own variables (AWS_ENDPOINT_URL_DYNAMODB,
 * …), which the local stack sets to its emulators: the code is the same locally and on AWS.
 */
export function documentClient(): DynamoDBDocumentClient {
  // Adaptive retries back off and slow down on throttling, as batch ingests can provoke it.
  return DynamoDBDocumentClient.from(new DynamoDBClient({ maxAttempts: 8, retryMode: 'adaptive' }), {
    marshallOptions: { removeUndefinedValues: true },
  });
}

export function s3Client(): S3Client {
  // Path-style addressing works with every endpoint, including the local emulator's.
  return new S3Client({ forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3) });
}

export const sesClient = () => new SESv2Client({});
export const sqsClient = () => new SQSClient({});
export const secretsClient = () => new SecretsManagerClient({});
