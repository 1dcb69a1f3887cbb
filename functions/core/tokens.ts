import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { ConfigError, ExpiredTokenError, InvalidTokenError } from './errors.ts';
import { identityOf } from './subscriber.ts';

/**
 * What a token lets its holder do. Each is verified against its own purpose: a token for one
 * never works for another. `confirm` activates one sign-up; `preferences` opens the reader's
 * preference centre (and their data export and erasure); `unsubscribe` stops all mail;
 * `feedback` records a "more / fewer like this" vote on one paper of a digest (bound to the
 * sign-up and the paper: {@link feedbackBinding}).
 */
export type TokenPurpose = 'confirm' | 'unsubscribe' | 'preferences' | 'feedback' | 'feed';
const PURPOSES: ReadonlySet<string> = new Set<TokenPurpose>([
  'confirm',
  'unsubscribe',
  'preferences',
  'feedback',
  // A reader's personal feed (never expires; bound to the sign-up and the feed secret:
  // functions/core/personal-feed-token.ts).
  'feed',
]);

/**
 * The binding of a feedback token: a digest of the sign-up and the paper, so that a link for one
 * paper cannot vote on another (the paper id travels beside the token, in the URL, and must
 * give the same binding), and a new sign-up (or an erasure) ends every old link. Paper ids may
 * hold characters a token field may not (`/`, `.`, `:`): hence a digest, not the id itself.
 */
export function feedbackBinding(signupId: string, paperId: string): string {
  return createHash('sha256').update(`${signupId}\n${paperId}`).digest('base64url').slice(0, 22);
}

/** Signing keys by id, and which one signs new tokens. Old keys keep verifying after rotation. */
export interface KeyRing {
  currentKeyId: string;
  /** A Map, not an object: a key id taken from a token (`__proto__`, say) can only ever miss. */
  keys: ReadonlyMap<string, Buffer>;
  /** Key for subscriber ids; never rotated, since ids must stay stable. */
  idKey: Buffer;
}

/**
 * Where the key ring comes from. `current` may serve a cached ring (for a bounded time);
 * `refresh` reads it again past any cache, so that a key added by a rotation is found at once.
 */
export interface TokenKeys {
  current(): Promise<KeyRing>;
  refresh(): Promise<KeyRing>;
}

export interface TokenClaims {
  purpose: TokenPurpose;
  subscriberId: string;
  /**
   * What the token is bound to beyond the subscriber: the sign-up it was sent for. A new
   * sign-up (or an erasure) makes every token bound to the old one useless.
   */
  binding?: string;
  /** Unix seconds; 0 means the token never expires (unsubscribe links). */
  expiresAt: number;
}
const FIELD = /^[A-Za-z0-9_-]{1,128}$/u;
const MAX_TOKEN_CHARS = 512;

/**
 * `v1.<purpose>.<subscriberId>.<keyId>.<expiresAt>.<mac>`, or with a binding
 * `v2.<purpose>.<subscriberId>.<binding>.<keyId>.<expiresAt>.<mac>`, where mac is HMAC-SHA256
 * over everything before it, base64url. No email address is ever in a token. (Unsubscribe links
 * stay v1: every one ever sent must keep working.)
 */
export function signToken(claims: TokenClaims, keys: KeyRing): string {
  if (!FIELD.test(claims.subscriberId)) throw new ConfigError('subscriber id has unsafe characters');
  if (claims.binding !== undefined && !FIELD.test(claims.binding)) {
    throw new ConfigError('token binding has unsafe characters');
  }
  const key = keys.keys.get(keys.currentKeyId);
  // A ring without its current key is a deployment fault (a 500), not a bad link.
  if (!key) throw new ConfigError(`signing key ${keys.currentKeyId} is missing from the key ring`);
  const fields =
    claims.binding === undefined
      ? ['v1', claims.purpose, claims.subscriberId, keys.currentKeyId, claims.expiresAt]
      : ['v2', claims.purpose, claims.subscriberId, claims.binding, keys.currentKeyId, claims.expiresAt];
  const body = fields.join('.');
  return `${body}.${mac(key, body)}`;
}

/** The parts of a token, checked for shape only (no signature yet). */
interface TokenParts {
  purpose: string;
  subscriberId: string;
  binding?: string;
  keyId: string;
  expires: string;
  signature: string;
  body: string;
}

function splitToken(token: string): TokenParts {
  if (token.length > MAX_TOKEN_CHARS) throw new InvalidTokenError('malformed token');
  const parts = token.split('.');
  if (parts.some((p) => !FIELD.test(p))) throw new InvalidTokenError('malformed token');
  const body = parts.slice(0, -1).join('.');
  if (parts[0] === 'v1' && parts.length === 6) {
    const [, purpose, subscriberId, keyId, expires, signature] = parts as [
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    return { purpose, subscriberId, keyId, expires, signature, body };
  }
  if (parts[0] === 'v2' && parts.length === 7) {
    const [, purpose, subscriberId, binding, keyId, expires, signature] = parts as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    return { purpose, subscriberId, binding, keyId, expires, signature, body };
  }
  throw new InvalidTokenError(
    parts[0] === 'v1' || parts[0] === 'v2' ? 'malformed token' : 'unknown token version',
  );
}

/** Verifies signature, purpose and expiry in constant time; throws InvalidTokenError otherwise. */
export function verifyToken(
  token: string,
  purpose: TokenPurpose | readonly TokenPurpose[],
  keys: KeyRing,
  now: Date,
): TokenClaims {
  return verifyParts(splitToken(token), purpose, keys, now);
}

function verifyParts(
  parts: TokenParts,
  purpose: TokenPurpose | readonly TokenPurpose[],
  keys: KeyRing,
  now: Date,
  options: VerifyOptions = {},
): TokenClaims {
  const key = keys.keys.get(parts.keyId);
  if (!key) throw new InvalidTokenError('unknown signing key');
  const expected = Buffer.from(mac(key, parts.body));
  const given = Buffer.from(parts.signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new InvalidTokenError('bad signature');
  }
  const accepted: readonly string[] = typeof purpose === 'string' ? [purpose] : purpose;
  if (!PURPOSES.has(parts.purpose) || !accepted.includes(parts.purpose)) {
    throw new InvalidTokenError('token is for another purpose');
  }
  const expiresAt = Number(parts.expires);
  if (!Number.isSafeInteger(expiresAt) || expiresAt < 0) throw new InvalidTokenError('malformed expiry');
  if (expiresAt !== 0 && expiresAt * 1000 < now.getTime() && !options.allowExpired) {
    throw new ExpiredTokenError('token has expired');
  }
  return {
    purpose: parts.purpose as TokenPurpose,
    subscriberId: parts.subscriberId,
    ...(parts.binding === undefined ? {} : { binding: parts.binding }),
    expiresAt,
  };
}

/**
 * Verifies a token against the key ring, reading the ring once more when the token names a key
 * the cached ring does not hold: after a rotation, a warm function must accept links signed
 * with the new key at once. (The key source bounds how often that re-read may happen.)
 */
export async function verifyTokenWith(
  token: string,
  purpose: TokenPurpose | readonly TokenPurpose[],
  keys: TokenKeys,
  now: Date,
  options: VerifyOptions = {},
): Promise<TokenClaims> {
  const parts = splitToken(token);
  let ring = await keys.current();
  if (!ring.keys.has(parts.keyId)) ring = await keys.refresh();
  return verifyParts(parts, purpose, ring, now, options);
}

export interface VerifyOptions {
  /**
   * Accept a token past its expiry (never a forged or wrong-purpose one): an expired link
   * still proves who clicked it, enough to email them a fresh one.
   */
  allowExpired?: boolean;
}

/**
 * The subscriber id for an address: keyed, so ids reveal nothing about addresses, and derived
 * from the address's identity form (`identityOf`: case-folded whole), so that case variants of
 * one mailbox are one subscriber wherever an id is derived.
 */
export function subscriberIdFor(email: string, keys: KeyRing): string {
  return createHmac('sha256', keys.idKey).update(identityOf(email)).digest('base64url').slice(0, 32);
}

function mac(key: Buffer, body: string): string {
  return createHmac('sha256', key).update(body).digest('base64url');
}
