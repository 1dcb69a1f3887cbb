import { createHmac } from 'node:crypto';
import { RateLimitedError } from './errors.ts';
import type { RateLimiter } from './ports.ts';
import type { KeyRing } from './tokens.ts';

/** Requests allowed per window: the API's defence against bots and mail flooding. */
export interface RateLimits {
  /** State-changing requests per IP address per minute, on every route that changes state. */
  perIpPerMinute: number;
  /** Sign-ups (and other mail-sending requests) per address per hour. */
  perAddressPerHour: number;
}

export const defaultRateLimits: RateLimits = { perIpPerMinute: 30, perAddressPerHour: 5 };

/** The keyed hash a rate limit counts under: neither IPs nor addresses are stored. */
export function rateKey(kind: 'ip' | 'address' | 'subscriber', value: string, ring: KeyRing): string {
  return createHmac('sha256', ring.idKey).update(`rate:${kind}:${value}`).digest('base64url').slice(0, 32);
}

/** Counts one request against a limit; throws RateLimitedError (a 429) past it. */
export async function enforceRate(
  limiter: RateLimiter,
  key: string,
  limit: number,
  windowSeconds: number,
): Promise<void> {
  const verdict = await limiter.hit(key, limit, windowSeconds);
  if (!verdict.allowed) throw new RateLimitedError(verdict.retryAfterSeconds);
}
