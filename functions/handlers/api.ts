/** Lambda entry: API Gateway HTTP API (payload v2) → the routes in triggers/api/routes.ts. */
import { ApiEnv, apiDeps } from '../roots/api.ts';
import { parseEnv } from '../shared/config.ts';
import { createApiHandler } from '../triggers/api/api.ts';

const env = parseEnv(ApiEnv, process.env);
const deps = apiDeps(env);
export const handler = createApiHandler(deps);
