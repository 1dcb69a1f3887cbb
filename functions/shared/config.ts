import * as z from 'zod';
import { type CollectorConfig, CollectorConfigSchema } from '../core/collect/config.ts';
import { ConfigError, describeIssues, formatIssues, ValidationError } from '../core/errors.ts';
import { defaultRateLimits } from '../core/rate-limits.ts';
import {
  type DayPolicy,
  defaultSchedulePolicy,
  parseDayPolicies,
  type SchedulePolicy,
  WEEKDAYS,
  type Weekday,
} from '../core/schedule-policy.ts';
import { ENV } from './env-names.ts';

const publicUrl = z
  .url({ message: 'must be an absolute URL' })
  .refine((u) => u.startsWith('https://') || /^http:\/\/(127\.0\.0\.1|localhost)[:/]/u.test(u), {
    message: 'must be https (plain http only for 127.0.0.1 or localhost)',
  });

/**
 * How each environment variable is read. A composition root picks the ones its function needs
 * into its own schema (`z.object({ [ENV.tableName]: envFields.tableName, … })`).
 */
export const envFields = {
  tableName: z.string().min(3, 'must name the DynamoDB table'),
  bucketName: z.string().min(3, 'must name the ingest bucket'),
  sendQueueUrl: z.url({ message: 'must be the URL of the send queue' }),
  signupQueueUrl: z.url({ message: 'must be the URL of the sign-up queue' }),
  rateLimitPerIp: z.coerce
    .number()
    .int('must be a whole number of requests per minute')
    .min(1, 'must be at least 1 request per minute')
    .max(100_000, 'must be at most 100000 requests per minute')
    .default(defaultRateLimits.perIpPerMinute),
  rateLimitPerAddress: z.coerce
    .number()
    .int('must be a whole number of sign-ups per hour')
    .min(1, 'must be at least 1 sign-up per hour')
    .max(1000, 'must be at most 1000 sign-ups per hour')
    .default(defaultRateLimits.perAddressPerHour),
  senderAddress: z.email({ message: 'must be an email address such as papers@example.org' }),
  senderName: z
    .string()
    .min(1, 'must not be empty')
    .max(64, 'must be at most 64 characters')
    // biome-ignore lint/suspicious/noControlCharactersInRegex: it must be one line of text
    .refine((v) => !/[\u0000-\u001f\u007f]/u.test(v), 'must be one line, without control characters')
    .default('Paperboy'),
  stage: z
    .string()
    .regex(/^[a-z][a-z0-9-]{1,20}$/u, 'must be lower-case letters, digits and dashes')
    .default('local'),
  sesConfigurationSet: z.string().min(1).optional(),
  publicBaseUrl: publicUrl,
  tokenSecretId: z.string().min(1).optional(),
  tokenKeyFile: z.string().min(1).optional(),
  tokenKeyMaxAge: z.coerce
    .number({ message: 'must be a whole number of seconds' })
    .int('must be a whole number of seconds')
    .min(1, 'must be at least 1 second')
    .max(86_400, 'must be at most 86400 seconds (a day)')
    .default(300),
  editionTimeZone: z
    .string()
    .default('UTC')
    .refine((tz) => isTimeZone(tz), { message: 'must be an IANA time zone such as Europe/Paris' }),
  weekdayPolicy: z
    .string()
    .optional()
    .transform((value, ctx): Record<Weekday, DayPolicy> => {
      if (value === undefined) return defaultSchedulePolicy.days;
      try {
        return parseDayPolicies(value);
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        ctx.addIssue({
          code: 'custom',
          message: `expected day=send|skip|best-of-week pairs: ${error.message}`,
        });
        return z.NEVER;
      }
    }),
  whenNothingNew: z.enum(['skip', 'best-of-week']).default(defaultSchedulePolicy.whenNothingNew),
  weeklyDay: z.enum(WEEKDAYS).default(defaultSchedulePolicy.weeklyDay),
  templatesFile: z.string().min(1).optional(),
  sendRateCap: z.coerce
    .number({ message: 'must be a number of emails per second' })
    .positive('must be more than 0 emails per second')
    .max(10_000, 'must be at most 10000 emails per second')
    .optional(),
  sendWorkers: z.coerce
    .number()
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(100)
    .default(2),
  signupWorkers: z.coerce
    .number()
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(100)
    .default(2),
  collectorConfig: z.string().transform((value, ctx): CollectorConfig => {
    let json: unknown;
    try {
      json = JSON.parse(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be JSON (the collector configuration)' });
      return z.NEVER;
    }
    const parsed = CollectorConfigSchema.safeParse(json);
    if (parsed.success) return parsed.data;
    ctx.addIssue({ code: 'custom', message: formatIssues(describeIssues(parsed.error.issues)) });
    return z.NEVER;
  }),
  postalAddress: z
    .string()
    .max(300, 'must be at most 300 characters')
    // biome-ignore lint/suspicious/noControlCharactersInRegex: it must be one line of text
    .refine((v) => !/[\u0000-\u001f]/u.test(v), 'must be one line, without control characters')
    .default(''),
} as const;

/** The variables of the quiet-day policy, read by the functions that rank and send. */
export const PolicyEnv = z.object({
  [ENV.weekdayPolicy]: envFields.weekdayPolicy,
  [ENV.whenNothingNew]: envFields.whenNothingNew,
  [ENV.weeklyDay]: envFields.weeklyDay,
});

export function policyFrom(env: z.infer<typeof PolicyEnv>): SchedulePolicy {
  return { days: env.WEEKDAY_POLICY, whenNothingNew: env.WHEN_NOTHING_NEW, weeklyDay: env.WEEKLY_DAY };
}

const KEY_LOCATIONS: readonly PropertyKey[] = [ENV.tokenSecretId, ENV.tokenKeyFile];

/** The token key ring's location: exactly one of TOKEN_SECRET_ID and TOKEN_KEY_FILE. */
export const TokenKeysEnv = z
  .object({
    [ENV.tokenSecretId]: envFields.tokenSecretId,
    [ENV.tokenKeyFile]: envFields.tokenKeyFile,
    [ENV.tokenKeyMaxAge]: envFields.tokenKeyMaxAge,
  })
  .refine((env) => Boolean(env.TOKEN_SECRET_ID) !== Boolean(env.TOKEN_KEY_FILE), {
    message: `set exactly one of ${ENV.tokenSecretId} and ${ENV.tokenKeyFile}`,
    path: [ENV.tokenSecretId],
    // zod skips an object's refinements once any of its fields failed; this one runs whatever
    // the other variables say, so that one start-up names every problem. Only a malformed
    // location itself (its own issue says so) leaves it out.
    when: (payload) => !payload.issues.some((issue) => KEY_LOCATIONS.includes(issue.path?.[0] ?? '')),
  });

/**
 * Parses a function's environment with its own schema, once, at cold start; a bad or missing
 * variable fails the start with one message that names every one of them.
 */
export function parseEnv<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined>,
): z.infer<S> {
  // A variable that is not set at all says so, rather than "expected string, received undefined".
  const parsed = schema.safeParse(env, {
    error: (issue) => (issue.input === undefined ? 'is missing' : undefined),
  });
  if (!parsed.success) {
    throw new ConfigError(`invalid environment: ${formatIssues(describeIssues(parsed.error.issues))}`);
  }
  return parsed.data;
}

/** True for an IANA time zone name this runtime knows (`Europe/Paris`, `UTC`). */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-CA', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** The calendar day of an instant in a time zone, `YYYY-MM-DD`. */
export function dayIn(instant: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(instant);
}
