import {
  GetAccountCommand,
  type SESv2Client,
  SendEmailCommand,
  type SendEmailCommandInput,
} from '@aws-sdk/client-sesv2';
import {
  PaperboyError,
  RecipientRejectedError,
  SendingStoppedError,
  ThrottledError,
  ValidationError,
} from '../core/errors.ts';
import type { EmailSender, OutgoingEmail } from '../core/ports.ts';

/** SES message tag names and values: letters, digits, `_`, `-`, `.`, `@`, at most 256 characters. */
const TAG = /^[A-Za-z0-9_.@-]{1,256}$/u;

/** Builds the SES v2 request. Refuses header values with CR or LF: no header injection. */
export function buildSendEmail(
  email: OutgoingEmail,
  from: string,
  configurationSet?: string,
): SendEmailCommandInput {
  for (const [name, value] of Object.entries({ Subject: email.subject, ...email.headers })) {
    if (/[\r\n]/u.test(value)) throw new ValidationError(`header ${name} contains a line break`);
  }
  const tags = Object.entries(email.tags ?? {});
  for (const [name, value] of tags) {
    if (!TAG.test(name) || !TAG.test(value))
      throw new ValidationError(`message tag ${name} has characters SES refuses`);
  }
  return {
    FromEmailAddress: from,
    Destination: { ToAddresses: [email.to] },
    ...(configurationSet ? { ConfigurationSetName: configurationSet } : {}),
    ...(tags.length ? { EmailTags: tags.map(([Name, Value]) => ({ Name, Value })) } : {}),
    Content: {
      Simple: {
        Subject: { Data: email.subject, Charset: 'UTF-8' },
        Body: { Html: { Data: email.html, Charset: 'UTF-8' }, Text: { Data: email.text, Charset: 'UTF-8' } },
        Headers: Object.entries(email.headers).map(([Name, Value]) => ({ Name, Value })),
      },
    },
  };
}

/**
 * What an SES error means for the send path: throttling (back off, retry), a stop of all
 * sending (paused, suspended, the day's quota spent), a recipient refused for good, or anything
 * else (retry).
 */
export function classifySesError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const message = error.message || error.name;
  switch (error.name) {
    case 'TooManyRequestsException':
      return new ThrottledError(`SES is throttling: ${message}`, { cause: error });
    case 'SendingPausedException':
    case 'AccountSuspendedException':
    case 'LimitExceededException':
      return new SendingStoppedError(`SES stopped sending (${error.name}): ${message}`, { cause: error });
    case 'MessageRejected':
      return new RecipientRejectedError(`SES rejected the message: ${message}`, { cause: error });
    case 'BadRequestException':
      return /address|recipient|domain/iu.test(message)
        ? new RecipientRejectedError(`SES refused the address: ${message}`, { cause: error })
        : error;
    default:
      return error;
  }
}

export class SesEmailSender implements EmailSender {
  constructor(
    private readonly client: SESv2Client,
    private readonly from: string,
    private readonly configurationSet?: string,
  ) {}

  async send(email: OutgoingEmail): Promise<{ messageId: string }> {
    let result: { MessageId?: string | undefined };
    try {
      result = await this.client.send(
        new SendEmailCommand(buildSendEmail(email, this.from, this.configurationSet)),
      );
    } catch (error) {
      throw classifySesError(error);
    }
    if (!result.MessageId) throw new PaperboyError('SES accepted the message but returned no MessageId');
    return { messageId: result.MessageId };
  }
}

/** The account's sending rate (messages per second), from SES's GetAccount. */
export async function sesMaxSendRate(client: SESv2Client): Promise<number> {
  const account = await client.send(new GetAccountCommand({}));
  const rate = account.SendQuota?.MaxSendRate;
  if (!rate || rate <= 0) throw new PaperboyError('SES GetAccount gave no MaxSendRate');
  return rate;
}
