/** Lambda entry: S3 ObjectCreated under incoming/ → ingest the file. */
import { IngestObjectEnv, ingestObjectDeps } from '../roots/ingest-object.ts';
import { parseEnv } from '../shared/config.ts';
import { createIngestObjectHandler } from '../triggers/ingest-object.ts';

const env = parseEnv(IngestObjectEnv, process.env);
const deps = ingestObjectDeps(env);
export const handler = createIngestObjectHandler(deps);
