import { Logger } from '@aws-lambda-powertools/logger';

/** Anything shaped like an email address, wherever it sits in a string. */
const ADDRESS = /[^\s<>()[\]"',;:@]+@[^\s<>()[\]"',;:@]+\.[^\s<>()[\]"',;:@]+/gu;

/** What an address becomes in a log line. */
export const REDACTED_ADDRESS = '[address]';

/**
 * A JSON replacer for log lines: every string value (messages, error messages and stacks
 * included) has its email addresses replaced. Code logs subscriber ids, never addresses; this
 * is the net for the text of errors from outside (SES names the address it refuses, a zod
 * issue may quote what it read).
 */
export function redactAddresses(_key: string, value: unknown): unknown {
  return typeof value === 'string' && value.includes('@') ? value.replace(ADDRESS, REDACTED_ADDRESS) : value;
}

/**
 * Structured JSON logs (Powertools: level, service, timestamp; the request id, function name
 * and cold start come from `withLambdaContext`). Never an email address: log subscriber ids,
 * and every line goes through `redactAddresses`.
 */
export function createLogger(serviceName: string): Logger {
  return new Logger({
    serviceName,
    logLevel: (process.env.POWERTOOLS_LOG_LEVEL as 'INFO' | undefined) ?? 'INFO',
    jsonReplacerFn: redactAddresses,
  });
}
