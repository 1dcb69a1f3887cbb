import {
  SendMessageBatchCommand,
  type SendMessageBatchCommandInput,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { PaperboyError } from '../core/errors.ts';
import type { SendJob, WorkQueue } from '../core/ports.ts';

/** SQS takes at most 10 messages per SendMessageBatch. */
export const SQS_BATCH = 10;

/** One SendMessageBatch request for up to 10 jobs; entry ids are their positions in the batch. */
export function buildSendBatch(queueUrl: string, jobs: readonly SendJob[]): SendMessageBatchCommandInput {
  return {
    QueueUrl: queueUrl,
    Entries: jobs.map((job, i) => ({ Id: String(i), MessageBody: JSON.stringify(job) })),
  };
}

/** Send jobs on SQS, in batches of 10. A refused entry fails the whole call, naming each. */
export class SqsWorkQueue implements WorkQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async enqueue(jobs: readonly SendJob[]): Promise<void> {
    for (let i = 0; i < jobs.length; i += SQS_BATCH) {
      const result = await this.client.send(
        new SendMessageBatchCommand(buildSendBatch(this.queueUrl, jobs.slice(i, i + SQS_BATCH))),
      );
      if (result.Failed?.length) {
        const detail = result.Failed.map((f) => `${f.Id}: ${f.Code} ${f.Message ?? ''}`.trim()).join('; ');
        throw new QueueRefusedError(`SQS refused ${result.Failed.length} send job(s): ${detail}`);
      }
    }
  }
}

/** SQS answered but refused some messages (throttled, too large…): the rank run must fail and retry. */
export class QueueRefusedError extends PaperboyError {
  override name = 'QueueRefusedError';
}
