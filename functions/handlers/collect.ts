/** Lambda entry: the collector's schedule (`{}`), or `{"source":…,"date":…}` → fetch the sources into the ingest bucket. */
import { CollectEnv, collectDeps } from '../roots/collect.ts';
import { parseEnv } from '../shared/config.ts';
import { createCollectHandler } from '../triggers/collect.ts';

const env = parseEnv(CollectEnv, process.env);
const deps = collectDeps(env);
export const handler = createCollectHandler(deps);
