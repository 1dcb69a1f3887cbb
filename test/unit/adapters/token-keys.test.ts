import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CompiledTemplates } from '../../../functions/adapters/compiled-templates.ts';
import { FileTokenKeys } from '../../../functions/adapters/file-token-keys.ts';
import { HtmlDigestRenderer } from '../../../functions/adapters/html-digest-renderer.ts';
import { HtmlPageRenderer } from '../../../functions/adapters/html-page-renderer.ts';
import {
  CachedKeyRing,
  MIN_REFRESH_INTERVAL_MS,
  parseKeyRing,
} from '../../../functions/adapters/key-ring.ts';
import { compileTemplates } from '../../../functions/adapters/mjml-compiler.ts';
import { SecretsTokenKeys } from '../../../functions/adapters/secrets-token-keys.ts';
import { ConfigError } from '../../../functions/core/errors.ts';
import { LinkBuilder } from '../../../functions/core/links.ts';
import { defaultRateLimits } from '../../../functions/core/rate-limits.ts';
import { signToken, subscriberIdFor } from '../../../functions/core/tokens.ts';
import { createApiHandler } from '../../../functions/triggers/api/api.ts';
import { apiEvent } from '../../support/api-events.ts';
import { memoryArchiveDeps } from '../../support/memory-archive.ts';
import {
  FixedClock,
  MemoryEditions,
  MemoryLearnedProfiles,
  MemoryLedger,
  MemoryPapers,
  MemoryPersonalData,
  MemoryRateLimiter,
  MemorySignupQueue,
  MemorySubscribers,
  RecordingSender,
  SequentialIds,
} from '../../support/memory-ports.ts';

const K1 = 'a'.repeat(40);
const K2 = 'b'.repeat(40);
const ring1 = JSON.stringify({ current: 'k1', k1: K1 });
const ring2 = JSON.stringify({ current: 'k2', k1: K1, k2: K2 });

describe('parseKeyRing', () => {
  it('derives a signing key per id and the subscriber-id key from k1 only', () => {
    const one = parseKeyRing(ring1, 'test');
    const two = parseKeyRing(ring2, 'test');
    expect(one.currentKeyId).toBe('k1');
    expect([...two.keys.keys()]).toEqual(['k1', 'k2']);
    expect(two.keys.get('k1')?.equals(one.keys.get('k1') as Buffer)).toBe(true);
    // Rotation never changes subscriber ids.
    expect(subscriberIdFor('ana@example.org', two)).toBe(subscriberIdFor('ana@example.org', one));
    // The raw secret is never used as the key itself.
    expect(one.keys.get('k1')?.toString()).not.toContain('aaaa');
  });

  it.each([
    ['not json', 'the token secret is not JSON'],
    [JSON.stringify({ current: 'k2', k1: K1 }), 'k2: current key is missing'],
    [JSON.stringify({ current: 'k2', k2: K2 }), 'k1: key k1 is required'],
    [JSON.stringify({ current: 'k1', k1: 'short' }), 'k1: a key must be at least 32 characters'],
    [JSON.stringify({ current: '__proto__', k1: K1 }), 'current must name a key such as "k1"'],
    [JSON.stringify({ current: 'k1', k1: K1, constructor: K2 }), 'constructor: key names are k1, k2'],
  ])('refuses %s with a ConfigError naming where and what', (json, message) => {
    expect(() => parseKeyRing(json, 'secret s')).toThrow(ConfigError);
    expect(() => parseKeyRing(json, 'secret s')).toThrow(message);
  });
});

describe('CachedKeyRing', () => {
  it('serves the cached ring for its max age, then reads again', async () => {
    let reads = 0;
    let now = 0;
    const cache = new CachedKeyRing(
      async () => {
        reads += 1;
        return { json: reads === 1 ? ring1 : ring2, where: 'x' };
      },
      300_000,
      () => now,
    );
    expect((await cache.current()).currentKeyId).toBe('k1');
    now = 299_999;
    expect((await cache.current()).currentKeyId).toBe('k1');
    now = 300_000;
    expect((await cache.current()).currentKeyId).toBe('k2');
    expect(reads).toBe(2);
  });

  it('refreshes on demand at most once per interval, and shares one read between callers', async () => {
    let reads = 0;
    let now = 0;
    const cache = new CachedKeyRing(
      async () => {
        reads += 1;
        return { json: ring1, where: 'x' };
      },
      300_000,
      () => now,
    );
    await Promise.all([cache.current(), cache.current(), cache.current()]);
    expect(reads).toBe(1);
    await cache.refresh();
    await cache.refresh();
    expect(reads).toBe(2);
    now = MIN_REFRESH_INTERVAL_MS + 1;
    await cache.refresh();
    expect(reads).toBe(3);
  });

  it('does not keep a failed read', async () => {
    let fail = true;
    const cache = new CachedKeyRing(async () => {
      if (fail) throw new Error('network down');
      return { json: ring1, where: 'x' };
    }, 300_000);
    await expect(cache.current()).rejects.toThrow('network down');
    fail = false;
    expect((await cache.current()).currentKeyId).toBe('k1');
  });
});

describe('key rotation while a function is warm', () => {
  const secrets = mockClient(SecretsManagerClient);
  afterEach(() => secrets.reset());
  let templates: CompiledTemplates;
  beforeAll(async () => {
    templates = await compileTemplates();
  });

  it('accepts links signed with the new key at once: one re-read, not a recycle', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: ring1 });
    const keys = new SecretsTokenKeys(new SecretsManagerClient({ region: 'eu-west-1' }), 'token-secret');
    const clock = new FixedClock(new Date('2026-11-27T06:00:00Z'));
    const subscribers = new MemorySubscribers(clock);
    const handler = createApiHandler({
      subscribers,
      editions: new MemoryEditions(),
      sender: new RecordingSender(),
      renderer: new HtmlDigestRenderer(templates),
      pages: new HtmlPageRenderer(templates.pages),
      links: new LinkBuilder('https://papers.example.org/', keys),
      keys,
      clock,
      ids: new SequentialIds(),
      limiter: new MemoryRateLimiter(),
      signups: new MemorySignupQueue(),
      personalData: new MemoryPersonalData(subscribers),
      learned: new MemoryLearnedProfiles(),
      papers: new MemoryPapers(),
      limits: defaultRateLimits,
      postalAddress: '',
      ...memoryArchiveDeps(
        templates.pages,
        new MemoryEditions(),
        new MemoryLedger(),
        new MemoryPapers(),
        clock,
      ),
    });
    const unsubscribe = (token: string) => handler(apiEvent('GET', '/unsubscribe', { query: { token } }));
    const signed = (json: string) =>
      signToken({ purpose: 'unsubscribe', subscriberId: 'sub1', expiresAt: 0 }, parseKeyRing(json, 'x'));

    // Warm, with the ring before the rotation.
    expect((await unsubscribe(signed(ring1))).statusCode).toBe(200);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);

    // The operator makes k2 current; a freshly started sender signs with it.
    secrets.on(GetSecretValueCommand).resolves({ SecretString: ring2 });
    const fresh = signed(ring2);
    expect(fresh).toContain('.k2.');
    expect((await unsubscribe(fresh)).statusCode).toBe(200);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    // Old links keep working, with no further read.
    expect((await unsubscribe(signed(ring1))).statusCode).toBe(200);
    // A flood of forged key ids costs no more reads.
    for (const id of ['k9', 'k10', 'k11']) {
      const forged = fresh.replace('.k2.', `.${id}.`);
      expect((await unsubscribe(forged)).statusCode).toBe(400);
    }
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    expect(secrets.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toEqual({
      SecretId: 'token-secret',
    });
  });
});

describe('FileTokenKeys (the local stand-in)', () => {
  it('creates a key file once, private to its owner, and reads an edited one again on refresh', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'paperboy-keys-'));
    try {
      const path = join(dir, 'nested', 'token-key.json');
      const keys = new FileTokenKeys(path);
      const first = await keys.current();
      expect(first.currentKeyId).toBe('k1');
      const written = JSON.parse(await readFile(path, 'utf8'));
      expect(Object.keys(written)).toEqual(['current', 'k1']);
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      expect(await new FileTokenKeys(path).current()).toEqual(first);
      await writeFile(path, JSON.stringify({ ...written, current: 'k2', k2: K2 }));
      expect((await keys.refresh()).currentKeyId).toBe('k2');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
