import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { ConfigError } from '../core/errors.ts';

/** The compiled HTML of each email template and page, with `{{slot}}` placeholders left in. */
export const CompiledTemplatesSchema = z.object({
  digest: z.string(),
  confirm: z.string(),
  pages: z.object({
    layout: z.string(),
    subscribe: z.string(),
    message: z.string(),
    unsubscribe: z.string(),
  }),
});
export type CompiledTemplates = z.infer<typeof CompiledTemplatesSchema>;

/** Loads templates compiled at build time (the Lambda bundle carries them as JSON). */
export async function loadCompiledTemplates(path: string | URL): Promise<CompiledTemplates> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`cannot read compiled templates at ${String(path)}`, { cause: error });
  }
  return CompiledTemplatesSchema.parse(json);
}
