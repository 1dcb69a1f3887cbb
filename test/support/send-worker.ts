/**
 * A send worker in a child process: one instance of the send function, built by its own
 * composition root from the local stack's environment, taking SQS events from its parent over
 * IPC and answering with the handler's batch response. The parent kills it with SIGKILL.
 *
 * The parent may arm a worker to stop at one of two moments, announce it and wait (for the
 * SIGKILL), so a test can kill it exactly there as well as at random:
 * - `claimed`: its n-th claim is written, nothing is sent yet;
 * - `accepted`: SES accepted its n-th message, the ledger does not know yet.
 *
 * Started by test/integration/delivery.test.ts with `node --import tsx`, configured by the
 * PAPERBOY_WORKER variable: `{ endpoints, settings }` as `createLocalRuntime` takes them.
 */

import type { SQSEvent } from 'aws-lambda';
import { compileTemplates } from '../../functions/adapters/mjml-compiler.ts';
import type { SendJob } from '../../functions/core/ports.ts';
import {
  functionEnvironment,
  type LocalEndpoints,
  type LocalSettings,
  setAwsEnvironment,
} from '../../functions/local/local-runtime.ts';
import { SendDigestEnv, sendDigestDeps } from '../../functions/roots/send-digest.ts';
import { parseEnv } from '../../functions/shared/config.ts';
import { createSendDigestHandler } from '../../functions/triggers/send-digest.ts';

export type KillPoint = 'claimed' | 'accepted';
export type WorkerRequest =
  | { type: 'job'; id: number; event: SQSEvent }
  | { type: 'arm'; point: KillPoint; at: number };
export type WorkerReply =
  | { type: 'ready' }
  | { type: 'at'; point: KillPoint; subscriberId: string }
  | { type: 'done'; id: number; failed: boolean; error?: string }
  | { type: 'requeue'; job: SendJob };

const send = (message: WorkerReply) => process.send?.(message);
const config = JSON.parse(process.env.PAPERBOY_WORKER ?? '{}') as {
  endpoints: LocalEndpoints;
  settings: LocalSettings;
};
setAwsEnvironment(config.endpoints, config.settings.sesMaxSendRate ?? 14);
const env = parseEnv(SendDigestEnv, functionEnvironment(config.endpoints, config.settings));
// The rest of a job short of time would go back on the queue; here it comes back to the parent.
const deps = sendDigestDeps(env, {
  templates: await compileTemplates(),
  queue: {
    enqueue: async (jobs) => {
      for (const job of jobs) send({ type: 'requeue', job });
    },
  },
});

let armed: { point: KillPoint; at: number } | undefined;
const seen: Record<KillPoint, number> = { claimed: 0, accepted: 0 };
/** At the armed moment: say where, and wait for the SIGKILL that follows. */
async function reached(point: KillPoint, subscriberId: string): Promise<void> {
  seen[point] += 1;
  if (armed?.point !== point || armed.at !== seen[point]) return;
  send({ type: 'at', point, subscriberId });
  await new Promise(() => {});
}

const ledger = deps.ledger;
const claim = ledger.claim.bind(ledger);
ledger.claim = async (subscriberId, editionDate, paperIds, options) => {
  const claimed = await claim(subscriberId, editionDate, paperIds, options);
  if (claimed) await reached('claimed', subscriberId);
  return claimed;
};
const ses = deps.sender;
deps.sender = {
  send: async (email) => {
    const accepted = await ses.send(email);
    await reached('accepted', email.tags?.['paperboy-subscriber'] ?? email.to);
    return accepted;
  },
};
const handler = createSendDigestHandler(deps);

process.on('message', (message: WorkerRequest) => {
  if (message.type === 'arm') {
    armed = { point: message.point, at: message.at };
    return;
  }
  handler(message.event).then(
    (response) => send({ type: 'done', id: message.id, failed: response.batchItemFailures.length > 0 }),
    (error: Error) => send({ type: 'done', id: message.id, failed: true, error: error.message }),
  );
});
// The parent is gone or done: stop, as a Lambda instance is reclaimed.
process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });
