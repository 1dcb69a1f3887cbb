import { randomUUID } from 'node:crypto';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { AsyncInvoker } from './async-invoker.ts';

/**
 * Stands in for an SQS queue and its event source locally: each message becomes an SQS event
 * for the same handler Lambda would run, retried while it reports batch item failures, and
 * dead-lettered after the last attempt. The send queue and the sign-up queue are two of these.
 */
export class MemoryQueue<T> {
  constructor(
    private readonly invoker: AsyncInvoker,
    private readonly source: string,
    private readonly consume: (event: SQSEvent) => Promise<SQSBatchResponse>,
  ) {}

  async send(messages: readonly T[]): Promise<void> {
    for (const message of messages) {
      const event = sqsEvent(JSON.stringify(message), this.source);
      this.invoker.invoke(
        this.source,
        message,
        () => this.consume(event),
        (response) => response.batchItemFailures.length > 0,
      );
    }
  }
}

function sqsEvent(body: string, source: string): SQSEvent {
  const now = String(Date.now());
  return {
    Records: [
      {
        messageId: randomUUID(),
        receiptHandle: randomUUID(),
        body,
        attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: now,
          SenderId: 'local',
          ApproximateFirstReceiveTimestamp: now,
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: `arn:aws:sqs:local:000000000000:paperboy-${source}`,
        awsRegion: 'local',
      },
    ],
  };
}
