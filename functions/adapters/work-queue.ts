import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import type { SendJob, WorkQueue } from '../core/ports.ts';

/** The body of a send job message; the send handler validates every message with it. */
export const SendJobSchema = z.object({
  editionDate: z.iso.date(),
  subscriberIds: z
    .array(z.string().regex(/^[A-Za-z0-9_-]+$/u))
    .min(1)
    .max(500),
});

const SQS_BATCH = 10;

export class SqsWorkQueue implements WorkQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async enqueue(jobs: readonly SendJob[]): Promise<void> {
    for (let i = 0; i < jobs.length; i += SQS_BATCH) {
      const batch = jobs.slice(i, i + SQS_BATCH);
      const result = await this.client.send(
        new SendMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: batch.map((job, j) => ({ Id: String(j), MessageBody: JSON.stringify(job) })),
        }),
      );
      if (result.Failed?.length) {
        const detail = result.Failed.map((f) => `${f.Id}: ${f.Code} ${f.Message ?? ''}`).join('; ');
        throw new Error(`SQS refused ${result.Failed.length} send job(s): ${detail}`);
      }
    }
  }
}
