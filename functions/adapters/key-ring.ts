import { hkdfSync, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import { ConfigError, describeIssues, formatIssues } from '../core/errors.ts';
import type { KeyRing } from '../core/tokens.ts';

/**
 * The token secret: `{ "current": "k1", "k1": "<random>", "k2": … }`. Rotate by adding a key
 * and pointing `current` at it; keep old keys so links already sent keep working. Subscriber
 * ids always derive from `k1`, since they must never change.
 */
const SecretSchema = z
  .object({ current: z.string().regex(/^k\d+$/u, 'current must name a key such as "k1"') })
  .catchall(z.string())
  .superRefine((secret, ctx) => {
    if (!secret.k1) ctx.addIssue({ code: 'custom', path: ['k1'], message: 'key k1 is required' });
    if (!secret[secret.current])
      ctx.addIssue({ code: 'custom', path: [secret.current], message: 'current key is missing' });
    for (const [name, value] of Object.entries(secret)) {
      if (name !== 'current' && value.length < 32) {
        ctx.addIssue({ code: 'custom', path: [name], message: 'a key must be at least 32 characters' });
      }
    }
  });

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
  const keys = Object.fromEntries(
    Object.entries(material).map(([id, secret]) => [id, derive(secret as string, 'paperboy token v1')]),
  );
  return { currentKeyId: current, keys, idKey: derive(material.k1 as string, 'paperboy subscriber id v1') };
}

function derive(secret: string, label: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, '', label, 32));
}

export async function loadKeyRingFromSecret(
  client: SecretsManagerClient,
  secretId: string,
): Promise<KeyRing> {
  const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
  if (!SecretString) throw new ConfigError(`secret ${secretId} has no string value`);
  return parseKeyRing(SecretString, `secret ${secretId}`);
}

/** The local stand-in for the secret: a generated, git-ignored file, created on first use. */
export async function loadKeyRingFromFile(path: string): Promise<KeyRing> {
  let json: string;
  try {
    json = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    json = JSON.stringify({ current: 'k1', k1: randomBytes(32).toString('base64url') });
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, json, { mode: 0o600, flag: 'wx' }).catch(async (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw e;
      json = await readFile(path, 'utf8');
    });
  }
  return parseKeyRing(json, path);
}
