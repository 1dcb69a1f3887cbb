import { SQSClient } from '@aws-sdk/client-sqs';
import { traced } from '../tracer.ts';

export function sqsClient(): SQSClient {
  return traced(new SQSClient({}));
}
