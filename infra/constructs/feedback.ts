import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import {
  ConfigurationSetEventDestination,
  EmailSendingEvent,
  EventDestination,
  type IConfigurationSet,
} from 'aws-cdk-lib/aws-ses';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRIC, SERVICES } from '../../functions/shared/metric-names.ts';
import { DeadLetterQueue } from './dead-letter-queue.ts';
import { paperboyMetric } from './metrics.ts';
import { NodeFunction } from './node-function.ts';
import { ScheduledInvoke } from './scheduled-invoke.ts';

/** The SES events the feedback loop reads, as EventBridge names them. */
const DETAIL_TYPES = [
  'Email Sent',
  'Email Delivered',
  'Email Bounced',
  'Email Complaint Received',
  'Email Rejected',
  'Email Delivery Delayed',
];

/**
 * The feedback loop: the SES configuration set publishes send, delivery, bounce, complaint,
 * reject and delivery-delay events to EventBridge; a rule hands them to the feedback function,
 * which suppresses bounced and complaining addresses, completes deliveries a dead worker left
 * `sending`, and counts each edition's outcomes. Every 15 minutes a schedule asks it to check
 * for deliveries still `sending` (alarmed: `HangingClaims`); the operator's resolve releases
 * them and puts them back on the send queue.
 */
export class Feedback extends Construct {
  readonly function: NodeFunction;
  readonly deadLetters: DeadLetterQueue;

  constructor(
    scope: Construct,
    id: string,
    props: {
      table: ITableV2;
      configurationSet: IConfigurationSet;
      sendQueue: IQueue;
      alarmTopic: ITopic;
      /** The stage: a dimension of the function's metrics, which its alarms must match. */
      stage: string;
    },
  ) {
    super(scope, id);
    this.deadLetters = new DeadLetterQueue(this, 'Failures', {
      alarmTopic: props.alarmTopic,
      what: 'An SES event or a hanging-delivery check',
    });
    this.function = new NodeFunction(this, 'Feedback', {
      handlerFile: 'feedback.ts',
      description: 'SES events: suppress bounces and complaints, complete deliveries, count outcomes',
      timeout: Duration.seconds(30),
    })
      .useTable(props.table, ['GetItem', 'PutItem', 'UpdateItem', 'Query', 'BatchWriteItem'])
      .useSendQueue(props.sendQueue);
    const fn = this.function.fn;
    // EventBridge invokes the function asynchronously: the rule's dead-letter queue only receives
    // events it could not hand over. An event the function itself fails on (DynamoDB throttled,
    // say) is retried twice by Lambda, then lands in the same queue, never dropped: a lost Send
    // event would make an email that left look hanging.
    fn.configureAsyncInvoke({
      onFailure: new SqsDestination(this.deadLetters.queue),
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
    });

    const bus = EventBus.fromEventBusName(this, 'DefaultBus', 'default');
    new ConfigurationSetEventDestination(this, 'ToEventBridge', {
      configurationSet: props.configurationSet,
      destination: EventDestination.eventBus(bus),
      events: [
        EmailSendingEvent.SEND,
        EmailSendingEvent.DELIVERY,
        EmailSendingEvent.BOUNCE,
        EmailSendingEvent.COMPLAINT,
        EmailSendingEvent.REJECT,
        EmailSendingEvent.DELIVERY_DELAY,
      ],
    });
    new Rule(this, 'SesEvents', {
      description: 'SES events of the Paperboy configuration set → the feedback function',
      eventBus: bus,
      eventPattern: {
        source: ['aws.ses'],
        detailType: DETAIL_TYPES,
        detail: {
          mail: { tags: { 'ses:configuration-set': [props.configurationSet.configurationSetName] } },
        },
      },
      targets: [new LambdaFunction(fn, { deadLetterQueue: this.deadLetters.queue, retryAttempts: 4 })],
    });

    new ScheduledInvoke(this, 'HangingDeliveryCheck', {
      function: this.function,
      description: 'Every 15 minutes: deliveries left sending by a dead worker',
      schedule: ScheduleExpression.rate(Duration.minutes(15)),
      input: ScheduleTargetInput.fromObject({ check: 'hanging-claims' }),
      deadLetterQueue: this.deadLetters.queue,
      retryAttempts: 2,
      maxEventAge: Duration.minutes(15),
    });

    new Alarm(this, 'HangingClaims', {
      alarmDescription:
        'Deliveries stayed `sending` past 15 minutes: a send worker died between claiming and SES accepting. ' +
        'Check the feedback dead-letter queue is empty, then invoke the FeedbackFunctionName output with ' +
        '{"check":"hanging-claims","resolve":true} (docs/operations.md, "Deliveries left sending").',
      metric: paperboyMetric(props.stage, SERVICES.feedback, METRIC.hangingClaims, {
        statistic: 'Maximum',
        period: Duration.minutes(15),
      }),
      threshold: 1,
      evaluationPeriods: 2,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    }).addAlarmAction(new SnsAction(props.alarmTopic));

    new Alarm(this, 'DuplicateDeliveries', {
      alarmDescription:
        'SES accepted a second message for the same delivery: a reader got an edition twice. ' +
        'The feedback function logs which (docs/operations.md, "Deliveries left sending").',
      metric: paperboyMetric(props.stage, SERVICES.feedback, METRIC.duplicateDeliveries),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    }).addAlarmAction(new SnsAction(props.alarmTopic));
  }
}
