import { Duration, TimeZone } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '../../functions/shared/env-names.ts';
import type { StageConfig } from '../config.ts';
import { DeadLetterQueue } from './dead-letter-queue.ts';
import { NodeFunction } from './node-function.ts';
import { ScheduledInvoke } from './scheduled-invoke.ts';

/**
 * Ranking: an EventBridge Scheduler schedule, daily at the operator's time in their time zone
 * → the rank function, which makes the day's edition and puts its send jobs on the send queue.
 * A run that fails twice lands in a dead-letter queue with an alarm.
 */
export class Ranking extends Construct {
  readonly function: NodeFunction;
  readonly deadLetters: DeadLetterQueue;

  constructor(
    scope: Construct,
    id: string,
    props: { config: StageConfig; table: ITableV2; sendQueue: IQueue; alarmTopic: ITopic },
  ) {
    super(scope, id);
    const { config } = props;
    this.deadLetters = new DeadLetterQueue(this, 'Failures', {
      alarmTopic: props.alarmTopic,
      what: 'A daily ranking',
    });
    this.function = new NodeFunction(this, 'Rank', {
      handlerFile: 'rank-papers.ts',
      description: "Ranks the day's papers into an edition and dispatches its sending",
      memorySize: 1024,
      timeout: Duration.minutes(5),
    })
      .useTable(props.table, ['GetItem', 'PutItem', 'Query', 'BatchWriteItem'])
      .useSendQueue(props.sendQueue)
      .setConfig(ENV.editionTimeZone, config.timeZone)
      .setConfig(ENV.weekdayPolicy, config.weekdays)
      .setConfig(ENV.whenNothingNew, config.whenNothingNew)
      .setConfig(ENV.weeklyDay, config.weeklyDay);

    const [hour, minute] = config.sendAt.split(':') as [string, string];
    new ScheduledInvoke(this, 'DailyEdition', {
      function: this.function,
      description: `Daily edition at ${config.sendAt} ${config.timeZone}`,
      schedule: ScheduleExpression.cron({ hour, minute, timeZone: TimeZone.of(config.timeZone) }),
      deadLetterQueue: this.deadLetters.queue,
      retryAttempts: 2,
    });
  }
}
