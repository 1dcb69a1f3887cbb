import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { traced } from '../tracer.ts';

export function secretsClient(): SecretsManagerClient {
  return traced(new SecretsManagerClient({}));
}
