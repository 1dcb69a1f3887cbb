import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetQueueUrlCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { awsConnection } from '../../../functions/cli/aws-connection.ts';

const lambda = mockClient(LambdaClient);
const sqs = mockClient(SQSClient);
afterEach(() => {
  lambda.reset();
  sqs.reset();
});

const OUTPUTS = {
  'Paperboy-dev-Data': { TableName: 't', IngestBucketName: 'b', TokenSecretArn: 'arn:secret' },
  'Paperboy-dev-App': {
    ApiUrl: 'https://api.example.org/',
    SendQueueName: 'send',
    SendDeadLetterQueueName: 'send-dlq',
    SignupQueueName: 'signup',
    SignupDeadLetterQueueName: 'signup-dlq',
    IngestDeadLetterQueueName: 'ingest-dlq',
    RankDeadLetterQueueName: 'rank-dlq',
    FeedbackDeadLetterQueueName: 'feedback-dlq',
    IngestFunctionName: 'ingest-fn',
    RankFunctionName: 'rank-fn',
    FeedbackFunctionName: 'feedback-fn',
  },
};
let outputsFile: string;

beforeAll(async () => {
  process.env.AWS_REGION = 'eu-west-1';
  process.env.AWS_ACCESS_KEY_ID = 'test';
  process.env.AWS_SECRET_ACCESS_KEY = 'test';
  outputsFile = join(await mkdtemp(join(tmpdir(), 'paperboy-aws-')), 'outputs.json');
  await writeFile(outputsFile, JSON.stringify(OUTPUTS));
});

describe('the existing commands on a deployed stage', () => {
  it('edition run invokes the rank function and reads back its result', async () => {
    const result = {
      date: '2026-11-26',
      created: true,
      entries: 40,
      candidates: 40,
      subscribers: 3,
      jobs: 1,
    };
    lambda
      .on(InvokeCommand)
      .resolves({ StatusCode: 200, Payload: Buffer.from(JSON.stringify(result)) as never });
    const connection = await awsConnection({ stage: 'dev', outputsFile });
    expect(connection.remote).toEqual({ label: expect.stringContaining('stage dev'), stage: 'dev' });
    expect(connection.bucket).toBe('b');
    expect(await connection.local.handlers.rank({ date: '2026-11-26' })).toEqual(result);
    const input = lambda.commandCalls(InvokeCommand)[0]?.args[0].input;
    expect(input?.FunctionName).toBe('rank-fn');
    expect(input?.InvocationType).toBe('RequestResponse');
    expect(Buffer.from(input?.Payload as Uint8Array).toString()).toBe('{"date":"2026-11-26"}');
  });

  it("reports the rank function's failure with what it said", async () => {
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: Buffer.from('{"errorMessage":"no table"}') as never,
    });
    const connection = await awsConnection({ stage: 'dev', outputsFile });
    await expect(connection.local.handlers.rank({ date: '2026-11-26' })).rejects.toThrow(
      'the rank function rank-fn failed: {"errorMessage":"no table"}',
    );
  });

  it('puts send jobs on the send queue found by its output name', async () => {
    sqs.on(GetQueueUrlCommand, { QueueName: 'send' }).resolves({ QueueUrl: 'https://sqs/1/send' });
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    const connection = await awsConnection({ stage: 'dev', outputsFile });
    await connection.local.queue.enqueue([{ editionDate: '2026-11-26', subscriberIds: ['a', 'b'] }]);
    expect(sqs.commandCalls(SendMessageBatchCommand)[0]?.args[0].input).toMatchObject({
      QueueUrl: 'https://sqs/1/send',
      Entries: [{ MessageBody: '{"editionDate":"2026-11-26","subscriberIds":["a","b"]}' }],
    });
  });

  it('refuses what only runs in a function on AWS, naming it', async () => {
    const connection = await awsConnection({ stage: 'dev', outputsFile });
    await expect(connection.local.handlers.ingest({})).rejects.toThrow(
      'ingest runs in its Lambda function on AWS',
    );
  });
});
