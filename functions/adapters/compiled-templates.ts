import { readFileSync } from 'node:fs';
import * as z from 'zod';
import { ConfigError, describeIssues, formatIssues } from '../core/errors.ts';

/** The compiled HTML of each email template and page, with `{{slot}}` placeholders left in. */
export const CompiledTemplatesSchema = z.object({
  digest: z.string(),
  notice: z.string(),
  pages: z.object({
    layout: z.string(),
    subscribe: z.string(),
    message: z.string(),
    confirm: z.string(),
    confirmed: z.string(),
    preferences: z.string(),
    unsubscribe: z.string(),
    unsubscribed: z.string(),
    erase: z.string(),
    'link-expired': z.string(),
    vote: z.string(),
    archive: z.string(),
    edition: z.string(),
  }),
});
export type CompiledTemplates = z.infer<typeof CompiledTemplatesSchema>;

/**
 * Reads templates compiled at build time (the Lambda bundle carries them as JSON beside the
 * handler). Synchronous on purpose: it runs once, at cold start, before the first event.
 */
export function readCompiledTemplates(path: string | URL): CompiledTemplates {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`cannot read compiled templates at ${String(path)}`, { cause: error });
  }
  const parsed = CompiledTemplatesSchema.safeParse(json);
  if (!parsed.success) {
    throw new ConfigError(
      `compiled templates at ${String(path)}: ${formatIssues(describeIssues(parsed.error.issues))}`,
    );
  }
  return parsed.data;
}
