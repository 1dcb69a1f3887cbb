import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HtmlDigestRenderer } from '../../../functions/adapters/html-digest-renderer.ts';
import { compileTemplates } from '../../../functions/adapters/mjml-compiler.ts';
import { LinkBuilder } from '../../../functions/core/links.ts';
import type { SendJob } from '../../../functions/core/ports.ts';
import { rankTrending } from '../../../functions/core/ranking.ts';
import { defaultSchedulePolicy } from '../../../functions/core/schedule-policy.ts';
import { createSelectorCache } from '../../../functions/core/selection.ts';
import { createSendDigestHandler } from '../../../functions/triggers/send-digest.ts';
import {
  activeSubscriber,
  FixedClock,
  MemoryEditionStats,
  MemoryEditions,
  MemoryLedger,
  MemoryReaders,
  MemorySubscribers,
  NoPace,
  RecordingSender,
  testTokenKeys,
} from '../../support/memory-ports.ts';
import { NOW, paper } from '../../support/papers.ts';

let renderer: HtmlDigestRenderer;
beforeAll(async () => {
  renderer = new HtmlDigestRenderer(await compileTemplates());
});

const record = (messageId: string, body: unknown): SQSRecord =>
  ({ messageId, body: typeof body === 'string' ? body : JSON.stringify(body) }) as SQSRecord;

let sender: RecordingSender;
let requeued: SendJob[];
let handler: ReturnType<typeof createSendDigestHandler>;
beforeEach(async () => {
  const clock = new FixedClock(NOW);
  const subscribers = new MemorySubscribers(clock);
  for (const id of ['a', 'b']) {
    await subscribers.create(activeSubscriber(id, { digestSize: 3 }));
  }
  const editions = new MemoryEditions();
  await editions.create({
    date: '2026-11-26',
    createdAt: NOW.toISOString(),
    mode: 'daily',
    freshSince: '2026-11-25T00:00:00.000Z',
    entries: rankTrending([paper('1', 1), paper('2', 2)], NOW),
  });
  sender = new RecordingSender();
  requeued = [];
  const ledger = new MemoryLedger(clock);
  handler = createSendDigestHandler({
    editions,
    subscribers,
    ledger,
    readers: new MemoryReaders(subscribers, ledger),
    sender,
    renderer,
    links: new LinkBuilder('https://papers.example.org/', testTokenKeys),
    clock,
    pace: new NoPace(),
    stats: new MemoryEditionStats(),
    postalAddress: '',
    metrics: new Metrics({ namespace: 'Paperboy', serviceName: 'send' }),
    selectorFor: createSelectorCache(),
    policy: defaultSchedulePolicy,
    listId: 'daily.papers.example.org',
    queue: { enqueue: async (more) => void requeued.push(...more) },
  });
});

describe('send handler', () => {
  it('reports exactly the messages that failed, so SQS redelivers only those', async () => {
    const event: SQSEvent = {
      Records: [
        record('ok', { editionDate: '2026-11-26', subscriberIds: ['a'] }),
        record('not-json', '{oops'),
        record('bad-job', { editionDate: 'yesterday', subscriberIds: [] }),
        record('no-edition', { editionDate: '2026-01-01', subscriberIds: ['b'] }),
      ],
    };
    const response = await handler(event);
    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual([
      'not-json',
      'bad-job',
      'no-edition',
    ]);
    expect(sender.sent.map((m) => m.to)).toEqual(['a@example.org']);
  });

  it('reports a job in which one digest failed; the retry sends only what is missing', async () => {
    sender.failNext = 1;
    const event: SQSEvent = {
      Records: [record('m1', { editionDate: '2026-11-26', subscriberIds: ['a', 'b'] })],
    };
    expect((await handler(event)).batchItemFailures).toEqual([{ itemIdentifier: 'm1' }]);
    expect(sender.sent.map((m) => m.to)).toEqual(['b@example.org']);
    expect((await handler(event)).batchItemFailures).toEqual([]);
    expect(sender.sent.map((m) => m.to).sort()).toEqual(['a@example.org', 'b@example.org']);
  });

  it('with its time running out, starts no more readers and queues the rest as a job of its own', async () => {
    const event: SQSEvent = {
      Records: [record('m1', { editionDate: '2026-11-26', subscriberIds: ['a', 'b'] })],
    };
    let remaining = 60_000;
    const context = {
      getRemainingTimeInMillis: () => {
        const now = remaining;
        remaining = 5_000; // after the first reader, the function is nearly out of time
        return now;
      },
    } as unknown as Context;
    expect((await handler(event, context)).batchItemFailures).toEqual([]);
    expect(sender.sent.map((m) => m.to)).toEqual(['a@example.org']);
    expect(requeued).toEqual([{ editionDate: '2026-11-26', subscriberIds: ['b'] }]);
  });
});
