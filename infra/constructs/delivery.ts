import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IConfigurationSet } from 'aws-cdk-lib/aws-ses';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '../../functions/shared/env-names.ts';
import { METRIC, SERVICES } from '../../functions/shared/metric-names.ts';
import { type StageConfig, senderOf } from '../config.ts';
import { DeadLetterQueue } from './dead-letter-queue.ts';
import { paperboyMetric } from './metrics.ts';
import { NodeFunction } from './node-function.ts';

/** Send workers that may run at once (the send function's reserved concurrency). */
export const SEND_WORKERS = 2;

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
 * in a dead-letter queue after five receives, with an alarm; SES stopping all sending is alarmed.
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
      // The workers share the SES rate: each paces itself at (account rate, capped) / SEND_WORKERS.
      reservedConcurrentExecutions: SEND_WORKERS,
      templatesFile: props.templatesFile,
    })
      .useTable(props.table, ['GetItem', 'PutItem', 'UpdateItem', 'Query', 'BatchWriteItem'])
      .useTokenSecret(props.tokenSecret)
      .useSender(senderOf(config), props.configurationSet)
      .setConfig(ENV.publicBaseUrl, config.publicBaseUrl)
      .setConfig(ENV.weekdayPolicy, config.weekdays)
      .setConfig(ENV.whenNothingNew, config.whenNothingNew)
      .setConfig(ENV.weeklyDay, config.weeklyDay)
      .setConfig(ENV.sendWorkers, String(SEND_WORKERS))
      .setConfig(ENV.postalAddress, config.postalAddress)
      .useSesAccountQuota()
      // The rest of a job whose time runs out goes back on its own queue.
      .useSendQueue(this.queue);
    if (config.sendRateCap) this.function.setConfig(ENV.sendRateCap, String(config.sendRateCap));
    this.function.fn.addEventSource(
      // As many pollers as workers: more would be throttled by the reserved concurrency and
      // spend the jobs' receive count on nothing, until good jobs reached the dead-letter queue.
      new SqsEventSource(this.queue, {
        batchSize: 1,
        reportBatchItemFailures: true,
        maxConcurrency: SEND_WORKERS,
      }),
    );

    new Alarm(this, 'RecipientsRejected', {
      alarmDescription:
        'SES refused 10 or more addresses as malformed within 15 minutes: their readers were marked bounced. ' +
        'A burst means bad addresses came in (an import?) or SES answers changed; see docs/operations.md.',
      metric: paperboyMetric(config.stage, SERVICES.send, METRIC.recipientsRejected, {
        period: Duration.minutes(15),
      }),
      threshold: 10,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    }).addAlarmAction(new SnsAction(props.alarmTopic));

    new Alarm(this, 'SendingStopped', {
      alarmDescription:
        'SES stopped all sending (paused, suspended, or the daily quota spent): send jobs are being retried ' +
        'and will reach the dead-letter queue. See docs/operations.md, "SES stopped sending".',
      metric: paperboyMetric(config.stage, SERVICES.send, METRIC.sendingStopped),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    }).addAlarmAction(new SnsAction(props.alarmTopic));
  }
}
