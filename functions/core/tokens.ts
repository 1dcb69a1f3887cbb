import { createHmac, timingSafeEqual } from 'node:crypto';
import { InvalidTokenError } from './errors.ts';

export type TokenPurpose = 'confirm' | 'unsubscribe' | 'preferences';

/** Signing keys by id, and which one signs new tokens. Old keys keep verifying after rotation. */
export interface KeyRing {
  currentKeyId: string;
  keys: Readonly<Record<string, Buffer>>;
  /** Key for subscriber ids; never rotated, since ids must stay stable. */
  idKey: Buffer;
}

export interface TokenClaims {
  purpose: TokenPurpose;
  subscriberId: string;
  /** Unix seconds; 0 means the token never expires (unsubscribe links). */
  expiresAt: number;
}

const VERSION = 'v1';
const FIELD = /^[A-Za-z0-9_-]+$/u;

/**
 * `v1.<purpose>.<subscriberId>.<keyId>.<expiresAt>.<mac>`, where mac is HMAC-SHA256 over
 * everything before it, base64url. No email address is ever in a token.
 */
export function signToken(claims: TokenClaims, keys: KeyRing): string {
  if (!FIELD.test(claims.subscriberId)) throw new InvalidTokenError('subscriber id has unsafe characters');
  const key = keys.keys[keys.currentKeyId];
  if (!key) throw new InvalidTokenError(`signing key ${keys.currentKeyId} is missing from the key ring`);
  const body = [VERSION, claims.purpose, claims.subscriberId, keys.currentKeyId, claims.expiresAt].join('.');
  return `${body}.${mac(key, body)}`;
}

/** Verifies signature, purpose and expiry in constant time; throws InvalidTokenError otherwise. */
export function verifyToken(token: string, purpose: TokenPurpose, keys: KeyRing, now: Date): TokenClaims {
  const parts = token.split('.');
  if (parts.length !== 6 || parts.some((p) => !FIELD.test(p))) throw new InvalidTokenError('malformed token');
  const [version, tokenPurpose, subscriberId, keyId, expires, signature] = parts as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (version !== VERSION) throw new InvalidTokenError('unknown token version');
  const key = keys.keys[keyId];
  if (!key) throw new InvalidTokenError('unknown signing key');
  const expected = Buffer.from(mac(key, parts.slice(0, 5).join('.')));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new InvalidTokenError('bad signature');
  }
  if (tokenPurpose !== purpose) throw new InvalidTokenError('token is for another purpose');
  const expiresAt = Number(expires);
  if (!Number.isSafeInteger(expiresAt)) throw new InvalidTokenError('malformed expiry');
  if (expiresAt !== 0 && expiresAt * 1000 < now.getTime()) throw new InvalidTokenError('token has expired');
  return { purpose, subscriberId, expiresAt };
}

/** The subscriber id for a normalized address: keyed, so ids reveal nothing about addresses. */
export function subscriberIdFor(normalizedEmail: string, keys: KeyRing): string {
  return createHmac('sha256', keys.idKey).update(normalizedEmail).digest('base64url').slice(0, 32);
}

function mac(key: Buffer, body: string): string {
  return createHmac('sha256', key).update(body).digest('base64url');
}
