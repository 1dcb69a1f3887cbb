import * as z from 'zod';
import { type CollectorConfig, CollectorConfigSchema } from '../functions/core/collect/config.ts';
import { PaperboyError } from '../functions/core/errors.ts';
import { defaultRateLimits } from '../functions/core/rate-limits.ts';
import { parseDayPolicies, WEEKDAYS } from '../functions/core/schedule-policy.ts';
import { isTimeZone } from '../functions/shared/config.ts';

/**
 * Deployment settings, read from CDK context (`cdk.json`, or `-c paperboy:senderAddress=…`)
 * and validated at synth time so a wrong value fails before anything reaches AWS.
 */
/** A DNS name of two or more labels (letters, digits, inner dashes), lower case. */
const DOMAIN = /^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/u;

/** A number from context: `-c key=abc` says it is not a number (not zod's "received NaN"). */
const number = () => z.number({ message: 'must be a number' });

/** Each setting on its own; the checks across settings are `senderAtSendingDomain`. */
const StageConfigFields = z.object({
  stage: z
    .string()
    .regex(/^[a-z][a-z0-9-]{1,20}$/u, 'lower-case letters, digits and dashes, 2 to 21 characters'),
  senderAddress: z.email('must be an email address on a domain verified in SES, e.g. papers@example.org'),
  /** The display name in every email's From header ("Paperboy" <papers@example.org>). */
  senderName: z
    .string()
    .trim()
    .min(1, 'must be the name shown as the sender, e.g. Paperboy')
    .max(64, 'must be at most 64 characters')
    // biome-ignore lint/suspicious/noControlCharactersInRegex: one line of text
    .refine((v) => !/[\u0000-\u001f\u007f"<>\\]/u.test(v), 'must be one line without " < > or \\'),
  /**
   * The domain SES signs for (Easy DKIM) and whose `mailFromSubdomain` is the MAIL FROM domain;
   * the sender address must be at it or under it. Its DNS records are stack outputs.
   */
  sendingDomain: z
    .string()
    .toLowerCase()
    .regex(DOMAIN, 'must be a domain name such as example.org (the sender address must be at it)'),
  /** MAIL FROM (bounce) subdomain of the sending domain: `mail` gives mail.<domain>. */
  mailFromSubdomain: z
    .string()
    .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/u, 'must be one DNS label such as mail')
    .default('mail'),
  publicBaseUrl: z
    .url('must be an absolute URL, e.g. https://papers.example.org')
    .refine((u) => u.startsWith('https://'), 'must be https: links in emails carry unsubscribe tokens'),
  sendAt: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/u, 'must be a time of day such as 06:00'),
  timeZone: z.string().refine(isTimeZone, 'must be an IANA time zone such as Europe/Paris'),
  /** Requests per second the public API accepts (steady rate; bursts get twice this). */
  apiRateLimit: number()
    .int('must be a whole number')
    .positive('must be more than 0')
    .max(10_000, 'must be at most 10000'),
  /** State-changing requests one IP address may make per minute (sign-ups, preference changes…). */
  rateLimitPerIp: number()
    .int('must be a whole number')
    .positive('must be more than 0')
    .max(100_000, 'must be at most 100000')
    .default(defaultRateLimits.perIpPerMinute),
  /** Sign-ups (and other mail-sending requests) per address per hour. */
  rateLimitPerAddress: number()
    .int('must be a whole number')
    .positive('must be more than 0')
    .max(1000, 'must be at most 1000')
    .default(defaultRateLimits.perAddressPerHour),
  /** Quiet days: `mon=send,…,sat=skip,sun=best-of-week` (days not named keep the default). */
  weekdays: z
    .string()
    .default('')
    .superRefine((value, context) => {
      try {
        parseDayPolicies(value);
      } catch (error) {
        // Say which pair is wrong and why, then the shape expected.
        context.addIssue({
          code: 'custom',
          message: `must be day=send|skip|best-of-week pairs, e.g. sat=skip,sun=best-of-week (${(error as Error).message})`,
        });
      }
    }),
  /** A reader with nothing new on a sending day gets nothing, or the best of their week. */
  whenNothingNew: z.enum(['skip', 'best-of-week']).default('best-of-week'),
  /** The weekday weekly readers get their digest. */
  weeklyDay: z.enum(WEEKDAYS).default('mon'),
  /** The sender's postal address, printed in every email's footer (bulk-sender rules ask for one). */
  postalAddress: z
    .string()
    .trim()
    .min(
      10,
      'must be the postal address printed in every email, e.g. "Paperboy, 1 Main St, 10001 New York, USA"',
    )
    .max(300, 'must be at most 300 characters')
    // biome-ignore lint/suspicious/noControlCharactersInRegex: one line of text
    .refine((v) => !/[\u0000-\u001f]/u.test(v), 'must be one line'),
  /** Optional: emails per second all send workers together may send, below the SES account's rate. */
  sendRateCap: number().positive('must be more than 0').max(10_000, 'must be at most 10000').optional(),
  /**
   * Optional: an existing table to use instead of the Data stack's (a point-in-time restore);
   * the original stays, retained. docs/operations.md, "Restoring the table".
   */
  tableName: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{3,255}$/u, 'must be a DynamoDB table name (3-255 letters, digits, _ . -)')
    .optional(),
  /** Where alarms are emailed (the SNS subscription must be confirmed from that mailbox once). */
  alarmEmail: z.email('must be the email address alarms go to, e.g. ops@example.org'),
  /**
   * The collector's sources, contact and limits (functions/core/collect/config.ts); every field
   * has a default, and the contact in its User-Agent defaults to alarmEmail.
   */
  collector: CollectorConfigSchema.extend({
    contact: z.email('must be an email address the sources can write to about our requests').optional(),
  }).prefault({}),
  /** When the collector runs, in the stage's time zone: an EventBridge Scheduler cron() or rate() expression. */
  collectSchedule: z
    .string()
    .regex(
      /^(cron\(\S+( \S+){5}\)|rate\([1-9]\d* (minute|minutes|hour|hours|day|days)\))$/u,
      'must be an EventBridge Scheduler expression such as cron(0 5,11,17 * * ? *) or rate(6 hours)',
    )
    .default('cron(0 5,11,17 * * ? *)'),
});

/** Why the sender address does not fit the sending domain, or undefined when it does. */
function senderAtSendingDomain(senderAddress: string, sendingDomain: string): string | undefined {
  const at = senderAddress.slice(senderAddress.lastIndexOf('@') + 1).toLowerCase();
  if (at === sendingDomain || at.endsWith(`.${sendingDomain}`)) return undefined;
  return `must be an address at the sending domain ${sendingDomain} (or a subdomain of it), not at ${at}`;
}

export const StageConfigSchema = StageConfigFields.superRefine((config, context) => {
  const wrong = senderAtSendingDomain(config.senderAddress, config.sendingDomain);
  if (wrong) context.addIssue({ code: 'custom', path: ['senderAddress'], message: wrong });
});
export type StageConfig = z.infer<typeof StageConfigSchema>;

/** The collector's configuration as its function reads it: the contact defaults to the alarm address. */
export function collectorConfigOf(config: StageConfig): CollectorConfig {
  return { ...config.collector, contact: config.collector.contact ?? config.alarmEmail };
}

/** Who the emails are from: the address, its display name, and the SES domain identity. */
export function senderOf(config: StageConfig): { address: string; name: string; domain: string } {
  return { address: config.senderAddress, name: config.senderName, domain: config.sendingDomain };
}

export const CONTEXT_KEYS = {
  stage: 'paperboy:stage',
  senderAddress: 'paperboy:senderAddress',
  senderName: 'paperboy:senderName',
  sendingDomain: 'paperboy:sendingDomain',
  mailFromSubdomain: 'paperboy:mailFromSubdomain',
  publicBaseUrl: 'paperboy:publicBaseUrl',
  sendAt: 'paperboy:sendAt',
  timeZone: 'paperboy:timeZone',
  apiRateLimit: 'paperboy:apiRateLimit',
  rateLimitPerIp: 'paperboy:rateLimitPerIp',
  rateLimitPerAddress: 'paperboy:rateLimitPerAddress',
  weekdays: 'paperboy:weekdays',
  whenNothingNew: 'paperboy:whenNothingNew',
  weeklyDay: 'paperboy:weeklyDay',
  alarmEmail: 'paperboy:alarmEmail',
  postalAddress: 'paperboy:postalAddress',
  sendRateCap: 'paperboy:sendRateCap',
  tableName: 'paperboy:tableName',
  collector: 'paperboy:collector',
  collectSchedule: 'paperboy:collectSchedule',
} as const;

const NUMERIC = new Set(['apiRateLimit', 'rateLimitPerIp', 'rateLimitPerAddress', 'sendRateCap']);

export class StageConfigError extends PaperboyError {
  override name = 'StageConfigError';
}

/**
 * Reads every `paperboy:*` context key; one message lists every missing, wrong or unknown key
 * (a typo such as `paperboy:sendRatecap` would otherwise leave the setting silently unset).
 * `contextKeys` are all the context's keys (`app.node.getAllContext()`), for the unknown ones.
 */
export function readStageConfig(
  tryGetContext: (key: string) => unknown,
  contextKeys: Iterable<string> = [],
): StageConfig {
  const known = Object.values(CONTEXT_KEYS) as string[];
  const unknown = [...contextKeys]
    .filter((key) => key.startsWith('paperboy:') && !known.includes(key))
    .sort()
    .map((key) => {
      const near = nearest(key, known);
      return `  unknown setting ${key}${near ? ` (did you mean ${near}?)` : ''}`;
    });
  const raw = Object.fromEntries(
    Object.entries(CONTEXT_KEYS).map(([field, key]) => {
      const value = tryGetContext(key);
      // Context from the command line is always a string (the collector's, JSON).
      if (field === 'collector' && typeof value === 'string') return [field, jsonOrText(value)];
      return [field, NUMERIC.has(field) && typeof value === 'string' ? Number(value) : value];
    }),
  );
  const parsed = StageConfigSchema.safeParse(raw);
  if (parsed.success && unknown.length === 0) return parsed.data;
  const issues = parsed.success ? [] : parsed.error.issues;
  const lines = issues.map((issue) => {
    const field = String(issue.path[0]) as keyof typeof CONTEXT_KEYS;
    // A nested setting is named by its path under the key: paperboy:collector.arxivApi.spacingMs.
    const key = [CONTEXT_KEYS[field] ?? field, ...issue.path.slice(1).map(String)].join('.');
    const message = raw[field] === undefined && issue.code === 'invalid_type' ? 'is missing' : issue.message;
    return `  ${key}: ${message}`;
  });
  // zod skips the checks across settings while any one fails: run them on what parses alone.
  if (!parsed.success && !issues.some((i) => i.path[0] === 'senderAddress')) {
    const sender = StageConfigFields.shape.senderAddress.safeParse(raw.senderAddress);
    const domain = StageConfigFields.shape.sendingDomain.safeParse(raw.sendingDomain);
    const wrong =
      sender.success && domain.success ? senderAtSendingDomain(sender.data, domain.data) : undefined;
    if (wrong) lines.push(`  ${CONTEXT_KEYS.senderAddress}: ${wrong}`);
  }
  lines.push(...unknown);
  throw new StageConfigError(
    `invalid deployment settings (set them in cdk.json "context" or with -c key=value):\n${lines.join('\n')}`,
  );
}

/** The known key closest to a misspelt one (same letters in another case, or three edits away). */
function nearest(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  const same = known.find((k) => k.toLowerCase() === lower);
  if (same) return same;
  let best: { key: string; distance: number } | undefined;
  for (const k of known) {
    const distance = editDistance(lower, k.toLowerCase());
    if (distance <= 3 && (!best || distance < best.distance)) best = { key: k, distance };
  }
  return best?.key;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current.push(
        Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost),
      );
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** A command-line value that holds JSON, parsed; otherwise the text, for the schema to refuse by name. */
function jsonOrText(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}
