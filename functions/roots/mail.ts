import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { type CompiledTemplates, readCompiledTemplates } from '../adapters/compiled-templates.ts';
import { DynamoEditionRepository } from '../adapters/dynamo-edition-repository.ts';
import { DynamoSubscriberRepository } from '../adapters/dynamo-subscriber-repository.ts';
import { FileTokenKeys } from '../adapters/file-token-keys.ts';
import { HtmlDigestRenderer } from '../adapters/html-digest-renderer.ts';
import { SecretsTokenKeys } from '../adapters/secrets-token-keys.ts';
import { formatFrom, SesEmailSender } from '../adapters/ses-email-sender.ts';
import { LinkBuilder } from '../core/links.ts';
import type { Clock } from '../core/ports.ts';
import type { TokenKeys } from '../core/tokens.ts';
import { secretsClient } from '../shared/aws/secrets.ts';
import { sesClient } from '../shared/aws/ses.ts';
import { envFields, TokenKeysEnv } from '../shared/config.ts';
import { ENV } from '../shared/env-names.ts';

/** What every function that sends mail reads: the table, SES, links, the token keys and templates. */
export const MailEnv = TokenKeysEnv.and(
  z.object({
    [ENV.tableName]: envFields.tableName,
    [ENV.senderAddress]: envFields.senderAddress,
    [ENV.senderName]: envFields.senderName,
    [ENV.sesConfigurationSet]: envFields.sesConfigurationSet,
    [ENV.publicBaseUrl]: envFields.publicBaseUrl,
    [ENV.templatesFile]: envFields.templatesFile,
    [ENV.postalAddress]: envFields.postalAddress,
    [ENV.stage]: envFields.stage,
  }),
);
export type MailEnv = z.infer<typeof MailEnv>;

export interface MailOverrides {
  clock?: Clock;
  /** Templates compiled in-process (the local stack); Lambda reads the JSON bundled beside it. */
  templates?: CompiledTemplates;
}

/**
 * The mail wiring the send and api functions share: subscribers, editions, SES, the renderer,
 * links and token keys. A helper their roots call, not an object they share.
 */
export function mailDeps(
  env: MailEnv,
  db: DynamoDBDocumentClient,
  clock: Clock,
  templates: CompiledTemplates,
) {
  const keys = tokenKeys(env);
  const ses = sesClient();
  return {
    ses,
    subscribers: new DynamoSubscriberRepository(db, env.TABLE_NAME, clock),
    editions: new DynamoEditionRepository(db, env.TABLE_NAME),
    sender: new SesEmailSender(
      ses,
      formatFrom(env.SENDER_NAME, env.SENDER_ADDRESS),
      env.SES_CONFIGURATION_SET,
    ),
    renderer: new HtmlDigestRenderer(templates),
    links: new LinkBuilder(env.PUBLIC_BASE_URL, keys),
    keys,
    postalAddress: env.POSTAL_ADDRESS,
  };
}

/**
 * The compiled templates: the override, TEMPLATES_FILE, or `templates.json` beside the bundle
 * (in a Lambda bundle this module's URL is the bundle's own).
 */
export function templatesFor(env: MailEnv, overrides: MailOverrides): CompiledTemplates {
  return (
    overrides.templates ??
    readCompiledTemplates(env.TEMPLATES_FILE ?? new URL('templates.json', import.meta.url))
  );
}

function tokenKeys(env: MailEnv): TokenKeys {
  return env.TOKEN_SECRET_ID
    ? new SecretsTokenKeys(secretsClient(), env.TOKEN_SECRET_ID, env.TOKEN_KEY_MAX_AGE_SECONDS)
    : new FileTokenKeys(env.TOKEN_KEY_FILE as string, env.TOKEN_KEY_MAX_AGE_SECONDS);
}
