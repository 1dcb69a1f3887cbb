import { Duration, TimeZone } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { COLLECTOR_KEY_PREFIXES } from '../../functions/adapters/dynamo-keys.ts';
import { COLLECTED_PREFIX } from '../../functions/core/collect/config.ts';
import { ENV } from '../../functions/shared/env-names.ts';
import { collectorConfigOf, type StageConfig } from '../config.ts';
import { DeadLetterQueue } from './dead-letter-queue.ts';
import { NodeFunction } from './node-function.ts';
import { ScheduledInvoke } from './scheduled-invoke.ts';

/**
 * The collector function's time limit. A request's own limit is at most 60 s (the configuration's
 * schema caps `requestTimeoutMs`), and the run starts no request that could not end 10 s before
 * this limit (functions/triggers/collect.ts), so that its record is always written.
 */
export const COLLECT_TIMEOUT = Duration.minutes(10);

/**
 * The collector: an EventBridge Scheduler schedule (`paperboy:collectSchedule`, a few times a
 * day in the stage's time zone) → the collect function, which fetches the configured sources
 * (`paperboy:collector`) into `incoming/collected/` of the ingest bucket, where the ingestion's
 * notification takes over. Its role may only put objects under that prefix, and only get and put
 * its own items in the table (partition keys `FETCH#…`, `COLLECTOR#…`). A failed invocation is
 * not retried (the next scheduled run fetches again; a source is not hammered): it lands in a
 * dead-letter queue with an alarm.
 */
export class Collector extends Construct {
  readonly function: NodeFunction;
  readonly deadLetters: DeadLetterQueue;
  readonly schedule: ScheduledInvoke;

  constructor(
    scope: Construct,
    id: string,
    props: { config: StageConfig; table: ITableV2; bucket: IBucket; alarmTopic: ITopic },
  ) {
    super(scope, id);
    const { config } = props;
    const collector = collectorConfigOf(config);
    this.deadLetters = new DeadLetterQueue(this, 'Failures', {
      alarmTopic: props.alarmTopic,
      what: 'A collector run',
    });
    this.function = new NodeFunction(this, 'Collect', {
      handlerFile: 'collect.ts',
      description: 'Fetches Hugging Face daily papers and arXiv feeds into the ingest bucket',
      memorySize: 512,
      timeout: COLLECT_TIMEOUT,
      retryAttempts: 0,
      onFailure: new SqsDestination(this.deadLetters.queue),
    })
      .useTableItems(props.table, ['GetItem', 'PutItem'], Object.values(COLLECTOR_KEY_PREFIXES))
      .useBucketObjects(props.bucket, { [COLLECTED_PREFIX]: ['Put'] })
      .setConfig(ENV.collectorConfig, JSON.stringify(collector));

    this.schedule = new ScheduledInvoke(this, 'Schedule', {
      function: this.function,
      description: `Collects papers: ${config.collectSchedule} ${config.timeZone}`,
      schedule: ScheduleExpression.expression(config.collectSchedule, TimeZone.of(config.timeZone)),
      input: ScheduleTargetInput.fromObject({}),
      deadLetterQueue: this.deadLetters.queue,
      retryAttempts: 2,
      maxEventAge: Duration.hours(1),
    });
  }
}
