import * as z from 'zod';
import { singleLine } from './text.ts';

export const SUBSCRIBER_STATUSES = ['pending', 'active', 'unsubscribed', 'bounced', 'complained'] as const;
export type SubscriberStatus = (typeof SUBSCRIBER_STATUSES)[number];

export interface Subscriber {
  /** Keyed hash of the normalized address: one address can only ever be one subscriber. */
  id: string;
  email: string;
  status: SubscriberStatus;
  topics: string[];
  /** Authors whose papers are lifted into the digest. */
  authors?: string[];
  /** Words whose papers are never sent. */
  exclude?: string[];
  frequency: 'daily' | 'weekly';
  digestSize: number;
  createdAt: string;
  updatedAt: string;
  confirmedAt?: string;
  unsubscribedAt?: string;
  /** Unix seconds after which an unconfirmed subscriber is treated as absent. */
  expiresAt?: number;
}

/** One field a person typed: control characters gone and white space folded before it is checked. */
const field = (min: number, max: number, name: string) =>
  z
    .string()
    .transform(singleLine)
    .pipe(
      z
        .string()
        .min(min, min === 1 ? `${name} cannot be empty` : `${name} is at least ${min} characters`)
        .max(max, `${name} is at most ${max} characters`),
    );

/** What a person may choose on the subscribe form or API. */
export const SubscriptionRequestSchema = z.object({
  email: z
    .string()
    .trim()
    .max(254, 'email must be at most 254 characters')
    .pipe(z.email({ message: 'email must be a valid email address' })),
  topics: z
    .array(field(1, 80, 'a topic'))
    .max(20, 'at most 20 topics')
    .default([]),
  authors: z
    .array(field(2, 120, 'an author name'))
    .max(50, 'at most 50 followed authors')
    .default([]),
  exclude: z
    .array(field(2, 60, 'an excluded word'))
    .max(50, 'at most 50 excluded words')
    .default([]),
  frequency: z.enum(['daily', 'weekly']).default('daily'),
  digestSize: z.number().int().min(3).max(30).default(10),
});
export type SubscriptionRequest = z.infer<typeof SubscriptionRequestSchema>;

/**
 * The form of an address that identifies a person: trimmed and lower-cased. (Local parts are
 * case-sensitive in theory; in practice every large provider ignores case, and treating
 * `Ana@x.org` and `ana@x.org` as two subscribers would send two digests to one inbox.)
 */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}
