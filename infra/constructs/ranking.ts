import { Duration, Stack, TimeZone } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Schedule, ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '../../functions/shared/env-names.ts';
import type { StageConfig } from '../config.ts';
import { DeadLetterQueue } from './dead-letter-queue.ts';
import { NodeFunction } from './node-function.ts';

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

    const rank = this.function.fn;
    const [hour, minute] = config.sendAt.split(':') as [string, string];
    const schedule = new Schedule(this, 'DailyEdition', {
      description: `Daily edition at ${config.sendAt} ${config.timeZone}`,
      schedule: ScheduleExpression.cron({ hour, minute, timeZone: TimeZone.of(config.timeZone) }),
      target: new LambdaInvoke(rank, { deadLetterQueue: this.deadLetters.queue, retryAttempts: 2 }),
    });
    // CDK makes one scheduler role per stack, at the stack's root; it may invoke this function's versions.
    const role = Stack.of(schedule).node.children.find((c) => c.node.id.startsWith('SchedulerRoleForTarget'));
    if (role) {
      this.function.allowWildcardResource(
        `${rank.functionArn}:*`,
        "CDK's scheduler target role may invoke the rank function's versions and aliases, and nothing else.",
        role,
      );
    }
  }
}
