import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { EventType, type IBucket } from 'aws-cdk-lib/aws-s3';
import { LambdaDestination } from 'aws-cdk-lib/aws-s3-notifications';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { INGEST_PREFIX, reportKeys } from '../../functions/core/ingest-file.ts';
import { DeadLetterQueue } from './dead-letter-queue.ts';
import { NodeFunction } from './node-function.ts';

const REPORTS_PREFIX = reportKeys.rejects('').split('/')[0] as string;
const QUARANTINE_PREFIX = reportKeys.quarantine('').split('/')[0] as string;

/**
 * Ingestion: objects created under `incoming/` in the ingest bucket → the ingest function
 * (asynchronous: two retries, then a dead-letter queue with an alarm). The function reads and
 * moves uploads, writes reports and quarantined copies, and writes papers to the table.
 */
export class Ingestion extends Construct {
  readonly function: NodeFunction;
  readonly deadLetters: DeadLetterQueue;

  constructor(scope: Construct, id: string, props: { bucket: IBucket; table: ITableV2; alarmTopic: ITopic }) {
    super(scope, id);
    this.deadLetters = new DeadLetterQueue(this, 'Failures', {
      alarmTopic: props.alarmTopic,
      what: 'A file ingest',
    });
    this.function = new NodeFunction(this, 'Ingest', {
      handlerFile: 'ingest-object.ts',
      description: 'Parses paper files dropped in the ingest bucket into the papers table',
      memorySize: 1024,
      timeout: Duration.minutes(5),
      onFailure: new SqsDestination(this.deadLetters.queue),
      retryAttempts: 2,
    })
      .useTable(props.table, ['PutItem', 'BatchGetItem', 'BatchWriteItem', 'GetItem'])
      .useBucketObjects(props.bucket, {
        [INGEST_PREFIX]: ['Get', 'Delete'],
        [`${REPORTS_PREFIX}/`]: ['Put'],
        [`${QUARANTINE_PREFIX}/`]: ['Put'],
      });

    props.bucket.addEventNotification(EventType.OBJECT_CREATED, new LambdaDestination(this.function.fn), {
      prefix: INGEST_PREFIX,
    });
    // CDK's own custom resource that installs the notification lives at the stack's root.
    const notifications = Stack.of(this).node.tryFindChild(
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
  }
}
