import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { METRIC, SERVICES, SOURCE_DIMENSION } from '../../functions/shared/metric-names.ts';
import { buildApp } from '../../infra/app.ts';
import { EDITION_LATE_HOURS } from '../../infra/constructs/alarms.ts';

const cdkContext = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')).context;
const newApp = (extra: Record<string, unknown> = {}) =>
  new App({ context: { ...cdkContext, 'aws:cdk:bundling-stacks': [], ...extra } });

type Resource = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string };

let data: Template;
let app: Template;
let alarms: Resource[];
beforeAll(async () => {
  // A send rate cap, so the dashboard draws its line.
  const built = await buildApp(newApp({ 'paperboy:sendRateCap': 14 }));
  data = Template.fromStack(built.stateful);
  app = Template.fromStack(built.stateless);
  alarms = Object.values(app.findResources('AWS::CloudWatch::Alarm')) as Resource[];
});

const dims = (metric: { Dimensions?: { Name: string; Value: unknown }[] }) =>
  Object.fromEntries((metric.Dimensions ?? []).map((d) => [d.Name, d.Value]));

/** Every metric an alarm reads: its own, or each one inside its metric math. */
function metricsOf(alarm: Resource): { Namespace: string; MetricName: string; Dimensions?: never[] }[] {
  const p = alarm.Properties as {
    Namespace?: string;
    MetricName?: string;
    Dimensions?: never[];
    Metrics?: { MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions?: never[] } } }[];
  };
  if (p.MetricName)
    return [{ Namespace: String(p.Namespace), MetricName: p.MetricName, Dimensions: p.Dimensions }];
  return (p.Metrics ?? []).flatMap((m) => (m.MetricStat ? [m.MetricStat.Metric] : []));
}

const byName = (name: string) => alarms.filter((a) => metricsOf(a).some((m) => m.MetricName === name));

describe('alarms', () => {
  it('all go to the operator topic, which emails the configured address', () => {
    const topics = Object.keys(app.findResources('AWS::SNS::Topic'));
    expect(topics).toHaveLength(1);
    app.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.org',
      TopicArn: { Ref: topics[0] },
    });
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions, JSON.stringify(alarm.Properties.AlarmDescription)).toEqual([
        { Ref: topics[0] },
      ]);
    }
  });

  it('watch every function for errors and throttles, at the first one in five minutes', () => {
    const functions = Object.keys(
      app.findResources('AWS::Lambda::Function', { Properties: { Runtime: 'nodejs22.x' } }),
    );
    expect(functions.length).toBeGreaterThanOrEqual(6);
    for (const name of ['Errors', 'Throttles']) {
      const found = byName(name);
      expect(found).toHaveLength(functions.length);
      for (const alarm of found) {
        expect(alarm.Properties).toMatchObject({
          Threshold: 1,
          Period: 300,
          Statistic: 'Sum',
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          TreatMissingData: 'notBreaching',
        });
      }
    }
  });

  it('go off at the first message in any dead-letter queue', () => {
    // Dead-letter queues are the queues that keep messages 14 days.
    const deadLetterQueues = Object.keys(
      app.findResources('AWS::SQS::Queue', { Properties: { MessageRetentionPeriod: 1_209_600 } }),
    );
    expect(deadLetterQueues.length).toBeGreaterThanOrEqual(5);
    const found = byName('ApproximateNumberOfMessagesVisible');
    expect(found).toHaveLength(deadLetterQueues.length);
    expect(found.map((a) => JSON.stringify(a.Properties.Dimensions)).sort()).toEqual(
      deadLetterQueues
        .map((id) => JSON.stringify([{ Name: 'QueueName', Value: { 'Fn::GetAtt': [id, 'QueueName'] } }]))
        .sort(),
    );
    for (const alarm of found) {
      expect(alarm.Properties).toMatchObject({ Threshold: 1, TreatMissingData: 'notBreaching' });
    }
  });

  it('watch SES bounce rate over 2% and complaint rate over 0.05%, for the account and the configuration set', () => {
    for (const [name, threshold] of [
      ['Reputation.BounceRate', 0.02],
      ['Reputation.ComplaintRate', 0.0005],
    ] as const) {
      const found = byName(name);
      expect(found).toHaveLength(2);
      for (const alarm of found) {
        expect(alarm.Properties).toMatchObject({
          Namespace: 'AWS/SES',
          Threshold: threshold,
          ComparisonOperator: 'GreaterThanThreshold',
          TreatMissingData: 'notBreaching',
        });
      }
      expect(found.map((a) => Object.keys(dims(a.Properties as never))).sort()).toEqual([
        [],
        ['ses:configuration-set'],
      ]);
    }
  });

  it('call when no edition was sent: a day and two hours without a send or a quiet day, missing data breaching', () => {
    const [alarm, ...others] = byName(METRIC.editionsSkipped);
    expect(others).toEqual([]);
    expect(alarm?.Properties).toMatchObject({
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      EvaluationPeriods: EDITION_LATE_HOURS,
      TreatMissingData: 'breaching',
    });
    const parts = (alarm?.Properties.Metrics ?? []) as {
      Expression?: string;
      ReturnData?: boolean;
      MetricStat?: { Metric: { MetricName: string }; Period: number; Stat: string };
    }[];
    expect(parts.find((p) => p.Expression)?.Expression).toBe('FILL(sent, 0) + FILL(skipped, 0)');
    const stats = parts.flatMap((p) => (p.MetricStat ? [p.MetricStat] : []));
    expect(stats.map((s) => [s.Metric.MetricName, s.Period, s.Stat]).sort()).toEqual([
      [METRIC.editionsSkipped, 3600, 'Sum'],
      [METRIC.emailsSent, 3600, 'Sum'],
    ]);
    expect(EDITION_LATE_HOURS * 3600).toBeLessThanOrEqual(7 * 86_400); // CloudWatch's evaluation range
  });

  it('call on a quarantined file, and on the send path stopping or refusing addresses', () => {
    expect(byName(METRIC.filesQuarantined)[0]?.Properties).toMatchObject({
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    for (const name of [METRIC.sendingStopped, METRIC.recipientsRejected, METRIC.hangingClaims]) {
      expect(byName(name), name).toHaveLength(1);
    }
  });

  it('read Paperboy metrics with exactly the dimensions the functions write (service and stage)', () => {
    const services = new Set<string>(Object.values(SERVICES));
    const names = new Set<string>(Object.values(METRIC));
    const own = alarms.flatMap(metricsOf).filter((m) => m.Namespace === 'Paperboy');
    expect(own.length).toBeGreaterThanOrEqual(7);
    for (const metric of own) {
      const d = dims(metric as never);
      // The collector's metrics carry their source too, as the collector writes them.
      const expected =
        d.service === 'collect' ? [SOURCE_DIMENSION, 'service', 'stage'] : ['service', 'stage'];
      expect(Object.keys(d).sort(), metric.MetricName).toEqual(expected);
      expect(d.stage).toBe('dev');
      expect(services.has(String(d.service))).toBe(true);
      expect(names.has(metric.MetricName), metric.MetricName).toBe(true);
    }
  });
});

describe('functions', () => {
  it('carry the stage their metrics are labelled with, and trace with X-Ray', () => {
    const fns = Object.values(
      app.findResources('AWS::Lambda::Function', { Properties: { Runtime: 'nodejs22.x' } }),
    ) as Resource[];
    expect(fns.length).toBeGreaterThanOrEqual(6);
    for (const fn of fns) {
      expect(fn.Properties).toMatchObject({
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: expect.objectContaining({ LogFormat: 'JSON' }),
        Environment: { Variables: expect.objectContaining({ STAGE: 'dev' }) },
      });
    }
  });

  it('send with the configured name, from the sending domain identity', () => {
    const senders = Object.values(
      app.findResources('AWS::Lambda::Function', {
        Properties: { Environment: { Variables: { SENDER_NAME: 'Paperboy' } } },
      }),
    );
    expect(senders).toHaveLength(3); // send, api, process-signup
    const policies = JSON.stringify(app.findResources('AWS::IAM::Policy'));
    expect(policies).toContain(':identity/example.org');
  });
});

describe('the dashboard', () => {
  let body: { widgets: { type: string; properties: Record<string, unknown> }[] };
  beforeAll(() => {
    const dashboards = Object.values(app.findResources('AWS::CloudWatch::Dashboard')) as Resource[];
    expect(dashboards).toHaveLength(1);
    const dashboard = dashboards[0] as Resource;
    const join = (dashboard.Properties.DashboardBody as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
    // Tokens (function names, queue names, the region) stand in as placeholders.
    body = JSON.parse(join[1].map((part) => (typeof part === 'string' ? part : 'TOKEN')).join(''));
  });

  it('shows the morning at a glance, widget by widget', () => {
    const titles = body.widgets.map((w) => String(w.properties.title ?? w.properties.markdown));
    for (const expected of [
      /Files in/u,
      /Papers accepted and rejected/u,
      /Edition/u,
      /Emails sent per minute, against the cap/u,
      /Bounces and complaints/u,
      /Queue depth/u,
      /Dead-letter queues/u,
      /Errors per function/u,
      /p99 duration per function/u,
    ]) {
      expect(
        titles.some((t) => expected.test(t)),
        String(expected),
      ).toBe(true);
    }
  });

  it('plots the metrics the functions emit, and a line at the send rate cap per minute', () => {
    const text = JSON.stringify(body);
    for (const name of [
      METRIC.filesIngested,
      METRIC.papersIngested,
      METRIC.papersRejected,
      METRIC.editionSize,
      METRIC.candidates,
      METRIC.emailsSent,
      METRIC.emailsBounced,
      METRIC.emailsComplained,
      'ApproximateNumberOfMessagesVisible',
      'Duration',
    ]) {
      expect(text, name).toContain(`"${name}"`);
    }
    const sent = body.widgets.find((w) => /Emails sent per minute/u.test(String(w.properties.title)));
    expect(sent?.properties.annotations).toMatchObject({ horizontal: [{ value: 14 * 60 }] });
    expect(text).toContain('"p99"');
    expect(JSON.stringify(sent?.properties.metrics)).toContain('"period":60');
  });
});

describe('the sending domain', () => {
  it('is an SES identity with Easy DKIM and a custom MAIL FROM, kept when the stack goes', () => {
    data.hasResource('AWS::SES::EmailIdentity', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        EmailIdentity: 'example.org',
        MailFromAttributes: Match.objectLike({ MailFromDomain: 'mail.example.org' }),
        ConfigurationSetAttributes: Match.anyValue(),
      }),
    });
    // Easy DKIM is SES's default for a domain identity: no BYODKIM key is configured.
    const [identity] = Object.values(data.findResources('AWS::SES::EmailIdentity')) as Resource[];
    expect(JSON.stringify(identity?.Properties.DkimSigningAttributes ?? {})).not.toContain(
      'DomainSigningPrivateKey',
    );
  });

  it('has its DNS records to publish as outputs: three DKIM CNAMEs, the MAIL FROM MX and SPF, DMARC', () => {
    const outputs = data.toJSON().Outputs as Record<string, { Value: unknown }>;
    const text = (name: string) => JSON.stringify(outputs[name]?.Value);
    for (const i of [1, 2, 3]) expect(text(`DnsDkim${i}`)).toMatch(/CNAME/u);
    expect(text('DnsMailFromMx')).toMatch(/mail\.example\.org MX 10 feedback-smtp\./u);
    expect(text('DnsMailFromSpf')).toContain('mail.example.org TXT \\"v=spf1 include:amazonses.com ~all\\"');
    expect(text('DnsDmarc')).toContain('_dmarc.example.org TXT');
  });

  it('takes another MAIL FROM subdomain from the config', async () => {
    const built = await buildApp(newApp({ 'paperboy:mailFromSubdomain': 'bounces' }));
    Template.fromStack(built.stateful).hasResourceProperties('AWS::SES::EmailIdentity', {
      MailFromAttributes: Match.objectLike({ MailFromDomain: 'bounces.example.org' }),
    });
  });

  it('publishes reputation metrics from the configuration set the alarms read', () => {
    data.hasResourceProperties('AWS::SES::ConfigurationSet', {
      ReputationOptions: { ReputationMetricsEnabled: true },
    });
  });
});

describe('what outlives a deployment', () => {
  it('the table, the buckets, the token secret and the identity are retained', () => {
    for (const type of [
      'AWS::DynamoDB::GlobalTable',
      'AWS::S3::Bucket',
      'AWS::SecretsManager::Secret',
      'AWS::SES::EmailIdentity',
    ]) {
      const found = Object.values(data.findResources(type)) as Resource[];
      expect(found.length, type).toBeGreaterThan(0);
      for (const r of found) expect(r.DeletionPolicy, type).toBe('Retain');
    }
    // The app stack holds nothing that must be kept: it can be destroyed and deployed again.
    expect(Object.keys(app.findResources('AWS::DynamoDB::GlobalTable'))).toHaveLength(0);
  });
});

describe('the collector alarm', () => {
  it('watches every enabled source of the deployed collector', () => {
    const found = byName('CollectorSourceFailed');
    expect(found.map((a) => dims(a.Properties as never).Source).sort()).toEqual([
      'arxiv-api',
      'arxiv-rss',
      'hf',
    ]);
    const body = JSON.stringify(app.findResources('AWS::CloudWatch::Dashboard'));
    expect(body).toContain('Collected papers per source');
    expect(body).toContain('Collector source failed');
  });

  it('leaves out a source the config disables', async () => {
    const built = await buildApp(newApp({ 'paperboy:collector': { arxivApi: { enabled: false } } }));
    const names = Object.values(Template.fromStack(built.stateless).findResources('AWS::CloudWatch::Alarm'))
      .filter((a) => (a as Resource).Properties.MetricName === 'CollectorSourceFailed')
      .map((a) => dims((a as Resource).Properties as never).Source)
      .sort();
    expect(names).toEqual(['arxiv-rss', 'hf']);
  });

  it('goes off for a source whose every run of a day failed, per source', async () => {
    const { Stack } = await import('aws-cdk-lib');
    const { Alarms } = await import('../../infra/constructs/alarms.ts');
    const stack = new Stack(new App(), 'T');
    new Alarms(stack, 'Alarms', { alarmEmail: 'ops@example.org', stage: 'dev' }).watchCollectorSources([
      'hf',
      'arxiv-rss',
    ]);
    const found = Object.values(
      Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm'),
    ) as Resource[];
    expect(found).toHaveLength(2);
    for (const alarm of found) {
      expect(alarm.Properties).toMatchObject({
        Namespace: 'Paperboy',
        MetricName: 'CollectorSourceFailed',
        Statistic: 'Minimum',
        Period: 86_400,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
    }
    expect(
      found
        .map((a) => dims(a.Properties as never))
        .sort((a, b) => String(a.Source).localeCompare(String(b.Source))),
    ).toEqual([
      { service: 'collect', stage: 'dev', Source: 'arxiv-rss' },
      { service: 'collect', stage: 'dev', Source: 'hf' },
    ]);
  });
});

describe('a restored table', () => {
  it("is used by every function in place of the Data stack's own, which stays", async () => {
    const built = await buildApp(newApp({ 'paperboy:tableName': 'paperboy-prod-restored-20261127' }));
    const restoredData = Template.fromStack(built.stateful);
    const restoredApp = Template.fromStack(built.stateless);
    // The original table is still there, retained, with its deletion protection.
    restoredData.hasResource('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'Retain' });
    expect(JSON.stringify(restoredData.toJSON().Outputs.TableName.Value)).toBe(
      '"paperboy-prod-restored-20261127"',
    );
    const fns = Object.values(
      restoredApp.findResources('AWS::Lambda::Function', { Properties: { Runtime: 'nodejs22.x' } }),
    ) as Resource[];
    const withTable = fns.filter((fn) => JSON.stringify(fn.Properties.Environment).includes('TABLE_NAME'));
    expect(withTable.length).toBeGreaterThanOrEqual(6);
    for (const fn of withTable) {
      expect((fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables.TABLE_NAME).toBe(
        'paperboy-prod-restored-20261127',
      );
    }
    const policies = JSON.stringify(restoredApp.findResources('AWS::IAM::Policy'));
    expect(policies).toContain(':table/paperboy-prod-restored-20261127');
    expect(policies).toContain(':table/paperboy-prod-restored-20261127/index/GSI1');
  });
});
