import { hkdfSync } from 'node:crypto';
import * as z from 'zod';
import { ConfigError, describeIssues, formatIssues } from '../core/errors.ts';
import type { KeyRing } from '../core/tokens.ts';

/**
 * The token secret: `{ "current": "k1", "k1": "<random>", "k2": … }`. Rotate by adding a key
 * and, once every function has seen it, pointing `current` at it (docs/operations.md); keep old
 * keys so links already sent keep working. Subscriber ids always derive from `k1`, since they
 * must never change.
 */
const SecretSchema = z
  .object({ current: z.string().regex(/^k\d+$/u, 'current must name a key such as "k1"') })
  .catchall(z.string())
  .superRefine((secret, ctx) => {
    if (!secret.k1) ctx.addIssue({ code: 'custom', path: ['k1'], message: 'key k1 is required' });
    if (!Object.hasOwn(secret, secret.current))
      ctx.addIssue({ code: 'custom', path: [secret.current], message: 'current key is missing' });
    for (const [name, value] of Object.entries(secret)) {
      if (name === 'current') continue;
      if (!/^k\d+$/u.test(name))
        ctx.addIssue({ code: 'custom', path: [name], message: 'key names are k1, k2, …' });
      else if (value.length < 32)
        ctx.addIssue({ code: 'custom', path: [name], message: 'a key must be at least 32 characters' });
    }
  });

/** Reads the secret's JSON into a key ring; `where` names the source in every error. */
export function parseKeyRing(json: string, where: string): KeyRing {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new ConfigError(`${where}: the token secret is not JSON`, { cause: error });
  }
  const parsed = SecretSchema.safeParse(value);
  if (!parsed.success)
    throw new ConfigError(`${where}: ${formatIssues(describeIssues(parsed.error.issues))}`);
  const { current, ...material } = parsed.data;
  const keys = new Map(
    Object.entries(material).map(([id, secret]) => [id, derive(secret as string, 'paperboy token v1')]),
  );
  return { currentKeyId: current, keys, idKey: derive(material.k1 as string, 'paperboy subscriber id v1') };
}

function derive(secret: string, label: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, '', label, 32));
}

/** How long a key ring read is trusted before the next use reads it again (seconds). */
export const DEFAULT_KEY_MAX_AGE_SECONDS = 300;
/**
 * Forced re-reads (a token naming an unknown key) happen at most this often, so that a flood of
 * forged tokens cannot turn into a flood of secret reads.
 */
export const MIN_REFRESH_INTERVAL_MS = 10_000;

/**
 * The shared part of every key source: cache a parsed ring for `maxAge`, re-read on demand at
 * most every MIN_REFRESH_INTERVAL_MS. `read` fetches the raw secret JSON, bypassing any cache.
 */
export class CachedKeyRing {
  private ring: { value: KeyRing; at: number } | undefined;
  private lastForced = Number.NEGATIVE_INFINITY;
  private pending: Promise<KeyRing> | undefined;

  constructor(
    private readonly read: () => Promise<{ json: string; where: string }>,
    private readonly maxAgeMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async current(): Promise<KeyRing> {
    if (this.ring && this.now() - this.ring.at < this.maxAgeMs) return this.ring.value;
    return this.load();
  }

  async refresh(): Promise<KeyRing> {
    if (this.ring && this.now() - this.lastForced < MIN_REFRESH_INTERVAL_MS) return this.ring.value;
    this.lastForced = this.now();
    return this.load();
  }

  private load(): Promise<KeyRing> {
    // Concurrent requests share one read.
    this.pending ??= this.read()
      .then(({ json, where }) => {
        const value = parseKeyRing(json, where);
        this.ring = { value, at: this.now() };
        return value;
      })
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }
}
