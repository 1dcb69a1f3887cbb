import { randomUUID } from 'node:crypto';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { SendJob, WorkQueue } from '../core/ports.ts';
import type { AsyncInvoker } from './async-invoker.ts';

/**
 * Stands in for SQS locally: each job becomes an SQS event for the same send handler, retried
 * while it reports batch item failures, and dead-lettered after the last attempt.
 */
export class MemoryWorkQueue implements WorkQueue {
  constructor(
    private readonly invoker: AsyncInvoker,
    private readonly consume: (event: SQSEvent) => Promise<SQSBatchResponse>,
  ) {}

  async enqueue(jobs: readonly SendJob[]): Promise<void> {
    for (const job of jobs) {
      const event = sqsEvent(JSON.stringify(job));
      this.invoker.invoke(
        'send-queue',
        job,
        () => this.consume(event),
        (response) => response.batchItemFailures.length > 0,
      );
    }
  }
}

function sqsEvent(body: string): SQSEvent {
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
        eventSourceARN: 'arn:aws:sqs:local:000000000000:paperboy-send',
        awsRegion: 'local',
      },
    ],
  };
}
