import type { EmailSender, OutgoingEmail, SendPace } from '../core/ports.ts';

/**
 * An email sender that waits for its pace before each message: the sign-up worker's share of
 * the SES account's rate, so that a queue of confirmations (a big import without --confirmed)
 * goes out no faster than SES accepts, as the send path's digests do.
 */
export class PacedEmailSender implements EmailSender {
  constructor(
    private readonly sender: EmailSender,
    private readonly pace: SendPace,
  ) {}

  async send(email: OutgoingEmail): Promise<{ messageId: string }> {
    await this.pace.next();
    return this.sender.send(email);
  }
}
