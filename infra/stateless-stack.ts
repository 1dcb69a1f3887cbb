import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IConfigurationSet } from 'aws-cdk-lib/aws-ses';
import type { Construct } from 'constructs';
import { ENV } from '../functions/shared/env-names.ts';
import type { StageConfig } from './config.ts';
import { Alarms } from './constructs/alarms.ts';
import { Collector } from './constructs/collector.ts';
import { PipelineDashboard } from './constructs/dashboard.ts';
import { Delivery } from './constructs/delivery.ts';
import { Feedback } from './constructs/feedback.ts';
import { Ingestion } from './constructs/ingestion.ts';
import { Ranking } from './constructs/ranking.ts';
import { SubscriptionApi } from './constructs/subscription-api.ts';

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

/**
 * The functions and everything that triggers them, composed from one construct per capability:
 * alarms, ingestion, delivery, ranking, the subscription API. Its outputs are what an operator
 * (and the CLI) needs to find each resource.
 */
export class StatelessStack extends Stack {
  readonly alarms: Alarms;
  readonly collector: Collector;
  readonly ingestion: Ingestion;
  readonly delivery: Delivery;
  readonly ranking: Ranking;
  readonly api: SubscriptionApi;
  readonly feedback: Feedback;
  readonly dashboard: PipelineDashboard;

  constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, props);
    const { config, table, tokenSecret, configurationSet, templatesFile } = props;
    const bucket = Bucket.fromBucketName(this, 'IngestBucket', props.ingestBucketName);

    this.alarms = new Alarms(this, 'Alarms', { alarmEmail: config.alarmEmail, stage: config.stage });
    const alarmTopic = this.alarms.topic;
    this.ingestion = new Ingestion(this, 'Ingestion', { bucket, table, alarmTopic });
    this.collector = new Collector(this, 'Collector', { config, table, bucket, alarmTopic });
    this.delivery = new Delivery(this, 'Delivery', {
      config,
      table,
      tokenSecret,
      configurationSet,
      alarmTopic,
      templatesFile,
    });
    this.ranking = new Ranking(this, 'Ranking', {
      config,
      table,
      sendQueue: this.delivery.queue,
      alarmTopic,
    });
    this.feedback = new Feedback(this, 'Feedback', {
      table,
      configurationSet,
      sendQueue: this.delivery.queue,
      alarmTopic,
      stage: config.stage,
    });
    this.api = new SubscriptionApi(this, 'SubscriptionApi', {
      config,
      table,
      tokenSecret,
      configurationSet,
      alarmTopic,
      templatesFile,
    });

    const functions = {
      Ingest: this.ingestion.function,
      Rank: this.ranking.function,
      Send: this.delivery.function,
      Api: this.api.function,
      ProcessSignup: this.api.signupFunction,
      Feedback: this.feedback.function,
      Collect: this.collector.function,
    };
    for (const [name, fn] of Object.entries(functions)) {
      // The stage labels every metric the function emits (a dimension its alarms match).
      fn.setConfig(ENV.stage, config.stage);
      this.alarms.watchFunction(name, fn.fn);
    }
    this.alarms.watchReputation(configurationSet);
    this.alarms.watchEditionSent(config.sendAt, config.timeZone);
    this.alarms.watchQuarantines();
    const sources = {
      hf: config.collector.hf,
      'arxiv-rss': config.collector.arxivRss,
      'arxiv-api': config.collector.arxivApi,
    };
    const collected = Object.entries(sources).flatMap(([name, source]) => (source.enabled ? [name] : []));
    this.alarms.watchCollectorSources(collected);
    this.dashboard = new PipelineDashboard(this, 'Dashboard', {
      stage: config.stage,
      functions: Object.fromEntries(Object.entries(functions).map(([name, fn]) => [name, fn.fn])),
      queues: { send: this.delivery.queue, signup: this.api.signupQueue },
      deadLetterQueues: {
        ingest: this.ingestion.deadLetters.queue,
        rank: this.ranking.deadLetters.queue,
        send: this.delivery.deadLetters.queue,
        signup: this.api.signupDeadLetters.queue,
        feedback: this.feedback.deadLetters.queue,
        collect: this.collector.deadLetters.queue,
      },
      collectorSources: collected,
      configurationSet,
      ...(config.sendRateCap ? { sendRateCap: config.sendRateCap } : {}),
      sendAt: config.sendAt,
      timeZone: config.timeZone,
    });

    const outputs = {
      ApiUrl: [this.api.httpApi.apiEndpoint, 'The HTTP API (map your public domain to it)'],
      SendQueueName: [this.delivery.queue.queueName, 'Send jobs: an edition for a page of subscribers'],
      SendDeadLetterQueueName: [this.delivery.deadLetters.queue.queueName, 'Send jobs that failed 5 times'],
      IngestDeadLetterQueueName: [this.ingestion.deadLetters.queue.queueName, 'Ingest events that failed'],
      RankDeadLetterQueueName: [this.ranking.deadLetters.queue.queueName, 'Daily rankings that failed'],
      SignupQueueName: [this.api.signupQueue.queueName, 'Accepted sign-ups, worked after the API answers'],
      SignupDeadLetterQueueName: [this.api.signupDeadLetters.queue.queueName, 'Sign-ups that failed 5 times'],
      FeedbackDeadLetterQueueName: [this.feedback.deadLetters.queue.queueName, 'SES events that failed'],
      FeedbackFunctionName: [
        this.feedback.function.fn.functionName,
        'Resolves deliveries left sending (docs/operations.md, "Deliveries left sending")',
      ],
      AlarmTopicArn: [alarmTopic.topicArn, 'Where alarms are published'],
      DashboardName: [
        this.dashboard.dashboard.dashboardName,
        'The morning at a glance (CloudWatch dashboard)',
      ],
      IngestFunctionName: [this.ingestion.function.fn.functionName, 'paperboy dlq redrive re-invokes it'],
      RankFunctionName: [this.ranking.function.fn.functionName, 'paperboy dlq redrive re-invokes it'],
      CollectFunctionName: [this.collector.function.fn.functionName, 'paperboy collect --aws invokes it'],
      CollectDeadLetterQueueName: [this.collector.deadLetters.queue.queueName, 'Collector runs that failed'],
    } as const;
    for (const [name, [value, description]] of Object.entries(outputs)) {
      new CfnOutput(this, name, { value, description });
    }
  }
}
