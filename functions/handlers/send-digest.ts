/** Lambda entry: SQS send jobs → each subscriber's digest, exactly once. */
import { SendDigestEnv, sendDigestDeps } from '../roots/send-digest.ts';
import { parseEnv } from '../shared/config.ts';
import { createSendDigestHandler } from '../triggers/send-digest.ts';

const env = parseEnv(SendDigestEnv, process.env);
const deps = sendDigestDeps(env);
export const handler = createSendDigestHandler(deps);
