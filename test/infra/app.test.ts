import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Capture, Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { tableDefinition } from '../../functions/local/table.ts';
import { buildApp, type PaperboyApp } from '../../infra/app.ts';

const cdkContext = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')).context;
// Bundling is exercised by synth-bundled.test.ts; here it is skipped for speed.
const newApp = (extra: Record<string, unknown> = {}) =>
  new App({ context: { ...cdkContext, 'aws:cdk:bundling-stacks': [], ...extra } });

let built: PaperboyApp;
let data: Template;
let app: Template;
beforeAll(async () => {
  built = await buildApp(newApp());
  data = Template.fromStack(built.stateful);
  app = Template.fromStack(built.stateless);
});

describe('data stack', () => {
  it('has one on-demand table with PITR, TTL and the same keys the local stack creates', () => {
    const local = tableDefinition('x');
    data.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: local.KeySchema,
      AttributeDefinitions: Match.arrayWith(local.AttributeDefinitions ?? []),
      GlobalSecondaryIndexes: [
        Match.objectLike({ IndexName: 'GSI1', KeySchema: local.GlobalSecondaryIndexes?.[0]?.KeySchema }),
      ],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      Replicas: [
        Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }),
      ],
    });
  });

  it('keeps the ingest bucket private, encrypted and TLS-only, and generates the token secret', () => {
    data.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: Match.anyValue(),
      PublicAccessBlockConfiguration: Match.objectLike({
        BlockPublicAcls: true,
        RestrictPublicBuckets: true,
      }),
      VersioningConfiguration: { Status: 'Enabled' },
    });
    data.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({
        GenerateStringKey: 'k1',
        SecretStringTemplate: '{"current":"k1"}',
      }),
    });
    data.resourceCountIs('AWS::SES::ConfigurationSet', 1);
  });
});

describe('app stack', () => {
  it('runs seven functions on Node.js 22, ARM64, with their configuration', () => {
    const functions = app.findResources('AWS::Lambda::Function', {
      Properties: { Runtime: 'nodejs22.x', Architectures: ['arm64'] },
    });
    expect(Object.keys(functions)).toHaveLength(7);
    app.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('Renders and sends digests'),
      Environment: {
        Variables: Match.objectLike({
          SENDER_ADDRESS: 'papers@example.org',
          PUBLIC_BASE_URL: 'https://papers.example.org',
          TOKEN_SECRET_ID: Match.anyValue(),
          TABLE_NAME: Match.anyValue(),
          WEEKDAY_POLICY: 'sat=skip,sun=best-of-week',
          WHEN_NOTHING_NEW: 'best-of-week',
          WEEKLY_DAY: 'mon',
        }),
      },
    });
  });

  it('triggers ingestion on objects created under incoming/ only', () => {
    app.hasResourceProperties('Custom::S3BucketNotifications', {
      NotificationConfiguration: {
        LambdaFunctionConfigurations: [
          Match.objectLike({
            Events: ['s3:ObjectCreated:*'],
            Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'incoming/' }] } },
          }),
        ],
      },
    });
  });

  it('schedules the daily edition at the configured time and zone, with a dead-letter queue', () => {
    app.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(00 06 * * ? *)',
      ScheduleExpressionTimezone: 'UTC',
      Target: Match.objectLike({
        DeadLetterConfig: Match.anyValue(),
        RetryPolicy: Match.objectLike({ MaximumRetryAttempts: 2 }),
      }),
    });
  });

  it('routes SES events of the configuration set to the feedback function, and checks hanging deliveries', () => {
    app.hasResourceProperties('AWS::SES::ConfigurationSetEventDestination', {
      EventDestination: Match.objectLike({
        Enabled: true,
        MatchingEventTypes: Match.arrayWith(['send', 'delivery', 'bounce', 'complaint']),
        EventBridgeDestination: Match.anyValue(),
      }),
    });
    app.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ source: ['aws.ses'] }),
      Targets: [Match.objectLike({ DeadLetterConfig: Match.anyValue() })],
    });
    // Events the function fails on land in its dead-letter queue too, not only undeliverable ones.
    app.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
    });
    app.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(15 minutes)',
      Target: Match.objectLike({ Input: JSON.stringify({ check: 'hanging-claims' }) }),
    });
  });

  it('paces the send function from the SES account quota, split over its reserved workers', () => {
    app.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('Renders and sends digests'),
      ReservedConcurrentExecutions: 2,
      Environment: { Variables: Match.objectLike({ SEND_WORKERS: '2', POSTAL_ADDRESS: Match.anyValue() }) },
    });
    app.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      ScalingConfig: { MaximumConcurrency: 2 },
    });
  });

  it('feeds the send function from a queue with a DLQ and partial batch failures', () => {
    app.hasResourceProperties('AWS::SQS::Queue', { RedrivePolicy: Match.objectLike({ maxReceiveCount: 5 }) });
    app.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('throttles the HTTP API and logs its access', () => {
    app.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      DefaultRouteSettings: { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 },
      AccessLogSettings: Match.objectLike({ DestinationArn: Match.anyValue() }),
    });
  });

  it('lets functions send mail only as the sender, through the configuration set', () => {
    const statements = new Capture();
    app.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Action: 'ses:SendEmail', Resource: statements })]),
      },
    });
    expect(JSON.stringify(statements.asArray())).toContain('identity/papers@example.org');
    expect(JSON.stringify(statements.asArray())).not.toContain('identity/*');
  });

  it('alarms on every dead-letter queue, on errors and throttles, and on SES reputation', () => {
    const alarms = Object.values(app.findResources('AWS::CloudWatch::Alarm'));
    const names = alarms.map((a) => a.Properties.MetricName);
    // ingest, rank, send, sign-up, feedback and collector dead letters; every function's errors and throttles.
    expect(names.filter((n) => n === 'ApproximateNumberOfMessagesVisible')).toHaveLength(6);
    expect(names.filter((n) => n === 'Errors')).toHaveLength(7);
    expect(names.filter((n) => n === 'Throttles')).toHaveLength(7);
    expect(names).toEqual(
      expect.arrayContaining([
        'HangingClaims',
        'DuplicateDeliveries',
        'SendingStopped',
        'RecipientsRejected',
      ]),
    );
    expect(names).toEqual(expect.arrayContaining(['Reputation.BounceRate', 'Reputation.ComplaintRate']));
  });
});

describe('cdk-nag AwsSolutions', () => {
  it('passes, every remaining finding acknowledged with a reason', () => {
    // Validation plugins run at synth; an unacknowledged finding makes synth throw.
    expect(() => built.app.synth()).not.toThrow();
  });

  it('fails synth when a finding is left unacknowledged', async () => {
    const { app: bare, stateless } = await buildApp(newApp());
    const { Queue } = await import('aws-cdk-lib/aws-sqs');
    new Queue(stateless, 'UnencryptedAndWithoutDlq', { enforceSSL: false });
    expect(() => bare.synth()).toThrow();
  });
});

describe('deployment settings', () => {
  it('refuses a quiet-day policy it cannot read', async () => {
    // The message names the pair that is wrong, not only the shape expected.
    await expect(buildApp(newApp({ 'paperboy:weekdays': 'caturday=skip' }))).rejects.toThrow(
      /paperboy:weekdays: must be day=.*caturday/su,
    );
  });

  it('refuses a wrong value with a message naming the context key', async () => {
    await expect(buildApp(newApp({ 'paperboy:publicBaseUrl': 'http://papers.example.org' }))).rejects.toThrow(
      /paperboy:publicBaseUrl: must be https/u,
    );
  });
});
