import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { COLLECTED_PREFIX } from '../../functions/core/collect/collect.ts';
import { CollectorConfigSchema, collectorMemoryNeededMb } from '../../functions/core/collect/config.ts';
import { INGEST_PREFIX } from '../../functions/core/ingest-file.ts';
import { buildApp, type PaperboyApp } from '../../infra/app.ts';
import { readStageConfig } from '../../infra/config.ts';
import { COLLECT_MEMORY_MB } from '../../infra/constructs/collector.ts';

const cdkContext = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')).context;
const newApp = (extra: Record<string, unknown> = {}) =>
  new App({ context: { ...cdkContext, 'aws:cdk:bundling-stacks': [], ...extra } });

type Resource = { Properties: Record<string, unknown> };

let built: PaperboyApp;
let app: Template;
let collectorRole: string;
beforeAll(async () => {
  built = await buildApp(
    newApp({
      'paperboy:collector': {
        arxivRss: { categories: ['cs.CL', 'cs.IR'] },
        arxivApi: { query: 'cat:cs.IR' },
      },
    }),
  );
  app = Template.fromStack(built.stateless);
  const [fn] = Object.values(
    app.findResources('AWS::Lambda::Function', {
      Properties: { Description: Match.stringLikeRegexp('Hugging Face daily papers') },
    }),
  ) as Resource[];
  if (!fn) throw new Error('no collector function in the app stack');
  collectorRole = (fn.Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0] as string;
});

/** Every statement of the policies attached to one role. */
function statementsOf(role: string): Record<string, unknown>[] {
  const policies = Object.values(app.findResources('AWS::IAM::Policy')) as Resource[];
  return policies
    .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === role))
    .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement);
}

describe('the collector', () => {
  it('runs on Node.js 22 with its configuration, validated, and a timeout above every request’s', () => {
    const [fn] = Object.values(
      app.findResources('AWS::Lambda::Function', {
        Properties: { Description: Match.stringLikeRegexp('Hugging Face') },
      }),
    ) as Resource[];
    if (!fn) throw new Error('no collector function in the app stack');
    expect(fn.Properties).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], Timeout: 600 });
    const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(Object.keys(variables).sort()).toEqual([
      'BUCKET_NAME',
      'COLLECTOR_CONFIG',
      'NODE_OPTIONS',
      'STAGE',
      'TABLE_NAME',
    ]);
    const config = CollectorConfigSchema.parse(JSON.parse(variables.COLLECTOR_CONFIG as string));
    // The contact defaults to the alarm address; what the context set is there, the rest defaulted.
    expect(config.contact).toBe('ops@example.org');
    expect(config.arxivRss.categories).toEqual(['cs.CL', 'cs.IR']);
    expect(config.arxivApi).toMatchObject({
      query: 'cat:cs.IR',
      baseUrl: 'https://export.arxiv.org',
      spacingMs: 3000,
    });
    expect(config.hf).toMatchObject({ baseUrl: 'https://huggingface.co', pastDays: 2 });
    // Each request's limit (20 s by default, 60 s at most) sits far below the function's 600 s.
    expect(config.requestTimeoutMs).toBe(20_000);
  });

  it('may put objects only under incoming/collected/, and touch only its own items in the table', () => {
    const statements = statementsOf(collectorRole);
    const s3 = statements.filter((s) => JSON.stringify(s.Action).includes('s3:'));
    expect(s3).toHaveLength(1);
    expect(s3[0]?.Action).toBe('s3:PutObject');
    expect(JSON.stringify(s3[0]?.Resource)).toContain(`/${COLLECTED_PREFIX}*`);
    const dynamo = statements.filter((s) => JSON.stringify(s.Action).includes('dynamodb:'));
    expect(dynamo).toHaveLength(2);
    expect(dynamo[0]).toMatchObject({
      // Its fetch states, run records and the lease (put to take, delete to give back).
      Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
      Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['FETCH#*', 'COLLECTOR#*'] } },
    });
    // Reading only: the ingest log of the files under its own prefix (was what it wrote ingested?).
    expect(dynamo[1]).toMatchObject({
      Action: 'dynamodb:Query',
      Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`FILE#${COLLECTED_PREFIX}*`] } },
    });
    // The table itself, not its index.
    expect(JSON.stringify(dynamo.map((d) => d.Resource))).not.toContain('/index/');
    const actions = statements.flatMap((s) => [s.Action].flat() as string[]);
    // Besides: X-Ray, and sending a failed invocation to its own dead-letter queue.
    expect(actions.filter((a) => !a.startsWith('xray:')).sort()).toEqual([
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      's3:PutObject',
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:SendMessage',
    ]);
    const sqs = statements.filter((s) => JSON.stringify(s.Action).includes('sqs:'));
    expect(JSON.stringify(sqs.map((s) => s.Resource))).toMatch(/CollectorFailuresQueue/u);
  });

  it('is scheduled a few times a day in the stage’s time zone, with {} as its event', () => {
    app.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 5,11,17 * * ? *)',
      ScheduleExpressionTimezone: 'UTC',
      Target: Match.objectLike({ Input: '{}', RetryPolicy: Match.objectLike({ MaximumRetryAttempts: 2 }) }),
    });
  });

  it('writes where the ingestion is notified', () => {
    expect(COLLECTED_PREFIX.startsWith(INGEST_PREFIX)).toBe(true);
    const notifications = Object.values(app.findResources('Custom::S3BucketNotifications')) as Resource[];
    const filters = JSON.stringify(notifications.map((n) => n.Properties.NotificationConfiguration));
    expect(filters).toContain(`"Value":"${INGEST_PREFIX}"`);
  });

  it('passes cdk-nag', () => {
    expect(() => built.app.synth()).not.toThrow();
  });

  it('has no reserved concurrency (one run at a time is a lease in the table: no account pool is taken)', () => {
    const [fn] = Object.values(
      app.findResources('AWS::Lambda::Function', {
        Properties: { Description: Match.stringLikeRegexp('Hugging Face') },
      }),
    ) as Resource[];
    expect(fn?.Properties.ReservedConcurrentExecutions).toBeUndefined();
    expect(fn?.Properties.MemorySize).toBe(COLLECT_MEMORY_MB);
  });

  it('refuses at synth a maxResponseBytes the function’s memory cannot hold', async () => {
    expect(collectorMemoryNeededMb({ maxResponseBytes: 20 * 1024 ** 2 })).toBeLessThanOrEqual(
      COLLECT_MEMORY_MB,
    );
    await expect(
      buildApp(newApp({ 'paperboy:collector': { maxResponseBytes: 100 * 1024 ** 2 } })),
    ).rejects.toThrow(
      /paperboy:collector\.maxResponseBytes 104857600 needs about 560 MB to collect, more than the collector function's 512 MB/u,
    );
  });
});

describe('the collector settings', () => {
  const read = (extra: Record<string, unknown>) => () =>
    readStageConfig((key) => ({ ...cdkContext, ...extra })[key]);

  it('name the key of a bad value, nested settings by their path', () => {
    expect(read({ 'paperboy:collector': { arxivApi: { spacingMs: -1 } } })).toThrow(
      /paperboy:collector\.arxivApi\.spacingMs: must be 0 or more milliseconds/u,
    );
    expect(read({ 'paperboy:collector': '{"hf":{"baseUrl":"http://example.org"}}' })).toThrow(
      /paperboy:collector\.hf\.baseUrl: must be https/u,
    );
    expect(read({ 'paperboy:collector': { arxivRss: { categories: ['cs CL'] } } })).toThrow(
      /paperboy:collector\.arxivRss\.categories\.0: must be an arXiv category/u,
    );
    expect(read({ 'paperboy:collector': { hf: { pastDay: 3 } } })).toThrow(
      /paperboy:collector\.hf: Unrecognized key: "pastDay"/u,
    );
    expect(read({ 'paperboy:collectSchedule': 'every morning' })).toThrow(
      /paperboy:collectSchedule: must be an EventBridge Scheduler expression/u,
    );
  });

  it('take a rate and a JSON string from the command line', () => {
    const config = read({
      'paperboy:collectSchedule': 'rate(6 hours)',
      'paperboy:collector': '{"contact":"papers-bot@example.org"}',
    })();
    expect(config.collectSchedule).toBe('rate(6 hours)');
    expect(config.collector.contact).toBe('papers-bot@example.org');
  });
});
