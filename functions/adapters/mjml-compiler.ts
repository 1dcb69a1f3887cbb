import { readFile } from 'node:fs/promises';
import mjml2html from 'mjml';
import { ConfigError } from '../core/errors.ts';
import { type CompiledTemplates, CompiledTemplatesSchema } from './compiled-templates.ts';

const EMAIL_NAMES = ['digest', 'notice'] as const;
const PAGE_NAMES = [
  'layout',
  'subscribe',
  'message',
  'confirm',
  'confirmed',
  'preferences',
  'unsubscribe',
  'unsubscribed',
  'erase',
  'link-expired',
  'vote',
  'archive',
  'edition',
] as const;

/** The templates folder of this repository. */
export const templatesDir = new URL('../../templates/', import.meta.url);

/**
 * Compiles the MJML emails once (about 30 ms each) and reads the pages. Runs at start-up
 * locally and at synth time for Lambda, whose bundle then carries the HTML, not the compiler.
 */
export async function compileTemplates(dir: URL = templatesDir): Promise<CompiledTemplates> {
  const emails = await Promise.all(
    EMAIL_NAMES.map(async (name) => {
      const source = await readFile(new URL(`${name}.mjml`, dir), 'utf8');
      const { html, errors } = await mjml2html(source, { validationLevel: 'strict' });
      if (errors.length > 0) {
        const detail = errors.map((e) => `line ${e.line}: ${e.message}`).join('; ');
        throw new ConfigError(`templates/${name}.mjml is not valid MJML: ${detail}`);
      }
      // On Node 20 mjml's output string is slow to operate on until copied (PITFALLS: 15–25×).
      return [name, Buffer.from(html).toString()] as const;
    }),
  );
  const pages = await Promise.all(
    PAGE_NAMES.map(
      async (name) => [name, await readFile(new URL(`pages/${name}.html`, dir), 'utf8')] as const,
    ),
  );
  return CompiledTemplatesSchema.parse({ ...Object.fromEntries(emails), pages: Object.fromEntries(pages) });
}
