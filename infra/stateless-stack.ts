import { Duration, Stack, type StackProps, TimeZone, Validations } from 'aws-cdk-lib';
import { HttpApi, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Bucket, EventType } from 'aws-cdk-lib/aws-s3';
import { LambdaDestination } from 'aws-cdk-lib/aws-s3-notifications';
import { Schedule, ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IConfigurationSet } from 'aws-cdk-lib/aws-ses';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { INGEST_PREFIX } from '../functions/core/ingest-file.ts';
import type { StageConfig } from './config.ts';
import { DeadLetterQueue } from './constructs/async-failures.ts';
import { NodeFunction } from './constructs/node-function.ts';

export interface StatelessStackProps extends StackProps {
  config: StageConfig;
  table: ITableV2;
  /** The ingest bucket's name: imported here, so its notification lives in this stack (no cycle). */
  ingestBucketName: string;
  tokenSecret: ISecret;
  configurationSet: IConfigurationSet;
  /** Path of the compiled email and page templates shipped with the send and api functions. */
  templatesFile: string;
}

/** The functions and everything that triggers them: bucket notification, schedule, queue, HTTP API. */
export class StatelessStack extends Stack {
  readonly apiUrl: string;

  constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, props);
    const { config, table, tokenSecret, configurationSet } = props;
    const bucket = Bucket.fromBucketName(this, 'IngestBucket', props.ingestBucketName);

    const alarmTopic = new Topic(this, 'Alarms', { enforceSSL: true, displayName: 'Paperboy alarms' });
    if (config.alarmEmail) alarmTopic.addSubscription(new EmailSubscription(config.alarmEmail));

    const common = {
      TABLE_NAME: table.tableName,
      EDITION_TIME_ZONE: config.timeZone,
      WEEKDAY_POLICY: config.weekdays,
      WHEN_NOTHING_NEW: config.whenNothingNew,
      WEEKLY_DAY: config.weeklyDay,
      POWERTOOLS_SERVICE_NAME: 'paperboy',
    };
    const mail = {
      SENDER_ADDRESS: config.senderAddress,
      PUBLIC_BASE_URL: config.publicBaseUrl,
      TOKEN_SECRET_ID: tokenSecret.secretArn,
      SES_CONFIGURATION_SET: configurationSet.configurationSetName,
    };

    // Ingest: S3 ObjectCreated under incoming/ → ingest Lambda (async: 2 retries, then a DLQ).
    const ingestFailures = new DeadLetterQueue(this, 'IngestFailures', { alarmTopic, what: 'A file ingest' });
    const ingestFn = new NodeFunction(this, 'Ingest', {
      handlerFile: 'ingest-object.ts',
      description: 'Parses paper files dropped in the ingest bucket into the papers table',
      memorySize: 1024,
      timeout: Duration.minutes(5),
      environment: { ...common, BUCKET_NAME: bucket.bucketName },
      onFailure: new SqsDestination(ingestFailures.queue),
      retryAttempts: 2,
    });
    const ingest = ingestFn.fn;
    ingestFn.grantTable(table, ['PutItem', 'BatchGetItem', 'BatchWriteItem', 'GetItem']);
    // Read and move uploads; write reports and quarantined copies. Nothing else in the bucket.
    ingest.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:GetObject', 's3:DeleteObject'],
        resources: [bucket.arnForObjects(`${INGEST_PREFIX}*`)],
      }),
    );
    ingest.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [bucket.arnForObjects('reports/*'), bucket.arnForObjects('quarantine/*')],
      }),
    );
    for (const prefix of [INGEST_PREFIX, 'reports/', 'quarantine/']) {
      ingestFn.allowWildcardResource(
        bucket.arnForObjects(`${prefix}*`),
        `Objects are per file: the ingest function works on any object under ${prefix}, and only there.`,
      );
    }
    bucket.addEventNotification(EventType.OBJECT_CREATED, new LambdaDestination(ingest), {
      prefix: INGEST_PREFIX,
    });
    const notifications = this.node.tryFindChild(
      'BucketNotificationsHandler050a0587b7544547bf325f094a3db834',
    );
    if (notifications) {
      Validations.of(notifications).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: "CDK's own handler that configures the bucket notification; logging permissions only.",
      });
      Validations.of(notifications).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: "CDK's bucket-notification handler needs s3:PutBucketNotification; CDK scopes it to *.",
      });
    }

    // Send: SQS jobs (an edition for a page of subscribers) → send Lambda; partial failures retried.
    const sendFailures = new DeadLetterQueue(this, 'SendFailures', { alarmTopic, what: 'A send job' });
    const sendQueue = new Queue(this, 'SendQueue', {
      visibilityTimeout: Duration.minutes(6),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: sendFailures.queue, maxReceiveCount: 5 },
    });
    const sendFn = new NodeFunction(this, 'Send', {
      handlerFile: 'send-digest.ts',
      description: 'Renders and sends digests for one page of subscribers, exactly once each',
      timeout: Duration.minutes(1),
      // One send job at a time per worker keeps the SES rate predictable.
      reservedConcurrentExecutions: 2,
      environment: { ...common, ...mail },
      templatesFile: props.templatesFile,
    });
    const send = sendFn.fn;
    send.addEventSource(new SqsEventSource(sendQueue, { batchSize: 1, reportBatchItemFailures: true }));
    sendFn.grantTable(table, ['GetItem', 'PutItem', 'UpdateItem', 'Query', 'BatchWriteItem']);
    tokenSecret.grantRead(send);
    allowSending(send, this, config.senderAddress, configurationSet);

    // Rank: a daily schedule in the operator's time zone → rank Lambda → send jobs.
    const rankFailures = new DeadLetterQueue(this, 'RankFailures', { alarmTopic, what: 'A daily ranking' });
    const rankFn = new NodeFunction(this, 'Rank', {
      handlerFile: 'rank-papers.ts',
      description: "Ranks the day's papers into an edition and dispatches its sending",
      memorySize: 1024,
      timeout: Duration.minutes(5),
      environment: { ...common, SEND_QUEUE_URL: sendQueue.queueUrl },
    });
    const rank = rankFn.fn;
    rankFn.grantTable(table, ['GetItem', 'PutItem', 'Query', 'BatchWriteItem']);
    sendQueue.grantSendMessages(rank);
    const [hour, minute] = config.sendAt.split(':') as [string, string];
    new Schedule(this, 'DailyEdition', {
      description: `Daily edition at ${config.sendAt} ${config.timeZone}`,
      schedule: ScheduleExpression.cron({ hour, minute, timeZone: TimeZone.of(config.timeZone) }),
      target: new LambdaInvoke(rank, { deadLetterQueue: rankFailures.queue, retryAttempts: 2 }),
    });
    const schedulerRole = this.node.children.find((c) => c.node.id.startsWith('SchedulerRoleForTarget'));
    if (schedulerRole) {
      rankFn.allowWildcardResource(
        `${rank.functionArn}:*`,
        "CDK's scheduler target role may invoke the rank function's versions and aliases, and nothing else.",
        schedulerRole,
      );
    }

    // API: HTTP API with stage throttling and access logs → api Lambda.
    const apiFn = new NodeFunction(this, 'Api', {
      handlerFile: 'api.ts',
      description: 'Subscribe, confirm, unsubscribe and public pages',
      timeout: Duration.seconds(10),
      environment: { ...common, ...mail },
      templatesFile: props.templatesFile,
    });
    const api = apiFn.fn;
    apiFn.grantTable(table, ['GetItem', 'PutItem', 'Query']);
    tokenSecret.grantRead(api);
    allowSending(api, this, config.senderAddress, configurationSet);
    const httpApi = new HttpApi(this, 'HttpApi', {
      description: 'Paperboy public API and pages',
      createDefaultStage: false,
      defaultIntegration: new HttpLambdaIntegration('ApiIntegration', api),
    });
    new HttpStage(this, 'DefaultStage', {
      httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: config.apiRateLimit, burstLimit: config.apiRateLimit * 2 },
      accessLogSettings: {
        destination: new LogGroupLogDestination(
          new LogGroup(this, 'ApiAccessLogs', { retention: RetentionDays.ONE_MONTH }),
        ),
      },
    });
    Validations.of(httpApi).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'Public sign-up API: there are no accounts; confirm and unsubscribe are authorized by signed tokens.',
    });
    this.apiUrl = httpApi.apiEndpoint;

    for (const [name, fn] of Object.entries({ ingest, send, rank, api })) watch(this, name, fn, alarmTopic);
    reputationAlarms(this, configurationSet, alarmTopic);
  }
}

/** SES sending from the sender's address or its domain identity, through the configuration set only. */
function allowSending(
  fn: IFunction,
  stack: Stack,
  sender: string,
  configurationSet: IConfigurationSet,
): void {
  const domain = sender.slice(sender.lastIndexOf('@') + 1);
  fn.addToRolePolicy(
    new PolicyStatement({
      effect: Effect.ALLOW,
      actions: ['ses:SendEmail'],
      resources: [
        stack.formatArn({ service: 'ses', resource: 'identity', resourceName: domain }),
        stack.formatArn({ service: 'ses', resource: 'identity', resourceName: sender }),
        stack.formatArn({
          service: 'ses',
          resource: 'configuration-set',
          resourceName: configurationSet.configurationSetName,
        }),
      ],
    }),
  );
}

/** Alarms on any error or throttle of a function. */
function watch(stack: Stack, name: string, fn: IFunction, topic: Topic): void {
  const metrics = { Errors: fn.metricErrors(), Throttles: fn.metricThrottles() };
  for (const [what, metric] of Object.entries(metrics)) {
    new Alarm(stack, `${name}${what}`, {
      alarmDescription: `The ${name} function reported ${what.toLowerCase()}`,
      metric: metric.with({ period: Duration.minutes(5) }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    }).addAlarmAction(new SnsAction(topic));
  }
}

/** SES pauses accounts past 5% bounces or 0.1% complaints; warn well before. */
function reputationAlarms(stack: Stack, configurationSet: IConfigurationSet, topic: Topic): void {
  const limits = { BounceRate: 0.04, ComplaintRate: 0.0008 } as const;
  for (const [metricName, threshold] of Object.entries(limits)) {
    new Alarm(stack, `Ses${metricName}`, {
      alarmDescription: `SES reputation ${metricName} is near the level at which SES pauses sending`,
      metric: new Metric({
        namespace: 'AWS/SES',
        metricName: `Reputation.${metricName}`,
        dimensionsMap: { 'ses:configuration-set': configurationSet.configurationSetName },
        period: Duration.hours(1),
        statistic: 'Maximum',
      }),
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    }).addAlarmAction(new SnsAction(topic));
  }
}
