import { readFile } from 'node:fs/promises';
import mjml2html from 'mjml';
import { digestSlots, paperSlots } from '../functions/adapters/html-digest-renderer.ts';
import { templatesDir } from '../functions/adapters/mjml-compiler.ts';
import { escapeHtml } from '../functions/adapters/slots.ts';
import { buildDigestView, type DigestView } from '../functions/core/digest.ts';
import type { Paper } from '../functions/core/paper.ts';
import { rankTrending } from '../functions/core/ranking.ts';

const START = '<mj-raw><!-- paperboy:paper:start --></mj-raw>';
const END = '<mj-raw><!-- paperboy:paper:end --></mj-raw>';
/** Read once: the baseline times the render, not the disk. */
let source: string | undefined;

/**
 * The naive way to make one reader's digest: fill the MJML source with this reader's values
 * (the renderer's own slot values: text escaped, its fragments raw) and render it in full. The
 * baseline of the per-recipient figure, and the reference the renderer's output must equal
 * byte for byte.
 */
export async function fullMjmlRender(view: DigestView): Promise<string> {
  source ??= await readFile(new URL('digest.mjml', templatesDir), 'utf8');
  const text = source;
  const start = text.indexOf(START);
  const end = text.indexOf(END) + END.length;
  // One pass, as the renderer fills: a value that reads `{{slot}}` stays text.
  const fill = (text: string, values: Record<string, string>) =>
    text.replace(/\{\{\{([A-Za-z]+)\}\}\}|\{\{([A-Za-z]+)\}\}/gu, (_, raw?: string, escaped?: string) =>
      raw ? (values[raw] ?? '') : escapeHtml(values[escaped as string] ?? ''),
    );
  const shared = digestSlots(view);
  const blocks = view.papers.map((paper) => fill(text.slice(start, end), paperSlots(paper)));
  const { html } = await mjml2html(
    fill(text.slice(0, start), shared) + blocks.join('') + fill(text.slice(end), shared),
  );
  return html;
}

/**
 * The bench's digest: the first papers of a file in trending order, as one reader gets them
 * (links, keywords, thumbnails and all), with a reader's footer links.
 */
export function benchDigestView(papers: readonly Paper[], count = 10): DigestView {
  const ranked = rankTrending(papers, new Date('2026-11-26T06:00:00Z')).slice(0, count);
  return buildDigestView(
    { date: '2026-11-26', mode: 'daily' },
    ranked.map((entry) => ({ entry, reasons: entry.reasons })),
    {
      webViewUrl: 'https://papers.example.org/editions/2026-11-26',
      footerLinks: [
        {
          text: 'Preferences',
          url: 'https://papers.example.org/preferences?token=v2.preferences.abc.s1.k1.0.sig',
        },
        {
          text: 'Unsubscribe',
          url: 'https://papers.example.org/unsubscribe?token=v1.unsubscribe.abc.k1.0.sig',
        },
      ],
      postalAddress: 'Paperboy, 1 Example Street, 00000 Exampletown',
    },
  );
}
