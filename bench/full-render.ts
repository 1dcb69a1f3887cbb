import { readFile } from 'node:fs/promises';
import mjml2html from 'mjml';
import {
  collapseIndentation,
  compactEntry,
  digestSlots,
  FULL_CARDS,
  paperSlots,
} from '../functions/adapters/html-digest-renderer.ts';
import { templatesDir } from '../functions/adapters/mjml-compiler.ts';
import { escapeHtml } from '../functions/adapters/slots.ts';
import {
  buildDigestView,
  type DigestContext,
  type DigestView,
  VOTE_LINK_CHARS,
  type VoteLinks,
} from '../functions/core/digest.ts';
import type { Paper } from '../functions/core/paper.ts';
import { rankTrending } from '../functions/core/ranking.ts';

const START = '<mj-raw><!-- paperboy:paper:start --></mj-raw>';
const END = '<mj-raw><!-- paperboy:paper:end --></mj-raw>';
const MORE_END = '<mj-raw><!-- paperboy:more:end --></mj-raw>';
/** Read once: the baseline times the render, not the disk. */
let source: string | undefined;

/**
 * The naive way to make one reader's digest: fill the MJML source with this reader's values
 * (the renderer's own slot values: text escaped, its fragments raw), render it in full and
 * collapse its indentation as the renderer does. The first `fullCards` papers get the paper
 * block, the others the compact list. The baseline of the per-recipient figure, and the
 * reference the renderer's output must equal byte for byte (given the renderer's own count of
 * full cards: `HtmlDigestRenderer.fullCards`).
 */
export async function fullMjmlRender(
  view: DigestView,
  fullCards = FULL_CARDS,
  compactVotes = true,
): Promise<string> {
  source ??= await readFile(new URL('digest.mjml', templatesDir), 'utf8');
  const text = source;
  const start = text.indexOf(START);
  const end = text.indexOf(END) + END.length;
  const moreEnd = text.indexOf(MORE_END) + MORE_END.length;
  // One pass, as the renderer fills: a value that reads `{{slot}}` stays text.
  const fill = (text: string, values: Record<string, string>) =>
    text.replace(/\{\{\{([A-Za-z]+)\}\}\}|\{\{([A-Za-z]+)\}\}/gu, (_, raw?: string, escaped?: string) =>
      raw ? (values[raw] ?? '') : escapeHtml(values[escaped as string] ?? ''),
    );
  const shared = digestSlots(view);
  const full = view.papers.slice(0, fullCards);
  const compact = view.papers.slice(fullCards);
  const blocks = full.map((paper) => fill(text.slice(start, end), paperSlots(paper)));
  const more =
    compact.length > 0
      ? fill(text.slice(end, moreEnd), {
          more: compact.map((paper) => compactEntry(paper, compactVotes)).join(''),
        })
      : '';
  const { html } = await mjml2html(
    fill(text.slice(0, start), shared) + blocks.join('') + more + fill(text.slice(moreEnd), shared),
  );
  return collapseIndentation(html);
}

/** A reader's links, as long as the link builder makes them. */
export const READER_CONTEXT: DigestContext = {
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
};

/**
 * The bench's digest: the first papers of a file in trending order, as one reader gets them
 * (links, keywords, thumbnails and all), with a reader's footer links.
 */
export function benchDigestView(
  papers: readonly Paper[],
  count = 10,
  votes?: ReadonlyMap<string, VoteLinks>,
): DigestView {
  const ranked = rankTrending(papers, new Date('2026-11-26T06:00:00Z')).slice(0, count);
  return buildDigestView(
    { date: '2026-11-26', mode: 'daily' },
    ranked.map((entry) => ({ entry, reasons: entry.reasons, feedback: votes?.get(entry.paper.id) })),
    READER_CONTEXT,
  );
}

/**
 * The largest digest of `count` papers the view model lets through: every paper with every
 * link (each as long as the view model keeps), a thumbnail, the longest title, authors, TL;DR,
 * keywords and reasons it keeps. `plain` text is ASCII words; `escaping` text is made of the
 * characters that take the most bytes in HTML (`"` becomes six), so that the renderer's byte
 * bounds, not the view model's character counts, decide.
 */
export function worstCaseDigestView(count: number, text: 'plain' | 'escaping' = 'plain'): DigestView {
  const word = text === 'plain' ? (i: number) => `Word${i}` : () => '"&"';
  const words = (chars: number) => {
    let out = '';
    for (let i = 0; out.length < chars; i += 1) out += `${word(i)} `;
    return out.trim();
  };
  // 200 characters, the longest kept; escaping: five `&`, so 220 bytes escaped, the longest linked.
  const link = (host: string, i: number) => {
    const base = `https://${host}.example.org/${i}/?${text === 'escaping' ? 'a&'.repeat(5) : ''}`;
    return base + 'x'.repeat(200 - base.length);
  };
  const papers = Array.from(
    { length: count },
    (_, i): Paper => ({
      id: `2611.${10000 + i}`,
      title: words(1000),
      abstract: words(20_000),
      // One sentence of about 420 characters: the longest TL;DR kept whole.
      aiSummary: `${words(410)}. And a second sentence.`,
      // Four names show in full; five or more show three and "et al.".
      authors: Array.from({ length: 4 }, () => words(100)),
      publishedAt: '2026-11-26T00:00:00.000Z',
      source: 'hf-daily',
      links: {
        abstract: link('abstract', i),
        pdf: link('pdf', i),
        code: link('code', i),
        project: link('project', i),
        doi: link('doi', i),
        thumbnail: link('thumbnail', i),
      },
      keywords: Array.from({ length: 8 }, (_, k) => `${k} ${words(100)}`),
      categories: [],
      signals: {
        observedAt: '2026-11-26T06:00:00.000Z',
        upvotes: 1_234_567,
        stars: 1_234_567,
        comments: 1_234_567,
      },
    }),
  );
  const reasons = Array.from({ length: 8 }, () => words(200));
  const long = (path: string) => `https://papers.example.org/${path}?token=${'t'.repeat(180)}`;
  // Vote links as long as the view model keeps them, with the `&`s that escape longest.
  const vote = (v: string) => {
    const start = `https://papers.example.org/feedback?vote=${v}&paper=x&token=`;
    return start + 't'.repeat(VOTE_LINK_CHARS - start.length);
  };
  const feedback = { more: vote('more'), fewer: vote('fewer') };
  return buildDigestView(
    { date: '2026-11-26', mode: 'daily' },
    rankTrending(papers, new Date('2026-11-26T06:00:00Z')).map((entry) => ({ entry, reasons, feedback })),
    {
      webViewUrl: long('editions/2026-11-26'),
      footerLinks: [
        { text: 'Preferences', url: long('preferences') },
        { text: 'Unsubscribe', url: long('unsubscribe') },
      ],
      postalAddress: READER_CONTEXT.postalAddress,
    },
  );
}
