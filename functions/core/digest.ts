import type { Edition } from './edition.ts';
import type { RankedPaper } from './ranking.ts';
import { singleLine } from './text.ts';

/** Everything a digest email shows, as plain values; the renderer escapes them. */
export interface DigestView {
  editionDate: string;
  subject: string;
  preheader: string;
  papers: DigestPaper[];
  webViewUrl: string;
  /**
   * The footer's links: a reader's own preferences and unsubscribe links in an email; the
   * sign-up page on the public web view, which belongs to no one.
   */
  footerLinks: { text: string; url: string }[];
}

export interface DigestPaper {
  title: string;
  url: string;
  authors: string;
  summary: string;
  reasons: string[];
}

const SUMMARY_CHARS = 280;
const AUTHORS_SHOWN = 4;

/** A paper in a digest and why it is there (a reader's choice, or the edition's trending order). */
export interface DigestItem {
  entry: RankedPaper;
  reasons: readonly string[];
}

export function buildDigestView(
  edition: Pick<Edition, 'date' | 'mode'>,
  items: readonly DigestItem[],
  links: { webViewUrl: string; footerLinks: DigestView['footerLinks'] },
): DigestView {
  const first = items[0]?.entry.paper.title;
  const week = edition.mode === 'week';
  return {
    editionDate: edition.date,
    subject: week ? `The week's best papers, ${edition.date}` : `Trending papers for ${edition.date}`,
    preheader: first ? `${week ? "This week's" : "Today's"} top paper: ${first}` : 'Your papers for today',
    papers: items.map(({ entry: { paper }, reasons }) => ({
      title: paper.title,
      url: paper.links.abstract ?? paper.links.project ?? paper.links.code ?? '',
      authors: formatAuthors(paper.authors),
      summary: truncate(paper.aiSummary ?? paper.abstract, SUMMARY_CHARS),
      reasons: [...reasons],
    })),
    ...links,
  };
}

/**
 * The plain-text part: the same content as the HTML, readable in any client. Every value is
 * put on one line, so nothing from a paper or a reader's profile can add a line of its own
 * (a forged "Unsubscribe:" line, say).
 */
export function renderDigestText(view: DigestView): string {
  const one = singleLine;
  const lines = [`Paperboy: ${one(view.subject)}`, ''];
  view.papers.forEach((paper, i) => {
    lines.push(`${i + 1}. ${one(paper.title)}`);
    if (paper.authors) lines.push(`   ${one(paper.authors)}`);
    lines.push(`   Why: ${one(paper.reasons.join(' · '))}`);
    if (paper.url) lines.push(`   ${one(paper.url)}`);
    lines.push('');
  });
  lines.push(`View in a browser: ${one(view.webViewUrl)}`);
  for (const link of view.footerLinks) lines.push(`${one(link.text)}: ${one(link.url)}`);
  return `${lines.join('\n')}\n`;
}

function formatAuthors(authors: readonly string[]): string {
  if (authors.length <= AUTHORS_SHOWN) return authors.join(', ');
  return `${authors.slice(0, AUTHORS_SHOWN).join(', ')} and ${authors.length - AUTHORS_SHOWN} more`;
}

function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  return `${cut.slice(0, Math.max(cut.lastIndexOf(' '), max - 20)).trimEnd()}…`;
}
