import type { Edition } from './ports.ts';
import type { RankedPaper } from './ranking.ts';
import type { Subscriber } from './subscriber.ts';

/** Everything a digest email shows, as plain values; the renderer escapes them. */
export interface DigestView {
  editionDate: string;
  subject: string;
  preheader: string;
  papers: DigestPaper[];
  unsubscribeUrl: string;
  webViewUrl: string;
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

/** Picks a subscriber's papers from the edition: the top of the trending list, their size. */
export function choosePapers(edition: Edition, subscriber: Subscriber): RankedPaper[] {
  return edition.entries.slice(0, subscriber.digestSize);
}

export function buildDigestView(
  edition: Edition,
  papers: readonly RankedPaper[],
  links: { unsubscribeUrl: string; webViewUrl: string },
): DigestView {
  const first = papers[0]?.paper.title;
  return {
    editionDate: edition.date,
    subject: `Trending papers for ${edition.date}`,
    preheader: first ? `Today's top paper: ${first}` : 'Your papers for today',
    papers: papers.map(({ paper, reasons }) => ({
      title: paper.title,
      url: paper.links.abstract ?? paper.links.project ?? paper.links.code ?? '',
      authors: formatAuthors(paper.authors),
      summary: truncate(paper.aiSummary ?? paper.abstract, SUMMARY_CHARS),
      reasons,
    })),
    ...links,
  };
}

/** The plain-text part: the same content as the HTML, readable in any client. */
export function renderDigestText(view: DigestView): string {
  const lines = [`Paperboy: ${view.subject}`, ''];
  view.papers.forEach((paper, i) => {
    lines.push(`${i + 1}. ${paper.title}`);
    if (paper.authors) lines.push(`   ${paper.authors}`);
    lines.push(`   Why: ${paper.reasons.join(' · ')}`);
    if (paper.url) lines.push(`   ${paper.url}`);
    lines.push('');
  });
  lines.push(`View in a browser: ${view.webViewUrl}`);
  lines.push(`Unsubscribe: ${view.unsubscribeUrl}`);
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
