import { Metrics } from '@aws-lambda-powertools/metrics';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { HtmlDigestRenderer } from '../../../functions/adapters/html-digest-renderer.ts';
import { compileTemplates } from '../../../functions/adapters/mjml-compiler.ts';
import { SesEmailSender } from '../../../functions/adapters/ses-email-sender.ts';
import { DELIVERY_TAGS } from '../../../functions/core/delivery-tags.ts';
import { LinkBuilder } from '../../../functions/core/links.ts';
import { rankTrending } from '../../../functions/core/ranking.ts';
import { defaultSchedulePolicy } from '../../../functions/core/schedule-policy.ts';
import { createSelectorCache } from '../../../functions/core/selection.ts';
import { REDACTED_ADDRESS, redactAddresses } from '../../../functions/shared/logger.ts';
import { logger as apiLogger } from '../../../functions/triggers/api/api.ts';
import { createFeedbackHandler, logger as feedbackLogger } from '../../../functions/triggers/feedback.ts';
import {
  createProcessSignupHandler,
  logger as signupLogger,
} from '../../../functions/triggers/process-signup.ts';
import { createSendDigestHandler, logger as sendLogger } from '../../../functions/triggers/send-digest.ts';
import { apiEvent } from '../../support/api-events.ts';
import { memoryApi } from '../../support/memory-api.ts';
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
  SequentialIds,
  testTokenKeys,
} from '../../support/memory-ports.ts';
import { NOW, paper } from '../../support/papers.ts';

/** The address every path below is given; no log line may hold it, or any other address. */
const ADDRESS = 'Ana.Lopez+papers@example.org';
const ANY_ADDRESS = /[\w.+-]+@[\w-]+\.[\w.-]+/u;

const loggers = [apiLogger, feedbackLogger, signupLogger, sendLogger];
let output: string[];
beforeEach(() => {
  output = [];
  const capture = (chunk: unknown) => {
    output.push(String(chunk));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  for (const logger of loggers) logger.setLogLevel('DEBUG');
});
afterEach(() => {
  vi.restoreAllMocks();
  for (const logger of loggers) logger.setLogLevel('SILENT');
});

/** Everything logged, and proof that something was (a test over no output proves nothing). */
function logged(): string {
  const lines = output.join('');
  expect(lines.length).toBeGreaterThan(0);
  return lines;
}

let renderer: HtmlDigestRenderer;
beforeAll(async () => {
  renderer = new HtmlDigestRenderer(await compileTemplates());
});

describe('no log line holds an email address', () => {
  it('redacts addresses in any string, error text and stacks included', () => {
    expect(redactAddresses('message', `SES refused the address: Illegal address <${ADDRESS}>`)).toBe(
      `SES refused the address: Illegal address <${REDACTED_ADDRESS}>`,
    );
    expect(redactAddresses('n', 3)).toBe(3);
    expect(redactAddresses('k', 'sub-1/2026-11-27')).toBe('sub-1/2026-11-27');
  });

  it('through the api: sign-up, a repeated sign-up, confirmation, unsubscribe, bad input', async () => {
    const api = await memoryApi();
    const json = (body: unknown) => ({ type: 'application/json', body: JSON.stringify(body) });
    await api.handler(apiEvent('POST', '/subscriptions', json({ email: ADDRESS })));
    await api.handler(apiEvent('POST', '/subscriptions', json({ email: ADDRESS })));
    // Refused input that quotes the address back (a bad topic beside it, an unknown field).
    await api.handler(apiEvent('POST', '/subscriptions', json({ email: ADDRESS, digestSize: 'many' })));
    await api.handler(apiEvent('POST', '/subscriptions', json({ email: `${ADDRESS}@@`, topics: [ADDRESS] })));
    const text = api.sender.sent.at(-1)?.text ?? '';
    const token = decodeURIComponent(text.match(/confirm\?token=(\S+)/u)?.[1] ?? '');
    await api.handler(apiEvent('POST', '/confirm', { query: { token } }));
    await api.handler(apiEvent('POST', '/confirm', { query: { token: `${token}x` } }));
    // Past the per-address limit: the 429 path.
    for (let i = 0; i < 8; i += 1) {
      await api.handler(apiEvent('POST', '/subscriptions', json({ email: ADDRESS })));
    }
    const lines = logged();
    expect(lines).not.toContain(ADDRESS);
    expect(lines).not.toMatch(ANY_ADDRESS);
  });

  it('through the sign-up worker: a good message, a malformed one quoting the address, a failing send', async () => {
    const clock = new FixedClock(NOW);
    const subscribers = new MemorySubscribers(clock);
    const ses = mockClient(SESv2Client);
    ses
      .on(SendEmailCommand)
      .rejectsOnce(Object.assign(new Error(`Illegal address: ${ADDRESS}`), { name: 'BadRequestException' }))
      .resolves({ MessageId: 'm-1' });
    try {
      const handler = createProcessSignupHandler({
        subscribers,
        sender: new SesEmailSender(new SESv2Client({ region: 'eu-west-1' }), 'papers@example.org'),
        renderer,
        links: new LinkBuilder('https://papers.example.org/', testTokenKeys),
        keys: testTokenKeys,
        clock,
        ids: new SequentialIds(),
        postalAddress: 'Paperboy, 1 Example Street',
      });
      const message = (id: string, body: unknown): SQSRecord =>
        ({ messageId: id, body: JSON.stringify(body) }) as SQSRecord;
      const request = { request: { email: ADDRESS }, requestedAt: NOW.toISOString() };
      const result = await handler({
        Records: [
          message('fails', request),
          message('bad', { request: { email: ADDRESS, extra: ADDRESS }, requestedAt: 'yesterday' }),
        ],
      } as SQSEvent);
      expect(result.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['fails', 'bad']);
      await handler({ Records: [message('ok', request)] } as SQSEvent);
    } finally {
      ses.restore();
    }
    const lines = logged();
    expect(lines).not.toContain(ADDRESS);
    expect(lines).not.toMatch(ANY_ADDRESS);
  });

  it('through the send worker: a digest sent, one SES refuses naming the address', async () => {
    const clock = new FixedClock(NOW);
    const subscribers = new MemorySubscribers(clock);
    await subscribers.create(activeSubscriber('a', { email: ADDRESS }));
    await subscribers.create(activeSubscriber('b', { email: `b.${ADDRESS}` }));
    const editions = new MemoryEditions();
    await editions.create({
      date: '2026-11-26',
      createdAt: NOW.toISOString(),
      mode: 'daily',
      freshSince: '2026-11-25T00:00:00.000Z',
      entries: rankTrending([paper('1', 1), paper('2', 2)], NOW),
    });
    const recording = new RecordingSender();
    const ledger = new MemoryLedger(clock);
    const handler = createSendDigestHandler({
      editions,
      subscribers,
      ledger,
      readers: new MemoryReaders(subscribers, ledger),
      sender: {
        send: async (email) => {
          if (email.to === ADDRESS) {
            throw Object.assign(new Error(`Illegal address: ${email.to}`), { name: 'BadRequestException' });
          }
          return recording.send(email);
        },
      },
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
      queue: { enqueue: async () => {} },
    });
    await handler({
      Records: [
        { messageId: 'j', body: JSON.stringify({ editionDate: '2026-11-26', subscriberIds: ['a', 'b'] }) },
      ],
    } as SQSEvent);
    expect(recording.sent.map((m) => m.to)).toEqual([`b.${ADDRESS}`]);
    const lines = logged();
    expect(lines).not.toContain(ADDRESS);
    expect(lines).not.toMatch(ANY_ADDRESS);
  });

  it('through the feedback loop: a bounce and a complaint naming the address, and a malformed event', async () => {
    const clock = new FixedClock(NOW);
    const subscribers = new MemorySubscribers(clock);
    await subscribers.create(activeSubscriber('ana', { email: ADDRESS }));
    const ledger = new MemoryLedger(clock);
    await ledger.claim('ana', '2026-11-26', ['p1']);
    await ledger.complete('ana', '2026-11-26', 'm1');
    const handler = createFeedbackHandler({
      subscribers,
      ledger,
      stats: new MemoryEditionStats(),
      clock,
      queue: { enqueue: async () => {} },
      metrics: new Metrics({ namespace: 'Paperboy', serviceName: 'feedback' }),
    });
    const mail = {
      messageId: 'm1',
      destination: [ADDRESS],
      source: 'papers@example.org',
      tags: { [DELIVERY_TAGS.subscriber]: ['ana'], [DELIVERY_TAGS.edition]: ['2026-11-26'] },
    };
    await handler({
      'detail-type': 'Email Bounced',
      detail: {
        eventType: 'Bounce',
        mail,
        bounce: {
          bounceType: 'Permanent',
          bounceSubType: 'General',
          bouncedRecipients: [{ emailAddress: ADDRESS, diagnosticCode: `550 ${ADDRESS} unknown` }],
        },
      },
    });
    await handler({
      'detail-type': 'Email Complaint Received',
      detail: {
        eventType: 'Complaint',
        mail,
        complaint: { complainedRecipients: [{ emailAddress: ADDRESS }] },
      },
    });
    await handler({ detail: { eventType: 'Bounce', mail: { destination: [ADDRESS] } } });
    const lines = logged();
    expect(lines).not.toContain(ADDRESS);
    expect(lines).not.toMatch(ANY_ADDRESS);
  });
});
