import { mkdtemp, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  awsTargets,
  cloudFormationOutputs,
  describeMessage,
  eventOf,
  fileOutputs,
  readStageOutputs,
  requireProfile,
  SqsQueueAdmin,
  type StageOutputs,
} from '../../../functions/cli/aws-target.ts';
import { CSV_LIMITS, checkCsv, csvRows, splitCsvLine } from '../../../functions/cli/csv.ts';
import { EnvironmentError, EXIT, exitCodeFor } from '../../../functions/cli/exit-codes.ts';

const cfn = mockClient(CloudFormationClient);
const sqs = mockClient(SQSClient);
const lambda = mockClient(LambdaClient);
afterEach(() => {
  cfn.reset();
  sqs.reset();
  lambda.reset();
});

const DATA = { TableName: 't', IngestBucketName: 'b', TokenSecretArn: 'arn:secret' };
const APP = {
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
};
const asOutputs = (o: Record<string, string>) =>
  Object.entries(o).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue }));

describe("a stage's outputs", () => {
  it('reads both stacks with DescribeStacks, by the names infra/app.ts gives them', async () => {
    cfn
      .on(DescribeStacksCommand, { StackName: 'Paperboy-prod-Data' })
      .resolves({
        Stacks: [
          {
            StackName: 'x',
            CreationTime: new Date(),
            StackStatus: 'CREATE_COMPLETE',
            Outputs: asOutputs(DATA),
          },
        ],
      })
      .on(DescribeStacksCommand, { StackName: 'Paperboy-prod-App' })
      .resolves({
        Stacks: [
          {
            StackName: 'y',
            CreationTime: new Date(),
            StackStatus: 'UPDATE_COMPLETE',
            Outputs: asOutputs(APP),
          },
        ],
      });
    const outputs = await readStageOutputs(
      'prod',
      cloudFormationOutputs(new CloudFormationClient({ region: 'eu-west-1' })),
      'here',
    );
    expect(outputs).toEqual({ ...DATA, ...APP });
    expect(cfn.commandCalls(DescribeStacksCommand).map((c) => c.args[0].input.StackName)).toEqual([
      'Paperboy-prod-Data',
      'Paperboy-prod-App',
    ]);
  });

  it('names the missing stack, and the missing output, as environment errors (exit 3)', async () => {
    const source = cloudFormationOutputs(new CloudFormationClient({ region: 'eu-west-1' }));
    cfn.on(DescribeStacksCommand).rejects(new Error('Stack with id Paperboy-prod-Data does not exist'));
    const missing = readStageOutputs('prod', source, 'in eu-west-1');
    await expect(missing).rejects.toThrow(EnvironmentError);
    await expect(missing).rejects.toThrow('there is no stack Paperboy-prod-Data in eu-west-1');

    cfn.reset();
    const { RankFunctionName: _r, ApiUrl: _a, ...partial } = APP;
    cfn
      .on(DescribeStacksCommand, { StackName: 'Paperboy-prod-Data' })
      .resolves({
        Stacks: [
          {
            StackName: 'x',
            CreationTime: new Date(),
            StackStatus: 'CREATE_COMPLETE',
            Outputs: asOutputs(DATA),
          },
        ],
      })
      .on(DescribeStacksCommand, { StackName: 'Paperboy-prod-App' })
      .resolves({
        Stacks: [
          {
            StackName: 'y',
            CreationTime: new Date(),
            StackStatus: 'CREATE_COMPLETE',
            Outputs: asOutputs(partial),
          },
        ],
      });
    const error = await readStageOutputs('prod', source, 'in eu-west-1').catch((e: unknown) => e);
    expect((error as Error).message).toContain(
      'the stack Paperboy-prod-App in eu-west-1 has no output ApiUrl, RankFunctionName',
    );
    expect(exitCodeFor(error)).toBe(EXIT.environment);
  });

  it('turns refused credentials into an environment error, not a missing stack', async () => {
    const denied = Object.assign(new Error('The security token included in the request is invalid'), {
      name: 'InvalidClientTokenId',
    });
    cfn.on(DescribeStacksCommand).rejects(denied);
    const error = await cloudFormationOutputs(new CloudFormationClient({ region: 'eu-west-1' }))(
      'Paperboy-prod-Data',
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EnvironmentError);
    expect((error as Error).message).toContain('check --profile, --region and your credentials');
  });

  it('reads an outputs file as cdk deploy --outputs-file writes it, and refuses one that is not', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'paperboy-outputs-'));
    const good = join(dir, 'good.json');
    await writeFile(good, JSON.stringify({ 'Paperboy-dev-Data': DATA, 'Paperboy-dev-App': APP }));
    expect(await readStageOutputs('dev', await fileOutputs(good), 'in file')).toEqual({ ...DATA, ...APP });
    const bad = join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ 'Paperboy-dev-Data': { TableName: 3 } }));
    await expect(fileOutputs(bad)).rejects.toThrow('not a stack outputs file');
    const big = join(dir, 'big.json');
    await writeFile(big, '');
    await truncate(big, 2 * 1024 * 1024);
    await expect(fileOutputs(big)).rejects.toThrow('an outputs file is at most');
  });
});

describe("a deployed stage's queues", () => {
  const outputs = { ...DATA, ...APP } as StageOutputs;
  const admin = () =>
    new SqsQueueAdmin(
      new SQSClient({ region: 'eu-west-1' }),
      new LambdaClient({ region: 'eu-west-1' }),
      outputs,
    );
  const url = (name: string) => `https://sqs.eu-west-1.amazonaws.com/1/${name}`;
  beforeAll(() => {});

  it('reads depths from the queue attributes', async () => {
    sqs
      .on(GetQueueUrlCommand)
      .callsFake((input: { QueueName: string }) => ({ QueueUrl: url(input.QueueName) }));
    sqs.on(GetQueueAttributesCommand).resolves({
      Attributes: { ApproximateNumberOfMessages: '3', ApproximateNumberOfMessagesNotVisible: '1' },
    });
    const depths = await admin().depths();
    expect(depths).toHaveLength(7);
    expect(depths[0]).toEqual({ name: 'send', kind: 'work', role: 'send', visible: 3, inFlight: 1 });
    expect(depths.filter((d) => d.kind === 'dead-letter').map((d) => d.name)).toEqual([
      'send-dlq',
      'signup-dlq',
      'ingest-dlq',
      'rank-dlq',
      'feedback-dlq',
    ]);
  });

  it('lists dead letters with a visibility timeout of 0, so they stay, and says why each failed', async () => {
    sqs
      .on(GetQueueUrlCommand)
      .callsFake((input: { QueueName: string }) => ({ QueueUrl: url(input.QueueName) }));
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '1' } });
    sqs.on(ReceiveMessageCommand).resolves({
      Messages: [
        {
          MessageId: 'm1',
          Body: JSON.stringify({
            requestContext: { condition: 'RetriesExhausted' },
            responsePayload: { errorMessage: 'boom' },
            requestPayload: { a: 1 },
          }),
          Attributes: { SentTimestamp: '1764201600000' },
        },
      ],
    });
    const queues = await admin().deadLetters(3);
    expect(queues[2]).toMatchObject({
      role: 'ingest',
      depth: 1,
      messages: [{ id: 'm1', error: 'boom', at: '2025-11-27T00:00:00.000Z' }],
    });
    for (const call of sqs.commandCalls(ReceiveMessageCommand)) {
      expect(call.args[0].input).toMatchObject({ VisibilityTimeout: 0, MaxNumberOfMessages: 3 });
    }
    expect(sqs.commandCalls(DeleteMessageCommand)).toHaveLength(0);
  });

  it("redrives a queue's dead letters with SQS's move task back to their source", async () => {
    sqs.on(GetQueueUrlCommand).resolves({ QueueUrl: url('send-dlq') });
    sqs.on(GetQueueAttributesCommand).resolves({
      Attributes: { QueueArn: 'arn:aws:sqs:eu-west-1:1:send-dlq', ApproximateNumberOfMessages: '4' },
    });
    sqs.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'task-1' });
    expect(await admin().redrive('send')).toEqual([
      { name: 'send-dlq', role: 'send', moved: 4, how: 'move-task', failed: [], taskHandle: 'task-1' },
    ]);
    // No destination: SQS sends them back to the queue they came from.
    expect(sqs.commandCalls(StartMessageMoveTaskCommand)[0]?.args[0].input).toEqual({
      SourceArn: 'arn:aws:sqs:eu-west-1:1:send-dlq',
    });
  });

  it("hands a function's failed events back to it, deleting each once the invocation is accepted", async () => {
    sqs.on(GetQueueUrlCommand).resolves({ QueueUrl: url('ingest-dlq') });
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({
        Messages: [
          {
            MessageId: 'a',
            ReceiptHandle: 'ra',
            Body: JSON.stringify({ requestContext: {}, requestPayload: { Records: [1] } }),
          },
          { MessageId: 'b', ReceiptHandle: 'rb', Body: '{"Records":[2]}' },
        ],
      })
      .resolves({ Messages: [] });
    lambda.on(InvokeCommand).resolvesOnce({ StatusCode: 202 }).rejectsOnce(new Error('Rate exceeded'));
    const [result] = await admin().redrive('ingest');
    expect(result).toEqual({
      name: 'ingest-dlq',
      role: 'ingest',
      moved: 1,
      how: 'invoked',
      failed: [{ id: 'b', error: 'Rate exceeded' }],
    });
    const invokes = lambda.commandCalls(InvokeCommand).map((c) => c.args[0].input);
    expect(
      invokes.map((i) => [i.FunctionName, i.InvocationType, Buffer.from(i.Payload as Uint8Array).toString()]),
    ).toEqual([
      ['ingest-fn', 'Event', '{"Records":[1]}'],
      ['ingest-fn', 'Event', '{"Records":[2]}'],
    ]);
    // Only the accepted one is deleted; the other becomes visible again in its queue.
    expect(sqs.commandCalls(DeleteMessageCommand).map((c) => c.args[0].input.ReceiptHandle)).toEqual(['ra']);
  });

  it('finds the event in a destination record, and takes any other body as the event itself', () => {
    expect(eventOf('{"requestContext":{},"requestPayload":{"x":1}}')).toBe('{"x":1}');
    expect(eventOf('{"detail-type":"x"}')).toBe('{"detail-type":"x"}');
    expect(eventOf('not json')).toBe('not json');
    expect(
      describeMessage({
        MessageId: 'e',
        Body: '{}',
        MessageAttributes: { ERROR_MESSAGE: { DataType: 'String', StringValue: 'denied' } },
      }),
    ).toMatchObject({ error: 'denied' });
  });
});

describe('import files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'paperboy-csv-'));
  });

  it('splits quoted fields, doubled quotes, and refuses a quote left open', () => {
    expect(splitCsvLine('a, "b, c" ,"say ""hi"""')).toEqual(['a', 'b, c', 'say "hi"']);
    expect(splitCsvLine('a,"open')).toBeUndefined();
    expect(splitCsvLine('')).toEqual(['']);
  });

  it("ignores an unknown column (named once), reads an export's status apart, and refuses a header with no email", async () => {
    const file = join(dir, 'header.csv');
    await writeFile(file, "email,colour,Status,topics\nana@example.org,red,Unsubscribed,'=x\n");
    const { columns, ignored, statusAt } = await checkCsv(file);
    expect(columns).toEqual(['email', undefined, undefined, 'topics']);
    expect(ignored).toEqual(['colour', 'Status']);
    expect(statusAt).toBe(2);
    const read = [];
    for await (const row of csvRows(file, columns, statusAt)) read.push(row);
    // The apostrophe an export puts before a formula character is taken off.
    expect(read).toEqual([
      { line: 2, fields: { email: 'ana@example.org', topics: '=x' }, fileStatus: 'unsubscribed' },
    ]);
    await writeFile(file, 'topics\nx\n');
    await expect(checkCsv(file)).rejects.toThrow('has no email column');
  });

  it('bounds the file size, the rows and each line', async () => {
    const big = join(dir, 'big.csv');
    await writeFile(big, 'email\n');
    await truncate(big, CSV_LIMITS.fileBytes + 1);
    await expect(checkCsv(big)).rejects.toThrow('an import file is at most');

    const many = join(dir, 'many.csv');
    await writeFile(many, `email\n${'a@example.org\n'.repeat(CSV_LIMITS.rows + 1)}`);
    await expect(checkCsv(many)).rejects.toThrow(`more than ${CSV_LIMITS.rows.toLocaleString('en-US')} rows`);

    const long = join(dir, 'long.csv');
    await writeFile(
      long,
      `email,topics\nana@example.org,${'x'.repeat(CSV_LIMITS.lineChars)}\nben@example.org,y\n`,
    );
    const { columns, rows } = await checkCsv(long);
    expect(rows).toBe(2);
    const read = [];
    for await (const row of csvRows(long, columns)) read.push(row);
    expect(read).toEqual([
      { line: 2, error: `longer than ${CSV_LIMITS.lineChars} characters` },
      { line: 3, fields: { email: 'ben@example.org', topics: 'y' } },
    ]);
  });
});

describe('--aws flags after the issue 12 attack', () => {
  it('names a missing outputs file plainly (exit 3), and a bad --stage is bad input (exit 2)', async () => {
    const missing = await fileOutputs('/nonexistent/outputs.json').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(EnvironmentError);
    expect(exitCodeFor(missing)).toBe(3);
    expect((missing as Error).message).toBe(
      '--outputs-file /nonexistent/outputs.json: no such file (the file `npx cdk deploy --outputs-file FILE` writes)',
    );
    for (const stage of ['a b', 'UPPER', 'x']) {
      const error = await awsTargets({ stage }).catch((e: unknown) => e);
      expect(exitCodeFor(error), stage).toBe(2);
      expect((error as Error).message).toContain(`--stage ${stage}: lower-case letters`);
    }
  });

  it('names a profile that is in neither shared file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'paperboy-profiles-'));
    const config = join(dir, 'config');
    const credentials = join(dir, 'credentials');
    await writeFile(config, '[default]\nregion = eu-west-1\n[profile ops]\nregion = us-east-1\n');
    await writeFile(credentials, '[keys-only]\naws_access_key_id = x\n');
    const saved = {
      config: process.env.AWS_CONFIG_FILE,
      credentials: process.env.AWS_SHARED_CREDENTIALS_FILE,
    };
    process.env.AWS_CONFIG_FILE = config;
    process.env.AWS_SHARED_CREDENTIALS_FILE = credentials;
    try {
      await expect(requireProfile('ops')).resolves.toBeUndefined();
      await expect(requireProfile('keys-only')).resolves.toBeUndefined();
      const error = await requireProfile('nosuch').catch((e: unknown) => e);
      expect(exitCodeFor(error)).toBe(3);
      expect((error as Error).message).toContain(
        `--profile nosuch: there is no such profile in ${config} or ${credentials}`,
      );
    } finally {
      if (saved.config === undefined) delete process.env.AWS_CONFIG_FILE;
      else process.env.AWS_CONFIG_FILE = saved.config;
      if (saved.credentials === undefined) delete process.env.AWS_SHARED_CREDENTIALS_FILE;
      else process.env.AWS_SHARED_CREDENTIALS_FILE = saved.credentials;
    }
  });
});
