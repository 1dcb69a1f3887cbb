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

/**
 * The From header's value: `"Name" <address>`. A name in plain ASCII is quoted (its `"` and `\`
 * escaped); any other is an RFC 2047 encoded word, as SES asks for non-ASCII display names.
 */
export function formatFrom(name: string, address: string): string {
  if (/[\r\n]/u.test(name)) throw new ValidationError('the sender name contains a line break');
  const trimmed = name.trim();
  if (!trimmed) return address;
  const display = /^[\u0020-\u007e]*$/u.test(trimmed)
    ? `"${trimmed.replace(/["\\]/gu, (c) => `\\${c}`)}"`
    : `=?UTF-8?B?${Buffer.from(trimmed, 'utf8').toString('base64')}?=`;
  return `${display} <${address}>`;
}

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
 * Refusals about the recipient's address itself (its syntax): the only SES answers that mark a
 * reader. SES v2 answers these with `BadRequestException` ("Illegal address", "Missing final
 * '@domain'", "Local address contains control or whitespace", "Domain contains illegal character").
 */
const BAD_RECIPIENT =
  /\b(?:illegal address|invalid (?:email )?address|missing final '?@domain'?|local address contains|domain (?:name )?contains (?:control|illegal|whitespace))/iu;

/**
 * What an SES error means for the send path:
 * - throttling: back off, give the claim back, retry;
 * - a stop of all sending: the account paused or suspended, the day's quota spent, or a refusal
 *   that is about the account or the sender rather than the reader — `MessageRejected` (an
 *   unverified sender or, in the sandbox, recipient; content SES will not send), or any other
 *   "not verified" answer. Every reader would get the same answer: stop the run and alarm,
 *   never mark readers;
 * - a refused recipient: only an address SES calls malformed; the reader is marked bounced;
 * - anything else: retried.
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
    case 'MailFromDomainNotVerifiedException':
    case 'MessageRejected':
      return new SendingStoppedError(`SES stopped sending (${error.name}): ${message}`, { cause: error });
    case 'BadRequestException':
      if (/not verified|identity|configuration set/iu.test(message)) {
        return new SendingStoppedError(`SES refused the sender's setup (${error.name}): ${message}`, {
          cause: error,
        });
      }
      return BAD_RECIPIENT.test(message)
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
