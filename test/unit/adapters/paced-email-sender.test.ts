import { describe, expect, it } from 'vitest';
import { PacedEmailSender } from '../../../functions/adapters/paced-email-sender.ts';
import { TokenBucketPace } from '../../../functions/adapters/token-bucket-pace.ts';
import type { EmailSender, OutgoingEmail } from '../../../functions/core/ports.ts';

describe('the paced sender (confirmation emails)', () => {
  it('sends no faster than its share of the rate: 10 emails at 2/s span 4.5 s of (fake) time', async () => {
    let now = 0;
    const sentAt: number[] = [];
    const inner: EmailSender = {
      send: async () => {
        sentAt.push(now);
        return { messageId: `m${sentAt.length}` };
      },
    };
    const pace = new TokenBucketPace(async () => 2, {
      now: () => now,
      sleep: async (ms) => {
        now += ms;
      },
    });
    const sender = new PacedEmailSender(inner, pace);
    const email = { to: 'a@example.org', subject: 's', html: '', text: '' } as unknown as OutgoingEmail;
    await Promise.all(Array.from({ length: 10 }, () => sender.send(email)));
    expect(sentAt).toHaveLength(10);
    expect(sentAt[0]).toBe(0);
    expect(sentAt[9]).toBe(4500);
    for (let i = 1; i < sentAt.length; i += 1)
      expect((sentAt[i] as number) - (sentAt[i - 1] as number)).toBe(500);
  });
});
