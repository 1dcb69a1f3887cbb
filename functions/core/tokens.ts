import { createHmac, timingSafeEqual } from 'node:crypto';
import { ConfigError, InvalidTokenError } from './errors.ts';

export type TokenPurpose = 'confirm' | 'unsubscribe';
const PURPOSES: ReadonlySet<string> = new Set<TokenPurpose>(['confirm', 'unsubscribe']);

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
  /** Unix seconds; 0 means the token never expires (unsubscribe links). */
  expiresAt: number;
}

const VERSION = 'v1';
const FIELD = /^[A-Za-z0-9_-]{1,128}$/u;
const MAX_TOKEN_CHARS = 512;

/**
 * `v1.<purpose>.<subscriberId>.<keyId>.<expiresAt>.<mac>`, where mac is HMAC-SHA256 over
 * everything before it, base64url. No email address is ever in a token.
 */
export function signToken(claims: TokenClaims, keys: KeyRing): string {
  if (!FIELD.test(claims.subscriberId)) throw new ConfigError('subscriber id has unsafe characters');
  const key = keys.keys.get(keys.currentKeyId);
  // A ring without its current key is a deployment fault (a 500), not a bad link.
  if (!key) throw new ConfigError(`signing key ${keys.currentKeyId} is missing from the key ring`);
  const body = [VERSION, claims.purpose, claims.subscriberId, keys.currentKeyId, claims.expiresAt].join('.');
  return `${body}.${mac(key, body)}`;
}

/** The parts of a token, checked for shape only (no signature yet). */
interface TokenParts {
  purpose: string;
  subscriberId: string;
  keyId: string;
  expires: string;
  signature: string;
  body: string;
}

function splitToken(token: string): TokenParts {
  if (token.length > MAX_TOKEN_CHARS) throw new InvalidTokenError('malformed token');
  const parts = token.split('.');
  if (parts.length !== 6 || parts.some((p) => !FIELD.test(p))) throw new InvalidTokenError('malformed token');
  const [version, purpose, subscriberId, keyId, expires, signature] = parts as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (version !== VERSION) throw new InvalidTokenError('unknown token version');
  return { purpose, subscriberId, keyId, expires, signature, body: parts.slice(0, 5).join('.') };
}

/** Verifies signature, purpose and expiry in constant time; throws InvalidTokenError otherwise. */
export function verifyToken(token: string, purpose: TokenPurpose, keys: KeyRing, now: Date): TokenClaims {
  return verifyParts(splitToken(token), purpose, keys, now);
}

function verifyParts(parts: TokenParts, purpose: TokenPurpose, keys: KeyRing, now: Date): TokenClaims {
  const key = keys.keys.get(parts.keyId);
  if (!key) throw new InvalidTokenError('unknown signing key');
  const expected = Buffer.from(mac(key, parts.body));
  const given = Buffer.from(parts.signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new InvalidTokenError('bad signature');
  }
  if (!PURPOSES.has(parts.purpose) || parts.purpose !== purpose) {
    throw new InvalidTokenError('token is for another purpose');
  }
  const expiresAt = Number(parts.expires);
  if (!Number.isSafeInteger(expiresAt) || expiresAt < 0) throw new InvalidTokenError('malformed expiry');
  if (expiresAt !== 0 && expiresAt * 1000 < now.getTime()) throw new InvalidTokenError('token has expired');
  return { purpose, subscriberId: parts.subscriberId, expiresAt };
}

/**
 * Verifies a token against the key ring, reading the ring once more when the token names a key
 * the cached ring does not hold: after a rotation, a warm function must accept links signed
 * with the new key at once. (The key source bounds how often that re-read may happen.)
 */
export async function verifyTokenWith(
  token: string,
  purpose: TokenPurpose,
  keys: TokenKeys,
  now: Date,
): Promise<TokenClaims> {
  const parts = splitToken(token);
  let ring = await keys.current();
  if (!ring.keys.has(parts.keyId)) ring = await keys.refresh();
  return verifyParts(parts, purpose, ring, now);
}

/** The subscriber id for a normalized address: keyed, so ids reveal nothing about addresses. */
export function subscriberIdFor(normalizedEmail: string, keys: KeyRing): string {
  return createHmac('sha256', keys.idKey).update(normalizedEmail).digest('base64url').slice(0, 32);
}

function mac(key: Buffer, body: string): string {
  return createHmac('sha256', key).update(body).digest('base64url');
}
