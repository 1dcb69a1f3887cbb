import { SQSClient } from '@aws-sdk/client-sqs';

export function sqsClient(): SQSClient {
  return new SQSClient({});
}
