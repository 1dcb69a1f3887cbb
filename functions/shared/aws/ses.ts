import { SESv2Client } from '@aws-sdk/client-sesv2';
import { traced } from '../tracer.ts';

/**
 * SES v2 with adaptive retries: on `TooManyRequestsException` the client backs off and lowers
 * its own request rate, instead of failing the send at the first throttle.
 */
export function sesClient(): SESv2Client {
  return traced(new SESv2Client({ retryMode: 'adaptive', maxAttempts: 6 }));
}
