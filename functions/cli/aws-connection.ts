import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DynamoDeliveryLedger } from '../adapters/dynamo-delivery-ledger.ts';
import { DynamoEditionRepository } from '../adapters/dynamo-edition-repository.ts';
import { DynamoEditionStats } from '../adapters/dynamo-edition-stats.ts';
import { DynamoIngestLog } from '../adapters/dynamo-ingest-log.ts';
import { DynamoSubscriberRepository } from '../adapters/dynamo-subscriber-repository.ts';
import { SqsWorkQueue } from '../adapters/sqs-work-queue.ts';
import type { RankEditionResult } from '../core/rank-edition.ts';
import type { SendDigestsDeps } from '../core/send-digests.ts';
import { normalizeEmail } from '../core/subscriber.ts';
import { subscriberIdFor } from '../core/tokens.ts';
import { AsyncInvoker } from '../local/async-invoker.ts';
import { localLambdaContext } from '../local/lambda-context.ts';
import type { LocalRuntime } from '../local/local-runtime.ts';
import { FeedbackEnv, feedbackDeps } from '../roots/feedback.ts';
import { parseEnv } from '../shared/config.ts';
import { systemClock } from '../shared/system-clock.ts';
import { createFeedbackHandler } from '../triggers/feedback.ts';
import { type AwsTargetOptions, awsTargets, type SqsQueueAdmin } from './aws-target.ts';
import type { Connection } from './connect.ts';
import { EnvironmentError } from './exit-codes.ts';

/** The feedback function's timeout in the CDK app: a run from the CLI gets the same. */
const FEEDBACK_TIMEOUT_MS = 30_000;

/**
 * The existing commands' connection (`ingest`, `rank --edition`, `edition run | show`, `stats`,
 * `feedback`, `deliveries resolve`, `send`) to a deployed stage: the same stores through the
 * same adapters, found from the stage's outputs. What runs in-process locally runs where it is
 * deployed on AWS: an ingest is the bucket's notification to the ingest function, `edition run`
 * invokes the rank function, and send jobs go on the send queue for the send function. The
 * feedback handler runs in this process on the stage's table, as it does locally.
 */
export async function awsConnection(options: AwsTargetOptions): Promise<Connection> {
  const targets = await awsTargets(options);
  const queues = targets.queues as SqsQueueAdmin;
  const outputs = queues.outputs;
  const { db, tableName } = targets;
  const sendQueue = async () => new SqsWorkQueue(queues.sqs, await queues.url(outputs.SendQueueName));
  const queue = {
    enqueue: async (jobs: Parameters<SqsWorkQueue['enqueue']>[0]) => (await sendQueue()).enqueue(jobs),
  };
  const lambda = new LambdaClient({});
  let feedback: ReturnType<typeof createFeedbackHandler> | undefined;
  const notHere = (what: string) => async () => {
    throw new EnvironmentError(`${what} runs in its Lambda function on AWS, not from the CLI`);
  };
  const ledger = new DynamoDeliveryLedger(db, tableName, systemClock);
  // What `stats` and `deliveries resolve` use of the send function's wiring; `send` and `preview`
  // check `connection.remote` and never reach the rest.
  const send = { ledger, clock: systemClock } as unknown as SendDigestsDeps;
  const local = {
    invoker: new AsyncInvoker({ attempts: 1, backoffMs: 0 }),
    queue,
    s3: targets.s3,
    handlers: {
      ingest: notHere('ingest'),
      send: notHere('send'),
      api: notHere('the api'),
      rank: async (event: unknown) => invokeRank(lambda, outputs.RankFunctionName, event),
      feedback: async (event: unknown) => {
        feedback ??= createFeedbackHandler(
          feedbackDeps(
            parseEnv(FeedbackEnv, {
              TABLE_NAME: tableName,
              SEND_QUEUE_URL: await queues.url(outputs.SendQueueName),
              // The stage, where the function's environment names it (its metrics' dimension).
              STAGE: options.stage,
            }),
            { queue },
          ),
        );
        return feedback(event, localLambdaContext('feedback', FEEDBACK_TIMEOUT_MS));
      },
    },
    operator: {
      editions: new DynamoEditionRepository(db, tableName),
      ingestLog: new DynamoIngestLog(db, tableName),
      subscribers: new DynamoSubscriberRepository(db, tableName, systemClock),
      send,
      stats: new DynamoEditionStats(db, tableName),
      subscriberId: async (email: string) =>
        subscriberIdFor(normalizeEmail(email), await targets.keys.current()),
      signups: targets.signups,
    },
  } as unknown as LocalRuntime;
  return {
    local,
    urls: {
      api: outputs.ApiUrl,
      mailbox: 'the SES console (account dashboard and the configuration set’s events)',
    },
    bucket: targets.bucketName,
    tableName,
    dataDir: '',
    started: false,
    remote: { label: targets.label, stage: options.stage },
    settle: async () => {},
    sesEvents: async () => {},
    stopWork: async () => undefined,
    close: async () => {},
  };
}

/** Runs the deployed rank function for a day (or now) and hands back its result. */
async function invokeRank(
  lambda: LambdaClient,
  functionName: string,
  event: unknown,
): Promise<RankEditionResult> {
  const response = await lambda.send(
    new InvokeCommand({
      FunctionName: functionName,
      InvocationType: 'RequestResponse',
      Payload: Buffer.from(JSON.stringify(event)),
    }),
  );
  const text = response.Payload ? Buffer.from(response.Payload).toString('utf8') : '';
  if (response.FunctionError) throw new Error(`the rank function ${functionName} failed: ${text}`);
  return JSON.parse(text) as RankEditionResult;
}
