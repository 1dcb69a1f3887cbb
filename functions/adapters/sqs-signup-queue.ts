import { SendMessageCommand, type SendMessageCommandInput, type SQSClient } from '@aws-sdk/client-sqs';
import type { SignupQueue } from '../core/ports.ts';
import type { SignupMessage } from '../core/signup.ts';

export function buildSendSignup(queueUrl: string, signup: SignupMessage): SendMessageCommandInput {
  return { QueueUrl: queueUrl, MessageBody: JSON.stringify(signup) };
}

/** Sign-ups on SQS: one message each, for the process-signup function. */
export class SqsSignupQueue implements SignupQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async enqueue(signup: SignupMessage): Promise<void> {
    await this.client.send(new SendMessageCommand(buildSendSignup(this.queueUrl, signup)));
  }
}
