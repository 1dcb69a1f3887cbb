import { domainToASCII } from 'node:url';
import * as z from 'zod';
import { singleLine } from './text.ts';

/**
 * A subscriber's life: `pending` (signed up, not confirmed) → `active` → `unsubscribed`; the
 * provider's feedback makes `bounced` or `complained`; the reader's own erasure leaves `erased`
 * (a record with no personal data, so that the address stays known as erased).
 */
export const SUBSCRIBER_STATUSES = [
  'pending',
  'active',
  'unsubscribed',
  'bounced',
  'complained',
  'erased',
] as const;
export type SubscriberStatus = (typeof SUBSCRIBER_STATUSES)[number];

/** `none`: no email at all; the reader follows their personal feed (an active subscription). */
export const FREQUENCIES = ['daily', 'weekly', 'none'] as const;
export type Frequency = (typeof FREQUENCIES)[number];

/** What a reader chooses: what their digest is about, how often and how long it is. */
export interface Preferences {
  topics: string[];
  /** Authors whose papers are lifted into the digest. */
  authors: string[];
  /** Words whose papers are never sent. */
  exclude: string[];
  frequency: Frequency;
  /** Papers per digest, 3 to 30. */
  digestSize: number;
}

export interface Subscriber extends Preferences {
  /** Keyed hash of the normalized address: one address can only ever be one subscriber. */
  id: string;
  email: string;
  status: Exclude<SubscriberStatus, 'erased'>;
  /** Incremented by every change: writes are conditional on the version that was read. */
  version: number;
  /**
   * The sign-up this record stands for. Confirmation and preference links are bound to it: a
   * later sign-up (after an unsubscribe or an erasure) makes the old links useless.
   */
  signupId: string;
  createdAt: string;
  updatedAt: string;
  /** When the last confirmation email was sent: a repeat sign-up re-sends it at most hourly. */
  confirmationSentAt?: string;
  confirmedAt?: string;
  unsubscribedAt?: string;
  /** No digest until this instant (ISO time); the reader is otherwise active. */
  pausedUntil?: string;
  /** Temporary bounces in a row (reset by a delivery); three make the address bounced. */
  softBounces?: number;
  bouncedAt?: string;
  /** What the provider said: a permanent bounce, a rejection, three soft bounces. */
  bounceReason?: string;
  complainedAt?: string;
  /** Unix seconds after which an unconfirmed subscriber is treated as absent. */
  expiresAt?: number;
  /** The personal feed's secret: "reset this link" replaces it, ending the old feed link. */
  feedKey?: string;
}

/**
 * What is left of a reader who erased their data: the keyed hash of their address (the id) and
 * when. It keeps an import from re-adding the address; a new sign-up through the form, with a
 * new confirmation, is still possible.
 */
export interface ErasedSubscriber {
  id: string;
  status: 'erased';
  version: number;
  erasedAt: string;
  updatedAt: string;
}

/** What the subscriber store holds for an id. */
export type SubscriberRecord = Subscriber | ErasedSubscriber;

export const isErased = (record: SubscriberRecord): record is ErasedSubscriber => record.status === 'erased';

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

/** Form posts send lists as one comma-separated field (or a field repeated); JSON sends lists. */
const list = (item: z.ZodType<string>, max: number, what: string) =>
  z.preprocess(
    (v) => {
      const values = typeof v === 'string' ? [v] : v;
      if (!Array.isArray(values) || !values.every((x) => typeof x === 'string')) return v;
      return values
        .flatMap((x) => x.split(','))
        .map((x) => x.trim())
        .filter(Boolean);
    },
    z.array(item).max(max, `at most ${max} ${what}`),
  );

/** A form sends numbers as text. */
const digestSize = z.coerce
  .number({ message: 'digestSize must be a number' })
  .int('digestSize must be a whole number')
  .min(3, 'digestSize must be at least 3 papers')
  .max(30, 'digestSize must be at most 30 papers');

/** How each preference is read, without defaults (an update leaves out what it does not change). */
const preference = {
  topics: list(field(1, 80, 'a topic'), 20, 'topics'),
  authors: list(field(2, 120, 'an author name'), 50, 'followed authors'),
  exclude: list(field(2, 60, 'an excluded word'), 50, 'excluded words'),
  frequency: z.enum(FREQUENCIES, {
    message: 'frequency must be daily, weekly or none (no email: feed only)',
  }),
  digestSize,
};

export const PreferencesSchema = z.object({
  topics: preference.topics.default([]),
  authors: preference.authors.default([]),
  exclude: preference.exclude.default([]),
  frequency: preference.frequency.default('daily'),
  digestSize: preference.digestSize.default(10),
});

/** What a person may choose on the subscribe form or API. */
export const SubscriptionRequestSchema = PreferencesSchema.extend({
  // Normalized before it is checked, so that an internationalized domain is checked as ASCII.
  email: z
    .string({ message: 'email is required' })
    .trim()
    .max(254, 'email must be at most 254 characters')
    // Refused rather than cleaned: an address with a line break in it is not anyone's address.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
    .refine((v) => !/[\u0000-\u001f\u007f-\u009f]/u.test(v), 'email must not contain control characters')
    .transform(normalizeEmail)
    .pipe(
      z
        .email({ message: 'email must be a valid email address' })
        .max(254, 'email must be at most 254 characters'),
    ),
});
export type SubscriptionRequest = z.infer<typeof SubscriptionRequestSchema>;

/**
 * A change on the preference centre: any preference, and `pauseWeeks` (1–12) or `resume`.
 * Fields left out keep their value.
 */
export const PreferencesUpdateSchema = z.object({
  topics: preference.topics.optional(),
  authors: preference.authors.optional(),
  exclude: preference.exclude.optional(),
  frequency: preference.frequency.optional(),
  digestSize: preference.digestSize.optional(),
  pauseWeeks: z.coerce
    .number({ message: 'pauseWeeks must be a number' })
    .int('pauseWeeks must be a whole number')
    .min(1, 'pauseWeeks must be 1 to 12')
    .max(12, 'pauseWeeks must be 1 to 12')
    .optional(),
  resume: z.preprocess((v) => v === 'true' || v === 'on' || v === true, z.boolean()).optional(),
});
export type PreferencesUpdate = z.infer<typeof PreferencesUpdateSchema>;

/**
 * The form of an address that identifies a person: trimmed, its domain lower-cased and, for an
 * internationalized domain, in its ASCII (punycode) form, so that `ana@Exämple.org` and
 * `ana@xn--exmple-cua.org` are one subscriber. The local part is kept as typed: RFC 5321 lets
 * a mail server tell `Ana` from `ana`.
 */
export function normalizeEmail(email: string): string {
  const trimmed = email.trim();
  const at = trimmed.lastIndexOf('@');
  if (at < 0) return trimmed;
  const domain = trimmed.slice(at + 1).toLowerCase();
  return `${trimmed.slice(0, at)}@${domainToASCII(domain) || domain}`;
}

/**
 * The form of an address that identifies a mailbox, from which the subscriber id (and so the
 * erased suppression hash) is derived: the normalized address (trimmed, domain lower-cased and
 * in ASCII), in Unicode NFC, with the local part lower-cased too. RFC 5321 lets a server tell
 * `Ana` from `ana`, but no mailbox provider does, and old lists change the case of addresses:
 * `Ana@example.org` and `ana@example.org` are one reader, so that an unsubscribed, suppressed or
 * erased address cannot come back in another case. The stored address, to which mail is sent,
 * stays as the reader typed it (`normalizeEmail`).
 */
export function identityOf(email: string): string {
  return normalizeEmail(email.normalize('NFC')).toLowerCase();
}

/** A subscriber's preferences alone. */
export function preferencesOf(subscriber: Subscriber): Preferences {
  const { topics, authors, exclude, frequency, digestSize: size } = subscriber;
  return { topics, authors, exclude, frequency, digestSize: size };
}
