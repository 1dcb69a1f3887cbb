import { Duration, Validations } from 'aws-cdk-lib';
import { HttpApi, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IConfigurationSet } from 'aws-cdk-lib/aws-ses';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '../../functions/shared/env-names.ts';
import { type StageConfig, senderOf } from '../config.ts';
import { DeadLetterQueue } from './dead-letter-queue.ts';
import { NodeFunction } from './node-function.ts';

/**
 * Sign-up workers at once (the sign-up queue's event source maxConcurrency). Each paces its
 * confirmation emails at (SES account rate, capped by sendRateCap) / SIGNUP_WORKERS, so a big
 * import without --confirmed never sends faster than SES accepts.
 */
export const SIGNUP_WORKERS = 2;

export interface SubscriptionApiProps {
  config: StageConfig;
  table: ITableV2;
  tokenSecret: ISecret;
  configurationSet: IConfigurationSet;
  alarmTopic: ITopic;
  /** Compiled email and page templates shipped beside the functions. */
  templatesFile: string;
}

/**
 * The public HTTP API (API Gateway HTTP API, payload v2, one `$default` route) → the api
 * function, which routes every URL itself (functions/triggers/api/routes.ts); and the sign-up
 * queue → the process-signup function, which does the work of a sign-up after the API has
 * answered (so the answer takes the same time whoever the address is). The stage throttles to
 * the configured rate and logs every request; the function adds per-IP and per-address limits.
 */
export class SubscriptionApi extends Construct {
  readonly function: NodeFunction;
  readonly signupFunction: NodeFunction;
  readonly signupQueue: Queue;
  readonly signupDeadLetters: DeadLetterQueue;
  readonly httpApi: HttpApi;

  constructor(scope: Construct, id: string, props: SubscriptionApiProps) {
    super(scope, id);
    const { config } = props;

    this.signupDeadLetters = new DeadLetterQueue(this, 'SignupFailures', {
      alarmTopic: props.alarmTopic,
      what: 'A sign-up',
    });
    this.signupQueue = new Queue(this, 'SignupQueue', {
      visibilityTimeout: Duration.minutes(3),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: this.signupDeadLetters.queue, maxReceiveCount: 5 },
    });
    this.signupFunction = new NodeFunction(this, 'ProcessSignup', {
      handlerFile: 'process-signup.ts',
      description: 'Works queued sign-ups: pending records and confirmation emails',
      timeout: Duration.seconds(30),
      templatesFile: props.templatesFile,
    })
      .useTable(props.table, ['GetItem', 'PutItem'])
      .useTokenSecret(props.tokenSecret)
      .useSender(senderOf(config), props.configurationSet)
      .setConfig(ENV.publicBaseUrl, config.publicBaseUrl)
      .setConfig(ENV.postalAddress, config.postalAddress)
      .setConfig(ENV.signupWorkers, String(SIGNUP_WORKERS))
      .useSesAccountQuota();
    if (config.sendRateCap) this.signupFunction.setConfig(ENV.sendRateCap, String(config.sendRateCap));
    this.signupFunction.fn.addEventSource(
      // As many pollers as paced workers: Lambda would otherwise scale its pollers with the queue,
      // and a 5,000-row import would send its confirmations as fast as Lambda runs.
      new SqsEventSource(this.signupQueue, {
        batchSize: 10,
        reportBatchItemFailures: true,
        maxConcurrency: SIGNUP_WORKERS,
      }),
    );

    this.function = new NodeFunction(this, 'Api', {
      handlerFile: 'api.ts',
      description: 'Subscribe, confirm, preferences, unsubscribe, privacy and public pages',
      timeout: Duration.seconds(10),
      templatesFile: props.templatesFile,
    })
      // Reads and conditional writes of subscribers, rate-limit counters (UpdateItem), the
      // reader's partition for export and erasure (Query, BatchWriteItem), the latest edition;
      // the archive's index lines and a personal feed's papers (BatchGetItem); a voted paper's
      // words and the reader's learned profile (GetItem, PutItem), forgotten on reset (DeleteItem).
      .useTable(props.table, [
        'GetItem',
        'PutItem',
        'UpdateItem',
        'Query',
        'BatchWriteItem',
        'BatchGetItem',
        'DeleteItem',
      ])
      .useTokenSecret(props.tokenSecret)
      .useSender(senderOf(config), props.configurationSet)
      .useSignupQueue(this.signupQueue)
      .setConfig(ENV.publicBaseUrl, config.publicBaseUrl)
      .setConfig(ENV.postalAddress, config.postalAddress)
      .setConfig(ENV.rateLimitPerIp, String(config.rateLimitPerIp))
      .setConfig(ENV.rateLimitPerAddress, String(config.rateLimitPerAddress));

    this.httpApi = new HttpApi(this, 'HttpApi', {
      description: 'Paperboy public API and pages',
      createDefaultStage: false,
      defaultIntegration: new HttpLambdaIntegration('ApiIntegration', this.function.fn),
    });
    new HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: config.apiRateLimit, burstLimit: config.apiRateLimit * 2 },
      accessLogSettings: {
        destination: new LogGroupLogDestination(
          new LogGroup(this, 'AccessLogs', { retention: RetentionDays.ONE_MONTH }),
        ),
      },
    });
    Validations.of(this.httpApi).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'Public sign-up API: there are no accounts; every link that acts is authorized by a signed token.',
    });
  }
}
