import { Logger } from '@aws-lambda-powertools/logger';

/** Structured JSON logs. Never log an email address: log subscriber ids. */
export function createLogger(serviceName: string): Logger {
  return new Logger({
    serviceName,
    logLevel: (process.env.POWERTOOLS_LOG_LEVEL as 'INFO' | undefined) ?? 'INFO',
  });
}
