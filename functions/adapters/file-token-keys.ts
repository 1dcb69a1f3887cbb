import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { KeyRing, TokenKeys } from '../core/tokens.ts';
import { CachedKeyRing, DEFAULT_KEY_MAX_AGE_SECONDS } from './key-ring.ts';

/**
 * The local stand-in for the token secret: a generated, git-ignored file, created on first use,
 * and read again as the secret is on AWS (after the max age, or for an unknown key id), so a
 * rotation can be tried locally by editing the file.
 */
export class FileTokenKeys implements TokenKeys {
  private readonly cache: CachedKeyRing;

  constructor(
    private readonly path: string,
    maxAgeSeconds = DEFAULT_KEY_MAX_AGE_SECONDS,
  ) {
    this.cache = new CachedKeyRing(
      async () => ({ json: await this.readOrCreate(), where: path }),
      maxAgeSeconds * 1000,
    );
  }

  current(): Promise<KeyRing> {
    return this.cache.current();
  }

  refresh(): Promise<KeyRing> {
    return this.cache.refresh();
  }

  private async readOrCreate(): Promise<string> {
    try {
      return await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const json = JSON.stringify({ current: 'k1', k1: randomBytes(32).toString('base64url') });
    await mkdir(dirname(this.path), { recursive: true });
    try {
      await writeFile(this.path, json, { mode: 0o600, flag: 'wx' });
      return json;
    } catch (error) {
      // Another process created it first: theirs is the key.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      return readFile(this.path, 'utf8');
    }
  }
}
