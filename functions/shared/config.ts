import { z } from 'zod';
import { ConfigError, describeIssues, formatIssues } from '../core/errors.ts';
import { defaultSchedulePolicy, parseDayPolicies, WEEKDAYS } from '../core/schedule-policy.ts';

const publicUrl = z
  .url({ message: 'must be an absolute URL' })
  .refine((u) => u.startsWith('https://') || /^http:\/\/(127\.0\.0\.1|localhost)[:/]/u.test(u), {
    message: 'must be https (plain http only for 127.0.0.1 or localhost)',
  });

/** Every variable any handler reads. Each handler picks the ones it needs with `loadConfig`. */
const EnvSchema = z.object({
  TABLE_NAME: z.string().min(3),
  BUCKET_NAME: z.string().min(3),
  SEND_QUEUE_URL: z.url(),
  SENDER_ADDRESS: z.email({ message: 'must be an email address such as papers@example.org' }),
  PUBLIC_BASE_URL: publicUrl,
  /** Secrets Manager id of the token secret (on AWS) … */
  TOKEN_SECRET_ID: z.string().min(1).optional(),
  /** … or a local key file (the local stack). Exactly one of the two. */
  TOKEN_KEY_FILE: z.string().min(1).optional(),
  SES_CONFIGURATION_SET: z.string().min(1).optional(),
  /** IANA time zone whose calendar day names an edition. */
  EDITION_TIME_ZONE: z
    .string()
    .default('UTC')
    .refine((tz) => isTimeZone(tz), { message: 'must be an IANA time zone such as Europe/Paris' }),
  /** Quiet days: `mon=send,…,sat=skip,sun=best-of-week` (days not named keep the default). */
  WEEKDAY_POLICY: z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined) return defaultSchedulePolicy.days;
      try {
        return parseDayPolicies(value);
      } catch (error) {
        ctx.addIssue({
          code: 'custom',
          message: `expected day=send|skip|best-of-week pairs: ${formatZod(error)}`,
        });
        return z.NEVER;
      }
    }),
  /** For a reader with nothing new on a sending day. */
  WHEN_NOTHING_NEW: z.enum(['skip', 'best-of-week']).default(defaultSchedulePolicy.whenNothingNew),
  /** The day weekly readers get their digest. */
  WEEKLY_DAY: z.enum(WEEKDAYS).default(defaultSchedulePolicy.weeklyDay),
  /** Compiled email and page templates; defaults to the file bundled beside the handler. */
  TEMPLATES_FILE: z.string().min(1).optional(),
});
export type Env = z.infer<typeof EnvSchema>;

/**
 * Parses the variables a handler needs, failing fast (at cold start) with one message that
 * names every missing or wrong variable.
 */
export function loadConfig<K extends keyof Env>(env: NodeJS.ProcessEnv, needed: readonly K[]): Pick<Env, K> {
  const mask: Record<string, true> = Object.fromEntries(needed.map((k) => [k, true]));
  const parsed = EnvSchema.pick(mask as Parameters<typeof EnvSchema.pick>[0]).safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(`invalid environment: ${formatIssues(describeIssues(parsed.error.issues))}`);
  }
  return parsed.data as unknown as Pick<Env, K>;
}

/** The secret's location: exactly one of TOKEN_SECRET_ID and TOKEN_KEY_FILE. */
export function tokenKeySource(
  env: Pick<Env, 'TOKEN_SECRET_ID' | 'TOKEN_KEY_FILE'>,
): { kind: 'secret'; secretId: string } | { kind: 'file'; file: string } {
  if (env.TOKEN_SECRET_ID && !env.TOKEN_KEY_FILE) return { kind: 'secret', secretId: env.TOKEN_SECRET_ID };
  if (env.TOKEN_KEY_FILE && !env.TOKEN_SECRET_ID) return { kind: 'file', file: env.TOKEN_KEY_FILE };
  throw new ConfigError('invalid environment: set exactly one of TOKEN_SECRET_ID and TOKEN_KEY_FILE');
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

function formatZod(error: unknown): string {
  return error instanceof z.ZodError ? error.issues.map((i) => i.message).join('; ') : String(error);
}
