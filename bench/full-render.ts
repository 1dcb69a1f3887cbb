import { readFile } from 'node:fs/promises';
import mjml2html from 'mjml';
import { templatesDir } from '../functions/adapters/mjml-compiler.ts';
import { escapeHtml } from '../functions/adapters/slots.ts';
import type { DigestView } from '../functions/core/digest.ts';

const START = '<mj-raw><!-- paperboy:paper:start --></mj-raw>';
const END = '<mj-raw><!-- paperboy:paper:end --></mj-raw>';
/** Read once: the baseline times the render, not the disk. */
let source: string | undefined;

/**
 * The naive way to make one reader's digest: fill the MJML source with this reader's values
 * (escaped, as the renderer does) and render it in full. The baseline of the per-recipient
 * figure, and the reference the renderer's output must equal byte for byte.
 */
export async function fullMjmlRender(view: DigestView): Promise<string> {
  source ??= await readFile(new URL('digest.mjml', templatesDir), 'utf8');
  const text = source;
  const start = text.indexOf(START);
  const end = text.indexOf(END) + END.length;
  const fill = (text: string, values: Record<string, string>) =>
    text
      .replace(/\{\{\{([A-Za-z]+)\}\}\}/gu, (_, name: string) => values[name] ?? '')
      .replace(/\{\{([A-Za-z]+)\}\}/gu, (_, name: string) => escapeHtml(values[name] ?? ''));
  const shared = {
    subject: view.subject,
    preheader: view.preheader,
    heading: `The trending papers of ${view.editionDate}`,
    webViewUrl: view.webViewUrl,
    footerLinks: view.footerLinks
      .map((link) => `<a href="${escapeHtml(link.url)}">${escapeHtml(link.text)}</a>`)
      .join(' · '),
  };
  const blocks = view.papers.map((p, i) =>
    fill(text.slice(start, end), {
      rank: String(i + 1),
      title: p.title,
      url: p.url,
      authors: p.authors,
      summary: p.summary,
      reasons: p.reasons.join(' · '),
    }),
  );
  const { html } = await mjml2html(
    fill(text.slice(0, start), shared) + blocks.join('') + fill(text.slice(end), shared),
  );
  return html;
}
