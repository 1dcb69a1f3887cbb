import { GetAccountCommand, SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CompiledTemplates } from '../../../functions/adapters/compiled-templates.ts';
import { HtmlDigestRenderer } from '../../../functions/adapters/html-digest-renderer.ts';
import { compileTemplates } from '../../../functions/adapters/mjml-compiler.ts';
import { formatFrom } from '../../../functions/adapters/ses-email-sender.ts';
import { LinkBuilder } from '../../../functions/core/links.ts';
import { defaultRankEditionConfig } from '../../../functions/core/rank-edition.ts';
import { defaultTrendingConfig } from '../../../functions/core/ranking.ts';
import { parseDayPolicies } from '../../../functions/core/schedule-policy.ts';
import { SubscriptionRequestSchema } from '../../../functions/core/subscriber.ts';
import {
  confirm,
  erase,
  processSignup,
  type SubscriptionDeps,
  unsubscribe,
} from '../../../functions/core/subscriptions.ts';
import { signToken, subscriberIdFor } from '../../../functions/core/tokens.ts';
import { ProcessSignupEnv, processSignupDeps } from '../../../functions/roots/process-signup.ts';
import { parseEnv } from '../../../functions/shared/config.ts';
import { withLambdaContext } from '../../../functions/shared/lambda.ts';
import { createLogger } from '../../../functions/shared/logger.ts';
import { createMetrics, METRIC, METRICS_NAMESPACE } from '../../../functions/shared/metrics.ts';
import { createRankPapersHandler } from '../../../functions/triggers/rank-papers.ts';
import {
  FixedClock,
  MemoryEditions,
  MemoryLedger,
  MemoryPersonalData,
  MemorySubscribers,
  RecordingSender,
  SequentialIds,
  testKeys,
  testTokenKeys,
} from '../../support/memory-ports.ts';
import { NOW, paper } from '../../support/papers.ts';

/** The EMF lines (CloudWatch's embedded metric format) written to stdout, parsed. */
let lines: string[];
const emf = () =>
  lines
    .flatMap((l) => l.split('\n'))
    .filter((l) => l.includes('"_aws"'))
    .map(
      (l) =>
        JSON.parse(l) as Record<string, unknown> & {
          _aws: {
            CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[];
          };
        },
    );

beforeEach(() => {
  lines = [];
  // The local stack turns metrics off (functions/local/log-level.ts); here they are on.
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
  const capture = (chunk: unknown) => {
    lines.push(String(chunk));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

const logger = createLogger('test');
logger.setLogLevel('SILENT');

describe('metrics', () => {
  it('are one EMF line per invocation, in the Paperboy namespace, with service and stage only', async () => {
    const metrics = createMetrics('send', 'prod');
    const handler = withLambdaContext(
      logger,
      async (n: number) => {
        metrics.addMetric(METRIC.emailsSent, 'Count', n);
        metrics.addMetric(METRIC.emailsFailed, 'Count', 0);
        return n;
      },
      { metrics },
    );
    await handler(40);
    await handler(2);
    const out = emf();
    expect(out).toHaveLength(2);
    expect(out.map((o) => o[METRIC.emailsSent])).toEqual([40, 2]);
    const [first] = out;
    expect(first?._aws.CloudWatchMetrics[0]?.Namespace).toBe(METRICS_NAMESPACE);
    expect(first?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['service', 'stage']]);
    expect(first).toMatchObject({ service: 'send', stage: 'prod', EmailsFailed: 0 });
  });

  it('are published when the invocation fails too, and nothing (no warning) when nothing was counted', async () => {
    const metrics = createMetrics('ingest', 'dev');
    const failing = withLambdaContext(
      logger,
      async () => {
        metrics.addMetric(METRIC.filesQuarantined, 'Count', 1);
        throw new Error('boom');
      },
      { metrics },
    );
    await expect(failing(undefined)).rejects.toThrow('boom');
    expect(emf()).toHaveLength(1);
    lines.length = 0;
    await withLambdaContext(logger, async () => 1, { metrics })(undefined);
    expect(lines).toEqual([]);
  });

  it('stay off the console where POWERTOOLS_METRICS_DISABLED is set, as the local stack sets it', async () => {
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
    const metrics = createMetrics('rank', 'local');
    await withLambdaContext(logger, async () => metrics.addMetric(METRIC.candidates, 'Count', 3), {
      metrics,
    })(undefined);
    expect(emf()).toEqual([]);
  });

  it('count candidates, the edition built and its size, readers due; and a quiet day', async () => {
    const clock = new FixedClock(NOW);
    const metrics = createMetrics('rank', 'dev');
    const handler = createRankPapersHandler({
      papers: {
        store: async () => ({ new: 0, updated: 0, unchanged: 0, merged: 0, linked: 0 }),
        listPublishedOn: async () => [paper('1', 2, { upvotes: 3 }), paper('2', 3), paper('3', 1)],
        signalHistory: async () => new Map(),
      },
      editions: new MemoryEditions(),
      subscribers: new MemorySubscribers(clock),
      queue: { enqueue: async () => {} },
      clock,
      config: {
        ...defaultRankEditionConfig,
        trending: defaultTrendingConfig,
        policy: { days: parseDayPolicies('sat=skip'), whenNothingNew: 'skip', weeklyDay: 'mon' },
      },
      timeZone: 'UTC',
      metrics,
    });
    await handler({ date: '2026-11-26' }); // a Thursday
    await handler({ date: '2026-11-26' }); // the same day again: kept, not built twice
    await handler({ date: '2026-11-28' }); // a Saturday, skipped
    const [built, again, quiet] = emf();
    expect(built).toMatchObject({
      Candidates: 3,
      EditionsBuilt: 1,
      EditionSize: 3,
      EditionsSkipped: 0,
      ReadersDue: 0,
    });
    expect(again).toMatchObject({ EditionsBuilt: 0 });
    expect(quiet).toMatchObject({ EditionsSkipped: 1, EditionsBuilt: 0, Candidates: 0 });
    expect(quiet).not.toHaveProperty('EditionSize');
  });
});

describe('subscriber counts', () => {
  let renderer: HtmlDigestRenderer;
  beforeAll(async () => {
    renderer = new HtmlDigestRenderer(await compileTemplates());
  });

  it('count a sign-up, a confirmation and a departure once each, where they happen', async () => {
    const clock = new FixedClock(new Date('2026-11-27T06:00:00Z'));
    const subscribers = new MemorySubscribers(clock);
    const counted: string[] = [];
    const deps: SubscriptionDeps = {
      subscribers,
      sender: new RecordingSender(),
      renderer,
      links: new LinkBuilder('https://papers.example.org', testTokenKeys),
      keys: testTokenKeys,
      clock,
      ids: new SequentialIds(),
      postalAddress: 'Paperboy, 1 Example Street',
      counters: { count: (name, value = 1) => void counted.push(`${name}:${value}`) },
    };
    const message = {
      request: SubscriptionRequestSchema.parse({ email: 'ana@example.org' }),
      requestedAt: clock.now().toISOString(),
    };
    await processSignup(message, deps);
    await processSignup(message, deps); // a repeat within the hour: nothing new
    const id = subscriberIdFor('ana@example.org', testKeys);
    const record = await subscribers.get(id);
    const signupId = record && 'signupId' in record ? String(record.signupId) : '';
    const expiresAt = Math.floor(clock.now().getTime() / 1000) + 3600;
    const confirmToken = signToken(
      { purpose: 'confirm', subscriberId: id, binding: signupId, expiresAt },
      testKeys,
    );
    await confirm(confirmToken, deps);
    await confirm(confirmToken, deps); // twice: one confirmation
    const unsubscribeToken = signToken({ purpose: 'unsubscribe', subscriberId: id, expiresAt: 0 }, testKeys);
    await unsubscribe(unsubscribeToken, deps);
    await unsubscribe(unsubscribeToken, deps);
    expect(counted).toEqual(['SubscribersSubscribed:1', 'SubscribersConfirmed:1', 'SubscribersLeft:1']);

    // An erased active reader leaves; erasing one who already left counts nothing more.
    counted.length = 0;
    await processSignup(
      { ...message, request: SubscriptionRequestSchema.parse({ email: 'bo@example.org' }) },
      deps,
    );
    const bo = subscriberIdFor('bo@example.org', testKeys);
    const boRecord = await subscribers.get(bo);
    const boSignup = boRecord && 'signupId' in boRecord ? String(boRecord.signupId) : '';
    const preferences = signToken(
      { purpose: 'preferences', subscriberId: bo, binding: boSignup, expiresAt },
      testKeys,
    );
    const personalData = new MemoryPersonalData(subscribers, new MemoryLedger(clock));
    await erase(preferences, { ...deps, personalData });
    expect(counted).toEqual(['SubscribersSubscribed:1', 'SubscribersLeft:1']);
  });
});

describe('the sender name', () => {
  it('is quoted, or encoded when it is not ASCII', () => {
    expect(formatFrom('Paperboy', 'papers@example.org')).toBe('"Paperboy" <papers@example.org>');
    expect(formatFrom('Ana "AI" Papers', 'p@example.org')).toBe('"Ana \\"AI\\" Papers" <p@example.org>');
    expect(formatFrom('Papiers du matin — édition', 'p@example.org')).toBe(
      `=?UTF-8?B?${Buffer.from('Papiers du matin — édition').toString('base64')}?= <p@example.org>`,
    );
    expect(() => formatFrom('a\r\nBcc: x@y.z', 'p@example.org')).toThrow(/line break/u);
  });

  it('reaches the From header of what SES is asked to send, from the function environment', async () => {
    const ses = mockClient(SESv2Client);
    ses.on(SendEmailCommand).resolves({ MessageId: 'm-1' });
    // The sign-up sender paces itself from the account's quota.
    ses.on(GetAccountCommand).resolves({ SendQuota: { MaxSendRate: 14 } });
    try {
      const templates: CompiledTemplates = await compileTemplates();
      const env = parseEnv(ProcessSignupEnv, {
        TABLE_NAME: 'paperboy',
        SENDER_ADDRESS: 'papers@example.org',
        SENDER_NAME: 'Paperboy Daily',
        PUBLIC_BASE_URL: 'https://papers.example.org',
        TOKEN_KEY_FILE: '/nonexistent/key.json',
        AWS_REGION: 'eu-west-1',
      });
      const deps = processSignupDeps(env, { templates });
      await deps.sender.send({
        to: 'ana@example.org',
        subject: 's',
        html: '<p>h</p>',
        text: 'h',
        headers: {},
      });
      expect(ses.commandCalls(SendEmailCommand)[0]?.args[0].input.FromEmailAddress).toBe(
        '"Paperboy Daily" <papers@example.org>',
      );
    } finally {
      ses.restore();
    }
  });
});

describe('metric names', () => {
  it('are the ones the use cases and the collector emit, so alarms never watch a silent name', async () => {
    const { SUBSCRIBER_COUNTS } = await import('../../../functions/core/subscriptions.ts');
    const { COLLECTOR_METRICS, COLLECTOR_METRIC_DIMENSION } = await import(
      '../../../functions/triggers/collect.ts'
    );
    const { METRIC: NAMES, SOURCE_DIMENSION } = await import('../../../functions/shared/metric-names.ts');
    expect([NAMES.subscribersSubscribed, NAMES.subscribersConfirmed, NAMES.subscribersLeft]).toEqual([
      SUBSCRIBER_COUNTS.subscribed,
      SUBSCRIBER_COUNTS.confirmed,
      SUBSCRIBER_COUNTS.left,
    ]);
    expect([NAMES.collectorPapers, NAMES.collectorSourceFailed]).toEqual([
      COLLECTOR_METRICS.papers,
      COLLECTOR_METRICS.sourceFailed,
    ]);
    expect(SOURCE_DIMENSION).toBe(COLLECTOR_METRIC_DIMENSION);
  });
});
