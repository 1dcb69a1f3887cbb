import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { AsyncInvoker } from '../../../functions/local/async-invoker.ts';
import { MemoryQueue } from '../../../functions/local/memory-queue.ts';

const ok: SQSBatchResponse = { batchItemFailures: [] };
const options = { maxReceives: 3, visibilityTimeoutMs: 60_000, concurrency: 2, retryDelayMs: 1 };

describe('MemoryQueue (SQS and its event source, locally)', () => {
  it('delivers each message, and counts its receives as SQS does', async () => {
    const invoker = new AsyncInvoker({ attempts: 1, backoffMs: 1 });
    const seen: { body: string; receive: string }[] = [];
    const queue = new MemoryQueue<{ n: number }>(
      invoker,
      'send',
      async (event: SQSEvent) => {
        const record = event.Records[0];
        seen.push({ body: record?.body ?? '', receive: record?.attributes.ApproximateReceiveCount ?? '' });
        return ok;
      },
      options,
    );
    await queue.send([{ n: 1 }, { n: 2 }]);
    await invoker.idle();
    expect(seen.map((s) => JSON.parse(s.body).n).sort()).toEqual([1, 2]);
    expect(seen.every((s) => s.receive === '1')).toBe(true);
  });

  it('retries a failed message, then sets it aside as a dead letter after maxReceives', async () => {
    const letters: string[] = [];
    const invoker = new AsyncInvoker({ attempts: 1, backoffMs: 1, onError: (l) => letters.push(l.error) });
    let calls = 0;
    const queue = new MemoryQueue<string>(
      invoker,
      'send',
      async () => {
        calls += 1;
        throw new Error('SES is throttling');
      },
      options,
    );
    await queue.send(['job']);
    await invoker.idle();
    expect(calls).toBe(3);
    expect(letters).toEqual(['SES is throttling']);
    expect(invoker.deadLetters).toEqual([{ source: 'send', event: 'job', error: 'SES is throttling' }]);
  });

  it('retries a message whose handler reported a batch item failure, and stops once it succeeds', async () => {
    const invoker = new AsyncInvoker({ attempts: 1, backoffMs: 1 });
    let calls = 0;
    const queue = new MemoryQueue<string>(
      invoker,
      'send',
      async (event) => {
        calls += 1;
        return calls < 2
          ? { batchItemFailures: [{ itemIdentifier: event.Records[0]?.messageId ?? '' }] }
          : ok;
      },
      options,
    );
    await queue.send(['job']);
    await invoker.idle();
    expect(calls).toBe(2);
    expect(invoker.deadLetters).toEqual([]);
  });

  it('runs at most `concurrency` handlers at once (reserved concurrency)', async () => {
    const invoker = new AsyncInvoker({ attempts: 1, backoffMs: 1 });
    let running = 0;
    let most = 0;
    const queue = new MemoryQueue<number>(
      invoker,
      'send',
      async () => {
        running += 1;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running -= 1;
        return ok;
      },
      options,
    );
    await queue.send(Array.from({ length: 20 }, (_, i) => i));
    await invoker.idle();
    expect(most).toBe(2);
  });

  it('hands a message to a second handler when the first runs past the visibility timeout', async () => {
    const invoker = new AsyncInvoker({ attempts: 1, backoffMs: 1 });
    const receives: string[] = [];
    const queue = new MemoryQueue<string>(
      invoker,
      'send',
      async (event) => {
        const receive = event.Records[0]?.attributes.ApproximateReceiveCount ?? '';
        receives.push(receive);
        if (receive === '1') await new Promise((resolve) => setTimeout(resolve, 80));
        return ok;
      },
      { ...options, visibilityTimeoutMs: 20 },
    );
    await queue.send(['slow job']);
    await invoker.idle();
    // The same message, twice, the second while the first was still running: at-least-once.
    expect(receives).toEqual(['1', '2']);
  });
});
