import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import {
  buildSendBatch,
  QueueRefusedError,
  SqsWorkQueue,
} from '../../../functions/adapters/sqs-work-queue.ts';
import type { SendJob } from '../../../functions/core/ports.ts';

const sqs = mockClient(SQSClient);
afterEach(() => sqs.reset());

const QUEUE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/send';
const jobs = (n: number): SendJob[] =>
  Array.from({ length: n }, (_, i) => ({ editionDate: '2026-11-27', subscriberIds: [`s${i}`] }));

describe('SqsWorkQueue', () => {
  it('builds one SendMessageBatch entry per job, the job as JSON, ids by position', () => {
    expect(buildSendBatch(QUEUE, jobs(2))).toEqual({
      QueueUrl: QUEUE,
      Entries: [
        { Id: '0', MessageBody: '{"editionDate":"2026-11-27","subscriberIds":["s0"]}' },
        { Id: '1', MessageBody: '{"editionDate":"2026-11-27","subscriberIds":["s1"]}' },
      ],
    });
  });

  it('sends 23 jobs as batches of 10, 10 and 3, in order', async () => {
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    await new SqsWorkQueue(new SQSClient({ region: 'eu-west-1' }), QUEUE).enqueue(jobs(23));
    const calls = sqs.commandCalls(SendMessageBatchCommand);
    expect(calls.map((c) => c.args[0].input.Entries?.length)).toEqual([10, 10, 3]);
    expect(calls[1]?.args[0].input).toEqual(buildSendBatch(QUEUE, jobs(23).slice(10, 20)));
  });

  it('fails the run, naming each refused entry, so the rank run is retried', async () => {
    sqs.on(SendMessageBatchCommand).resolves({
      Successful: [{ Id: '0', MessageId: 'm0', MD5OfMessageBody: 'x' }],
      Failed: [{ Id: '1', Code: 'ThrottlingException', Message: 'Rate exceeded', SenderFault: false }],
    });
    const queue = new SqsWorkQueue(new SQSClient({ region: 'eu-west-1' }), QUEUE);
    const run = queue.enqueue(jobs(2));
    await expect(run).rejects.toThrow(QueueRefusedError);
    await expect(run).rejects.toThrow('SQS refused 1 send job(s): 1: ThrottlingException Rate exceeded');
  });

  it('sends nothing for no jobs', async () => {
    await new SqsWorkQueue(new SQSClient({ region: 'eu-west-1' }), QUEUE).enqueue([]);
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
  });
});
