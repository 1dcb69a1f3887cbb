import { Tracer } from '@aws-lambda-powertools/tracer';

/**
 * X-Ray tracing of the AWS SDK calls (each DynamoDB, S3, SQS, SES and Secrets Manager request is
 * a subsegment with its latency and errors). Active only inside Lambda: locally and in tests
 * the Tracer switches itself off. HTTP capture is off: every outbound call goes through an SDK
 * client, which is captured on its own.
 */
export const tracer = new Tracer({ serviceName: 'paperboy', captureHTTPsRequests: false });

/** The client, with its requests traced. */
export function traced<T>(client: T): T {
  return tracer.captureAWSv3Client(client);
}
