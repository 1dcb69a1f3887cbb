import { DELIVERY_HEADER, DELIVERY_TAGS } from '../core/delivery-tags.ts';
import type { SesEvent } from '../core/feedback.ts';
import { header, readMailbox, type StoredEmail } from './mailbox.ts';

/**
 * SES's own mailbox simulator addresses, answered locally as SES answers them: a permanent
 * bounce, a complaint, an out-of-office (delivered), and an address on the suppression list.
 */
const SIMULATOR: Record<string, 'Bounce' | 'Complaint' | 'Delivery'> = {
  'bounce@simulator.amazonses.com': 'Bounce',
  'complaint@simulator.amazonses.com': 'Complaint',
  'ooto@simulator.amazonses.com': 'Delivery',
  'suppressionlist@simulator.amazonses.com': 'Bounce',
};

/**
 * Stands in for the SES configuration set's event destination: reads what the SES emulator was
 * asked to send and turns each new message into the events SES would publish to EventBridge —
 * `Send`, then `Delivery` (or, for the mailbox simulator's addresses, `Bounce` or `Complaint`) —
 * with the message's delivery tags, for the same feedback handler Lambda runs. The emulator
 * keeps headers, not message tags: the tags are read back from the X-Paperboy-Delivery header.
 */
export class LocalSesEvents {
  private since = 0;
  /**
   * What was published, by message and second. Not by message id alone: the emulator draws its ids
   * at random from 900 million, so among 10,000 messages two share one about once in 18 runs, and
   * the second message's events would be lost. Only the current second's are kept.
   */
  private readonly seen = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private pumping: Promise<number> | undefined;

  constructor(
    private readonly sesUrl: string,
    private readonly publish: (event: SesEvent) => void,
  ) {}

  /** Publishes the events of every message sent since the last pump; resolves to their number. */
  pump(): Promise<number> {
    this.pumping ??= this.readNew().finally(() => {
      this.pumping = undefined;
    });
    return this.pumping;
  }

  start(everyMs = 2000): void {
    this.timer = setInterval(() => void this.pump().catch(() => {}), everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async readNew(): Promise<number> {
    const emails = await readMailbox(this.sesUrl, this.since);
    let published = 0;
    for (const email of emails) {
      const key = seenKey(email);
      if (this.seen.has(key)) continue;
      this.seen.set(key, email.at);
      this.since = Math.max(this.since, Math.floor(email.at));
      for (const event of eventsOf(email)) {
        this.publish(event);
        published += 1;
      }
    }
    // The next read starts at `since` (inclusive): what came before it is never returned again.
    for (const [key, at] of this.seen) if (at < this.since) this.seen.delete(key);
    return published;
  }
}

/** One stored message: its id, second, recipients and delivery header together. */
function seenKey(email: StoredEmail): string {
  return JSON.stringify([
    email.messageId,
    email.at,
    email.destination.to,
    header(email, DELIVERY_HEADER) ?? '',
  ]);
}

/** The events SES would publish for one accepted message. */
export function eventsOf(email: StoredEmail): SesEvent[] {
  const delivery = email.headers?.find((h) => h.name.toLowerCase() === DELIVERY_HEADER.toLowerCase())?.value;
  const [subscriberId, editionDate] = delivery?.split('/') ?? [];
  const tags: Record<string, string[]> = {};
  if (subscriberId) tags[DELIVERY_TAGS.subscriber] = [subscriberId];
  if (editionDate) tags[DELIVERY_TAGS.edition] = [editionDate];
  const mail = {
    messageId: email.messageId,
    timestamp: new Date(email.at * 1000).toISOString(),
    destination: email.destination.to,
    tags,
    headers: email.headers ?? [],
  };
  const outcome = SIMULATOR[email.destination.to[0]?.toLowerCase() ?? ''] ?? 'Delivery';
  const second =
    outcome === 'Bounce'
      ? { eventType: 'Bounce', mail, bounce: { bounceType: 'Permanent', bounceSubType: 'General' } }
      : outcome === 'Complaint'
        ? { eventType: 'Complaint', mail, complaint: { complaintFeedbackType: 'abuse' } }
        : { eventType: 'Delivery', mail };
  return [
    { 'detail-type': 'Email Sent', detail: { eventType: 'Send', mail } },
    {
      'detail-type': `Email ${outcome === 'Delivery' ? 'Delivered' : outcome === 'Bounce' ? 'Bounced' : 'Complaint Received'}`,
      detail: second,
    },
  ];
}
