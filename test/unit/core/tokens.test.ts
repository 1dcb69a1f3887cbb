import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidTokenError } from '../../../functions/core/errors.ts';
import { type KeyRing, signToken, subscriberIdFor, verifyToken } from '../../../functions/core/tokens.ts';
import { testKeys } from '../../support/memory-ports.ts';

const now = new Date('2026-11-27T06:00:00Z');
const inOneHour = Math.floor(now.getTime() / 1000) + 3600;

describe('tokens', () => {
  it('round-trips the claims', () => {
    const token = signToken(
      { purpose: 'confirm', subscriberId: 'abc_DEF-1', expiresAt: inOneHour },
      testKeys,
    );
    expect(verifyToken(token, 'confirm', testKeys, now)).toEqual({
      purpose: 'confirm',
      subscriberId: 'abc_DEF-1',
      expiresAt: inOneHour,
    });
  });

  it('refuses a token for another purpose, an expired one, and a forged one', () => {
    const confirm = signToken({ purpose: 'confirm', subscriberId: 's1', expiresAt: inOneHour }, testKeys);
    expect(() => verifyToken(confirm, 'unsubscribe', testKeys, now)).toThrow(/another purpose/u);
    expect(() => verifyToken(confirm, 'confirm', testKeys, new Date(now.getTime() + 2 * 3600_000))).toThrow(
      /expired/u,
    );
    const forged = confirm.replace('.s1.', '.s2.');
    expect(() => verifyToken(forged, 'confirm', testKeys, now)).toThrow(/bad signature/u);
  });

  it('never expires an unsubscribe token (expiry 0)', () => {
    const token = signToken({ purpose: 'unsubscribe', subscriberId: 's1', expiresAt: 0 }, testKeys);
    expect(verifyToken(token, 'unsubscribe', testKeys, new Date('2099-01-01T00:00:00Z')).subscriberId).toBe(
      's1',
    );
  });

  it('keeps verifying old tokens after the signing key rotates', () => {
    const old = signToken({ purpose: 'unsubscribe', subscriberId: 's1', expiresAt: 0 }, testKeys);
    const rotated: KeyRing = {
      ...testKeys,
      currentKeyId: 'k2',
      keys: new Map([...testKeys.keys, ['k2', Buffer.alloc(32, 9)]]),
    };
    expect(verifyToken(old, 'unsubscribe', rotated, now).subscriberId).toBe('s1');
    const fresh = signToken({ purpose: 'unsubscribe', subscriberId: 's1', expiresAt: 0 }, rotated);
    expect(fresh).toContain('.k2.');
    expect(() => verifyToken(fresh, 'unsubscribe', testKeys, now)).toThrow(/unknown signing key/u);
  });

  it('refuses any single-character change of a valid token', () => {
    const token = signToken({ purpose: 'unsubscribe', subscriberId: 'sub123', expiresAt: 0 }, testKeys);
    fc.assert(
      fc.property(fc.nat({ max: token.length - 1 }), fc.constantFrom(...'abcXYZ019_-.'), (at, char) => {
        const changed = token.slice(0, at) + char + token.slice(at + 1);
        if (changed === token) return true;
        try {
          verifyToken(changed, 'unsubscribe', testKeys, now);
          return false;
        } catch (error) {
          return error instanceof InvalidTokenError;
        }
      }),
    );
  });

  it('treats key ids that name object members as unknown keys, never as keys', () => {
    for (const keyId of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
      expect(() => verifyToken(`v1.confirm.AAAA.${keyId}.0.AAAA`, 'confirm', testKeys, now)).toThrow(
        InvalidTokenError,
      );
    }
  });

  it('refuses every malformed or unknown part, whatever is in each field', () => {
    const field = fc.oneof(
      fc.string(),
      fc.constantFrom(
        '__proto__',
        'constructor',
        'toString',
        'k1',
        'v1',
        'confirm',
        '0',
        '-1',
        '1e999',
        'NaN',
      ),
    );
    const valid = signToken({ purpose: 'confirm', subscriberId: 's1', expiresAt: inOneHour }, testKeys).split(
      '.',
    );
    fc.assert(
      fc.property(fc.nat({ max: 5 }), field, (at, value) => {
        const parts = [...valid];
        parts[at] = value;
        const token = parts.join('.');
        if (token === valid.join('.')) return true;
        try {
          verifyToken(token, 'confirm', testKeys, now);
          return false;
        } catch (error) {
          return error instanceof InvalidTokenError;
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws anything but InvalidTokenError on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        try {
          verifyToken(text, 'confirm', testKeys, now);
          return false;
        } catch (error) {
          return error instanceof InvalidTokenError;
        }
      }),
    );
  });

  it('derives the same subscriber id for the same address, and hides the address', () => {
    const id = subscriberIdFor('ana@example.org', testKeys);
    expect(subscriberIdFor('ana@example.org', testKeys)).toBe(id);
    expect(subscriberIdFor('ben@example.org', testKeys)).not.toBe(id);
    expect(id).toMatch(/^[A-Za-z0-9_-]{32}$/u);
    expect(id).not.toContain('ana');
  });
});
