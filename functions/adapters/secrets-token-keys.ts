import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigError } from '../core/errors.ts';
import type { KeyRing, TokenKeys } from '../core/tokens.ts';
import { CachedKeyRing, DEFAULT_KEY_MAX_AGE_SECONDS } from './key-ring.ts';

/**
 * The token key ring from Secrets Manager, read through Powertools Parameters. A warm function
 * reads the secret again after `maxAgeSeconds`, or at once when a token names a key it does not
 * know yet (a rotation in progress), so new links work without recycling the function.
 */
export class SecretsTokenKeys implements TokenKeys {
  private readonly cache: CachedKeyRing;

  constructor(
    client: SecretsManagerClient,
    private readonly secretId: string,
    maxAgeSeconds = DEFAULT_KEY_MAX_AGE_SECONDS,
  ) {
    const provider = new SecretsProvider({ awsSdkV3Client: client });
    this.cache = new CachedKeyRing(async () => {
      // Our own cache decides when to read; Powertools' is bypassed so a forced read is real.
      const value = await provider.get(this.secretId, { forceFetch: true });
      if (typeof value !== 'string') throw new ConfigError(`secret ${this.secretId} has no string value`);
      return { json: value, where: `secret ${this.secretId}` };
    }, maxAgeSeconds * 1000);
  }

  current(): Promise<KeyRing> {
    return this.cache.current();
  }

  refresh(): Promise<KeyRing> {
    return this.cache.refresh();
  }
}
