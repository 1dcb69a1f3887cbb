import { randomUUID } from 'node:crypto';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { AsyncInvoker } from './async-invoker.ts';

export interface MemoryQueueOptions {
  /** Deliveries of one message before it goes to the dead letters (SQS maxReceiveCount). */
  maxReceives: number;
  /** How long a message stays hidden after a receive; a handler still running past it sees it again. */
  visibilityTimeoutMs: number;
  /** At most this many handler invocations at once (the function's reserved concurrency). */
  concurrency: number;
  /** Wait before a failed message is received again (SQS: the rest of its visibility timeout). */
  retryDelayMs: number;
  /** Why the handler reported a message as a batch item failure, if it said (kept with the dead letter). */
  reasonOf?: (messageId: string) => string | undefined;
}

/**
 * Stands in for an SQS queue and its Lambda event source locally, with SQS's semantics:
 * at-least-once delivery, a visibility timeout (a handler that runs past it gets the message a
 * second time, concurrently, as SQS would), retries of failed messages (batch item failures
 * or errors), a dead letter after `maxReceives`, and at most `concurrency` handlers at once.
 */
export class MemoryQueue<T> {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly invoker: AsyncInvoker,
    private readonly source: string,
    private readonly consume: (event: SQSEvent) => Promise<SQSBatchResponse>,
    private readonly options: MemoryQueueOptions = {
      maxReceives: 5,
      visibilityTimeoutMs: 360_000,
      concurrency: 10,
      retryDelayMs: 200,
    },
  ) {}

  async send(messages: readonly T[]): Promise<void> {
    for (const message of messages) this.invoker.track(this.deliver(message, JSON.stringify(message)));
  }

  private async deliver(message: T, body: string): Promise<void> {
    const messageId = randomUUID();
    let lastError = '';
    for (let receive = 1; receive <= this.options.maxReceives; receive += 1) {
      const outcome = await this.receive(messageId, body, receive);
      if (outcome === 'done') return;
      lastError = outcome;
      if (receive < this.options.maxReceives) await sleep(this.options.retryDelayMs * 2 ** (receive - 1));
    }
    this.invoker.deadLetter({ source: this.source, event: message, error: lastError });
  }

  /** One receive: 'done', or why it failed. A receive that outlives the visibility timeout is delivered again. */
  private async receive(messageId: string, body: string, receive: number): Promise<string> {
    await this.slot();
    let visibility: NodeJS.Timeout | undefined;
    try {
      const run = this.consume(sqsEvent(messageId, body, receive, this.source));
      visibility = setTimeout(() => {
        // Still running: SQS makes the message visible again, and another receive gets it.
        if (receive < this.options.maxReceives) {
          this.invoker.track(this.receive(messageId, body, receive + 1).then(() => {}));
        }
      }, this.options.visibilityTimeoutMs);
      visibility.unref();
      const response = await run;
      if (response.batchItemFailures.length === 0) return 'done';
      return this.options.reasonOf?.(messageId) ?? 'partial failure';
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    } finally {
      clearTimeout(visibility);
      this.release();
    }
  }

  private async slot(): Promise<void> {
    if (this.running < this.options.concurrency) {
      this.running += 1;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running -= 1;
  }
}

function sqsEvent(messageId: string, body: string, receive: number, source: string): SQSEvent {
  const now = String(Date.now());
  return {
    Records: [
      {
        messageId,
        receiptHandle: randomUUID(),
        body,
        attributes: {
          ApproximateReceiveCount: String(receive),
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

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
