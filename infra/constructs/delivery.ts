import { Duration } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IConfigurationSet } from 'aws-cdk-lib/aws-ses';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '../../functions/shared/env-names.ts';
import type { StageConfig } from '../config.ts';
import { DeadLetterQueue } from './dead-letter-queue.ts';
import { NodeFunction } from './node-function.ts';

export interface DeliveryProps {
  config: StageConfig;
  table: ITableV2;
  tokenSecret: ISecret;
  configurationSet: IConfigurationSet;
  alarmTopic: ITopic;
  /** Compiled email templates shipped beside the function. */
  templatesFile: string;
}

/**
 * Delivery: the send queue (an edition for a page of subscribers per message) → the send
 * function, which renders and sends each digest exactly once. A job that keeps failing lands
 * in a dead-letter queue after five receives, with an alarm.
 */
export class Delivery extends Construct {
  readonly queue: Queue;
  readonly deadLetters: DeadLetterQueue;
  readonly function: NodeFunction;

  constructor(scope: Construct, id: string, props: DeliveryProps) {
    super(scope, id);
    const { config } = props;
    this.deadLetters = new DeadLetterQueue(this, 'Failures', {
      alarmTopic: props.alarmTopic,
      what: 'A send job',
    });
    this.queue = new Queue(this, 'SendQueue', {
      // Six times the function's timeout, as AWS advises for SQS event sources.
      visibilityTimeout: Duration.minutes(6),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: this.deadLetters.queue, maxReceiveCount: 5 },
    });
    this.function = new NodeFunction(this, 'Send', {
      handlerFile: 'send-digest.ts',
      description: 'Renders and sends digests for one page of subscribers, exactly once each',
      timeout: Duration.minutes(1),
      // One send job at a time per worker keeps the SES rate predictable.
      reservedConcurrentExecutions: 2,
      templatesFile: props.templatesFile,
    })
      .useTable(props.table, ['GetItem', 'PutItem', 'UpdateItem', 'Query', 'BatchWriteItem'])
      .useTokenSecret(props.tokenSecret)
      .useSender(config.senderAddress, props.configurationSet)
      .setConfig(ENV.publicBaseUrl, config.publicBaseUrl)
      .setConfig(ENV.weekdayPolicy, config.weekdays)
      .setConfig(ENV.whenNothingNew, config.whenNothingNew)
      .setConfig(ENV.weeklyDay, config.weeklyDay);
    this.function.fn.addEventSource(
      new SqsEventSource(this.queue, { batchSize: 1, reportBatchItemFailures: true }),
    );
  }
}
