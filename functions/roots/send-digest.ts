import type * as z from 'zod';
import { DynamoDeliveryLedger } from '../adapters/dynamo-delivery-ledger.ts';
import { DynamoSentPapers } from '../adapters/dynamo-sent-papers.ts';
import { createSelectorCache } from '../core/selection.ts';
import type { SendDigestsDeps } from '../core/send-digests.ts';
import { documentClient } from '../shared/aws/dynamodb.ts';
import { PolicyEnv, policyFrom } from '../shared/config.ts';
import { systemClock } from '../shared/system-clock.ts';
import { MailEnv, type MailOverrides, mailDeps, templatesFor } from './mail.ts';

export const SendDigestEnv = MailEnv.and(PolicyEnv);
export type SendDigestEnv = z.infer<typeof SendDigestEnv>;

/** The send function's adapters: the mail wiring, the delivery ledger and the sent-paper records. */
export function sendDigestDeps(env: SendDigestEnv, overrides: MailOverrides = {}): SendDigestsDeps {
  const db = documentClient();
  const clock = overrides.clock ?? systemClock;
  const mail = mailDeps(env, db, clock, templatesFor(env, overrides));
  return {
    editions: mail.editions,
    subscribers: mail.subscribers,
    sender: mail.sender,
    renderer: mail.renderer,
    links: mail.links,
    clock,
    ledger: new DynamoDeliveryLedger(db, env.TABLE_NAME, clock),
    sent: new DynamoSentPapers(db, env.TABLE_NAME, clock),
    // Prepared editions, shared by every send job this warm function handles.
    selectorFor: createSelectorCache(),
    policy: policyFrom(env),
    listId: `daily.${new URL(env.PUBLIC_BASE_URL).hostname}`,
  };
}
