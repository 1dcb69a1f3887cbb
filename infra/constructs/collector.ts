import { Duration, TimeZone } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { COLLECTOR_KEY_PREFIXES } from '../../functions/adapters/dynamo-keys.ts';
import { COLLECTED_PREFIX, collectorMemoryNeededMb } from '../../functions/core/collect/config.ts';
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

/** The collector function's memory; `paperboy:collector` must fit in it (collectorMemoryNeededMb), checked at synth. */
export const COLLECT_MEMORY_MB = 512;

/**
 * The collector: an EventBridge Scheduler schedule (`paperboy:collectSchedule`, a few times a
 * day in the stage's time zone) → the collect function, which fetches the configured sources
 * (`paperboy:collector`) into `incoming/collected/` of the ingest bucket, where the ingestion's
 * notification takes over. Its role may only put objects under that prefix, and only get and put
 * its own items in the table (partition keys `FETCH#…`, `COLLECTOR#…`). A failed invocation is
 * not retried (the next scheduled run fetches again; a source is not hammered): it lands in a
 * dead-letter queue with an alarm.
 *
 * One run at a time is a lease item in the table (functions/adapters/dynamo-collector-state.ts),
 * not reserved concurrency 1: reserved concurrency is taken from the account's pool (an account
 * must keep 100 unreserved, so a new account with a limit of 10 cannot deploy it at all), and it
 * would not stop `npm start` or a CLI run on the same table either. The lease covers the schedule,
 * `paperboy collect --aws` and local runs alike.
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
    const needed = collectorMemoryNeededMb(collector);
    if (needed > COLLECT_MEMORY_MB) {
      throw new Error(
        `paperboy:collector.maxResponseBytes ${collector.maxResponseBytes} needs about ${needed} MB to collect, more than the collector function's ${COLLECT_MEMORY_MB} MB: lower it`,
      );
    }
    this.deadLetters = new DeadLetterQueue(this, 'Failures', {
      alarmTopic: props.alarmTopic,
      what: 'A collector run',
    });
    this.function = new NodeFunction(this, 'Collect', {
      handlerFile: 'collect.ts',
      description: 'Fetches Hugging Face daily papers and arXiv feeds into the ingest bucket',
      memorySize: COLLECT_MEMORY_MB,
      timeout: COLLECT_TIMEOUT,
      retryAttempts: 0,
      onFailure: new SqsDestination(this.deadLetters.queue),
    })
      .useTableItems(props.table, ['GetItem', 'PutItem', 'DeleteItem'], Object.values(COLLECTOR_KEY_PREFIXES))
      // Whether its own objects were ingested: the ingest log's items of files under its prefix (read only).
      .useTableItems(props.table, ['Query'], [`FILE#${COLLECTED_PREFIX}`])
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
