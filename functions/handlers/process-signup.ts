/** Lambda entry: SQS sign-ups → pending records and confirmation emails, after the API answered. */
import { ProcessSignupEnv, processSignupDeps } from '../roots/process-signup.ts';
import { parseEnv } from '../shared/config.ts';
import { createProcessSignupHandler } from '../triggers/process-signup.ts';

const env = parseEnv(ProcessSignupEnv, process.env);
const deps = processSignupDeps(env);
export const handler = createProcessSignupHandler(deps);
