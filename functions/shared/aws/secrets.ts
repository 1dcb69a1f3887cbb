import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

export function secretsClient(): SecretsManagerClient {
  return new SecretsManagerClient({});
}
