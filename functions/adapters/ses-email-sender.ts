import { type SESv2Client, SendEmailCommand, type SendEmailCommandInput } from '@aws-sdk/client-sesv2';
import { PaperboyError, ValidationError } from '../core/errors.ts';
import type { EmailSender, OutgoingEmail } from '../core/ports.ts';

/** Builds the SES v2 request. Refuses header values with CR or LF: no header injection. */
export function buildSendEmail(
  email: OutgoingEmail,
  from: string,
  configurationSet?: string,
): SendEmailCommandInput {
  for (const [name, value] of Object.entries({ Subject: email.subject, ...email.headers })) {
    if (/[\r\n]/u.test(value)) throw new ValidationError(`header ${name} contains a line break`);
  }
  return {
    FromEmailAddress: from,
    Destination: { ToAddresses: [email.to] },
    ...(configurationSet ? { ConfigurationSetName: configurationSet } : {}),
    Content: {
      Simple: {
        Subject: { Data: email.subject, Charset: 'UTF-8' },
        Body: { Html: { Data: email.html, Charset: 'UTF-8' }, Text: { Data: email.text, Charset: 'UTF-8' } },
        Headers: Object.entries(email.headers).map(([Name, Value]) => ({ Name, Value })),
      },
    },
  };
}

export class SesEmailSender implements EmailSender {
  constructor(
    private readonly client: SESv2Client,
    private readonly from: string,
    private readonly configurationSet?: string,
  ) {}

  async send(email: OutgoingEmail): Promise<{ messageId: string }> {
    const result = await this.client.send(
      new SendEmailCommand(buildSendEmail(email, this.from, this.configurationSet)),
    );
    if (!result.MessageId) throw new PaperboyError('SES accepted the message but returned no MessageId');
    return { messageId: result.MessageId };
  }
}
