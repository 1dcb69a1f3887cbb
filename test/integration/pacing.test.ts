import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMailbox } from '../../functions/local/mailbox.ts';
import { bootTestStack } from '../support/local-stack.ts';
import { rankAndDispatch, storePapersFor, storeReaders } from '../support/readers.ts';

const EDITION = '2026-11-26';
let stack: Awaited<ReturnType<typeof bootTestStack>>;

// The SES account allows 20 messages a second, and the stand-in answers 429 past that.
beforeAll(async () => {
  stack = await bootTestStack({ ses: { maxSendRate: 20, enforcedRate: 20 } });
}, 60_000);
afterAll(async () => {
  await stack?.cleanup();
});

describe('the pace of sending', () => {
  it('keeps the send workers together under the SES account rate: no send is ever throttled', {
    timeout: 60_000,
  }, async () => {
    await storePapersFor(stack.options.tableName, EDITION, '2611', 10);
    await storeReaders(stack.options.tableName, 120);
    const jobs = await rankAndDispatch(stack.urls, { ...stack.options, sesMaxSendRate: 20 }, EDITION);
    // Through the stack's own queue: two workers, each pacing at its half of the account's rate.
    await stack.local.queue.enqueue(jobs);
    await stack.idle();
    expect(stack.deadLetters).toEqual([]);
    expect(stack.sesThrottle).toMatchObject({ sends: 120, throttled: 0 });
    expect(new Set((await readMailbox(stack.urls.ses)).map((m) => m.destination.to[0])).size).toBe(120);
  });

  it('without its pace the same workers are throttled by the same account (the check above can fail)', {
    timeout: 60_000,
  }, async () => {
    // The account reports 10,000 a second, so the pace lets everything through; SES still enforces 20.
    const unpaced = await bootTestStack({ ses: { maxSendRate: 10_000, enforcedRate: 20 } });
    try {
      await storePapersFor(unpaced.options.tableName, EDITION, '2611', 10);
      await storeReaders(unpaced.options.tableName, 120);
      const jobs = await rankAndDispatch(
        unpaced.urls,
        { ...unpaced.options, sesMaxSendRate: 10_000 },
        EDITION,
      );
      await unpaced.local.queue.enqueue(jobs);
      await unpaced.idle();
      expect(unpaced.sesThrottle.throttled).toBeGreaterThan(0);
    } finally {
      await unpaced.cleanup();
    }
  });
});
