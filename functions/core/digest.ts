import type { Edition } from './edition.ts';
import type { Paper } from './paper.ts';
import type { RankedPaper } from './ranking.ts';
import { singleLine } from './text.ts';

/**
 * Everything a digest shows, as plain values: the HTML renderer escapes them, the text part puts
 * each on one line. Built once per reader by {@link buildDigestView}; both parts read only this.
 */
export interface DigestView {
  /** The edition's day, `YYYY-MM-DD`. */
  editionDate: string;
  /** The same day for people: `Thursday, 26 November 2026`. */
  dateLabel: string;
  subject: string;
  /** What an inbox shows after the subject: the top title and how many more. */
  preheader: string;
  /** `Trending papers` or `The week's best papers`. */
  heading: string;
  /** One line about the day: `12 new papers; today's top: Sparse Retrieval Heads for…`. */
  summary: string;
  papers: DigestPaper[];
  /** The edition's web view; empty on the web view itself. */
  webViewUrl: string;
  /**
   * The footer's links: a reader's own preferences and unsubscribe links in an email; the
   * sign-up page on the public web view, which belongs to no one.
   */
  footerLinks: DigestLink[];
  /** Why this arrives (an email) or what Paperboy is (the web view). */
  footerNote: string;
  /** The sender's postal address (bulk-sender rules); empty shows nothing. */
  postalAddress: string;
}

export interface DigestPaper {
  /** 1 for the first paper. */
  rank: number;
  title: string;
  /** The paper's page (https only), or empty when it has none worth linking. */
  url: string;
  /** The first authors, `et al.` after a few. */
  authors: string;
  /** The source's AI summary, else the abstract's first sentences; cut at a sentence. */
  tldr: string;
  keywords: string[];
  /** Abstract, PDF, code (with its stars), project page, DOI: https only, each once, none absurdly long. */
  links: DigestLink[];
  /** The source's thumbnail (https only), with its alt text. */
  thumbnail?: { url: string; alt: string };
  /** Why the paper is here: `+42 upvotes/day (▲ 120)`, `matches “retrieval”`; a few, each of a sensible length. */
  reasons: string[];
  /** The reader's "More like this" / "Fewer like this" links (our own links; none on the web view). */
  feedback?: VoteLinks;
}

/** A paper's two vote links (functions/core/links.ts `feedback`). */
export interface VoteLinks {
  more: string;
  fewer: string;
}

export interface DigestLink {
  text: string;
  url: string;
}

/** What an edition's digest needs besides its papers: the links and address around them. */
export interface DigestContext {
  webViewUrl: string;
  footerLinks: DigestLink[];
  postalAddress: string;
  /** Defaults to the email's "you subscribed" line. */
  footerNote?: string;
}

export const EMAIL_FOOTER_NOTE = "You get this email because you subscribed to Paperboy's trending papers.";

const TLDR_CHARS = 300;
/** A first sentence longer than this is cut at a word instead (a run-on abstract). */
const TLDR_MAX_SENTENCE = 420;
const AUTHORS_SHOWN = 3;
const AUTHOR_CHARS = 60;
const TITLE_CHARS = 300;
const KEYWORDS_SHOWN = 5;
const KEYWORD_CHARS = 40;
/** Longer links are left out: real ones are far shorter, and a link cut short leads nowhere. */
const LINK_CHARS = 200;
/** As many as a selection gives (a topic, four trending counts, a followed author). */
const REASONS_SHOWN = 6;
const REASON_CHARS = 100;
/** A vote link longer than this is left out (ours are about 200: a token, the paper id, the vote). */
export const VOTE_LINK_CHARS = 400;

/** A paper in a digest and why it is there (a reader's choice, or the edition's trending order). */
export interface DigestItem {
  entry: RankedPaper;
  reasons: readonly string[];
  /** The reader's vote links for this paper (an email; not the public web view). */
  feedback?: VoteLinks | undefined;
}

/**
 * The view model of one digest. Every value from a paper is put on one line and cut to a sensible
 * length; every link from a paper must be https (anything else, `javascript:` and `data:`
 * included, is dropped) and of a sensible length, and so must the digest's own links (plain http
 * only to this machine, for the local stack).
 */
export function buildDigestView(
  edition: Pick<Edition, 'date' | 'mode'>,
  items: readonly DigestItem[],
  context: DigestContext,
): DigestView {
  const week = edition.mode === 'week';
  const papers = items.map(({ entry, reasons, feedback }, i) => {
    const paper = digestPaper(entry.paper, reasons, i + 1);
    const votes = feedback && voteLinks(feedback);
    return votes ? { ...paper, feedback: votes } : paper;
  });
  return {
    editionDate: edition.date,
    dateLabel: dateLabel(edition.date),
    subject: week ? `The week's best papers, ${edition.date}` : `Trending papers for ${edition.date}`,
    ...headlines(week, papers),
    heading: week ? "The week's best papers" : 'Trending papers',
    papers,
    webViewUrl: ownUrl(context.webViewUrl) ?? '',
    footerLinks: context.footerLinks.flatMap((link) => {
      const url = ownUrl(link.url);
      return url ? [{ text: singleLine(link.text), url }] : [];
    }),
    footerNote: singleLine(context.footerNote ?? EMAIL_FOOTER_NOTE),
    postalAddress: singleLine(context.postalAddress),
  };
}

/** Both vote links, if both are our own links of a sensible length; else none. */
function voteLinks(links: VoteLinks): VoteLinks | undefined {
  const more = ownUrl(links.more);
  const fewer = ownUrl(links.fewer);
  if (!more || !fewer || more.length > VOTE_LINK_CHARS || fewer.length > VOTE_LINK_CHARS) return undefined;
  return { more, fewer };
}

/** The day in one line (`12 new papers; today's top: …`) and the inbox's preheader. */
function headlines(week: boolean, papers: readonly DigestPaper[]): { summary: string; preheader: string } {
  const top = papers[0]?.title;
  if (!top) {
    return week
      ? { summary: 'No papers this week.', preheader: "This week's papers" }
      : { summary: 'No new papers today.', preheader: 'Your papers for today' };
  }
  const n = papers.length;
  const noun = (count: number) => (count === 1 ? 'paper' : 'papers');
  const cut = cutAtWord(top, 70);
  return {
    summary: week
      ? `${n} ${noun(n)} from the week; the week's top: ${cut}`
      : `${n} new ${noun(n)}; today's top: ${cut}`,
    preheader:
      n === 1
        ? cutAtWord(top, 110)
        : `${cutAtWord(top, 90)} — and ${n - 1} more ${week ? '' : 'trending '}${noun(n - 1)}`,
  };
}

const ARXIV = /^https:\/\/([\w-]+\.)*arxiv\.org\//u;

/** A paper's link as a digest shows it ({@link paperUrl}), if it is not absurdly long. */
function digestUrl(raw: string | undefined): string | undefined {
  const url = paperUrl(raw);
  return url && url.length <= LINK_CHARS ? url : undefined;
}

/** One paper's card, as a digest shows it (also a personal feed's entry, from a delivery's papers). */
export function digestPaper(paper: Paper, reasons: readonly string[], rank: number): DigestPaper {
  const title = cutAtWord(singleLine(paper.title), TITLE_CHARS);
  const safe = {
    abstract: digestUrl(paper.links.abstract),
    pdf: digestUrl(paper.links.pdf),
    code: digestUrl(paper.links.code),
    project: digestUrl(paper.links.project),
    doi: digestUrl(paper.links.doi),
  };
  const stars = paper.signals.stars;
  const links: DigestLink[] = [];
  const add = (text: string, url: string | undefined) => {
    if (url && !links.some((link) => link.url === url)) links.push({ text, url });
  };
  add(safe.abstract && ARXIV.test(safe.abstract) ? 'arXiv' : 'Abstract', safe.abstract);
  add('PDF', safe.pdf);
  add(stars ? `Code ★ ${formatCount(stars)}` : 'Code', safe.code);
  add('Project page', safe.project);
  add('DOI', safe.doi);
  const thumbnail = digestUrl(paper.links.thumbnail);
  const keywords: string[] = [];
  for (const raw of paper.keywords) {
    const keyword = cutAtWord(singleLine(raw), KEYWORD_CHARS);
    if (keyword && !keywords.some((k) => k.toLowerCase() === keyword.toLowerCase())) keywords.push(keyword);
    if (keywords.length === KEYWORDS_SHOWN) break;
  }
  return {
    rank,
    title,
    url: safe.abstract ?? safe.project ?? safe.doi ?? safe.code ?? safe.pdf ?? '',
    authors: formatAuthors(paper.authors),
    tldr: tldr(paper),
    keywords,
    links,
    ...(thumbnail && {
      thumbnail: { url: thumbnail, alt: `Preview of the paper “${cutAtWord(title, 80)}”` },
    }),
    reasons: reasons
      .map((reason) => cutAtWord(singleLine(reason), REASON_CHARS))
      .filter(Boolean)
      .slice(0, REASONS_SHOWN),
  };
}

/**
 * The plain-text part: the same papers as the HTML, each in full (the HTML lists those past its
 * full cards compactly, to stay under Gmail's clipping, which looks at the HTML only), readable
 * in any client. Every value is put on one line, after an indent or a label of ours, so nothing
 * from a paper or a reader's profile can add a line of its own (a forged "Unsubscribe:" line,
 * say); a link that is not https (our own: or http to this machine) is left out, as in the HTML.
 */
export function renderDigestText(view: DigestView): string {
  const one = singleLine;
  const lines = [`Paperboy · ${one(view.heading)}`, one(view.dateLabel), one(view.summary), ''];
  for (const paper of view.papers) {
    lines.push(`${paper.rank}. ${one(paper.title)}`);
    if (paper.authors) lines.push(`   ${one(paper.authors)}`);
    if (paper.tldr) lines.push(`   TL;DR: ${one(paper.tldr)}`);
    if (paper.keywords.length > 0) lines.push(`   Keywords: ${one(paper.keywords.join(', '))}`);
    if (paper.reasons.length > 0) lines.push(`   Why: ${one(paper.reasons.join(' · '))}`);
    const links = paper.links.filter((link) => isHttps(link.url));
    const page = isHttps(paper.url) && !links.some((link) => link.url === paper.url) ? paper.url : '';
    if (page) lines.push(`   Link: ${one(page)}`);
    for (const link of links) lines.push(`   ${one(link.text)}: ${one(link.url)}`);
    if (paper.feedback && isOwnLink(paper.feedback.more) && isOwnLink(paper.feedback.fewer)) {
      lines.push(`   More like this: ${one(paper.feedback.more)}`);
      lines.push(`   Fewer like this: ${one(paper.feedback.fewer)}`);
    }
    lines.push('');
  }
  lines.push('--');
  if (isOwnLink(view.webViewUrl)) lines.push(`View in your browser: ${one(view.webViewUrl)}`);
  for (const link of view.footerLinks) {
    if (isOwnLink(link.url)) lines.push(`${one(link.text)}: ${one(link.url)}`);
  }
  if (view.footerNote) lines.push(one(view.footerNote));
  if (view.postalAddress) lines.push(one(view.postalAddress));
  return `${lines.join('\n')}\n`;
}

/**
 * A paper's link as a digest may show it: an absolute https URL without credentials, normalized
 * (spaces and quotes percent-encoded); anything else (`javascript:`, `data:`, `http:`, junk) is
 * undefined. The cheap check on the way out is {@link isHttps}.
 */
export function paperUrl(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' || !url.hostname || url.username || url.password) return undefined;
  return url.href;
}

/** Paperboy's own links: https, or plain http to this machine (the local stack). */
export function ownUrl(raw: string): string | undefined {
  const https = paperUrl(raw);
  if (https) return https;
  return isOwnLink(raw) ? raw : undefined;
}

/** The renderer's last check before a URL goes into an href or src: the scheme is https. */
export function isHttps(url: string): boolean {
  return url.startsWith('https://');
}

const LOCAL = /^http:\/\/(127\.0\.0\.1|localhost)(:\d+)?\//u;

/** {@link isHttps}, or http to this machine, as the configuration allows for the local stack. */
export function isOwnLink(url: string): boolean {
  return url.startsWith('https://') || LOCAL.test(url);
}

/** `A, B, C et al.` after a few; every name on one line and of a sensible length. */
export function formatAuthors(authors: readonly string[]): string {
  const names = authors.map((name) => cutAtWord(singleLine(name), AUTHOR_CHARS)).filter(Boolean);
  // Four names read better than three and "et al.".
  if (names.length <= AUTHORS_SHOWN + 1) return names.join(', ');
  return `${names.slice(0, AUTHORS_SHOWN).join(', ')} et al.`;
}

/** The source's AI summary when it has one, else the abstract's first sentences. */
function tldr(paper: Paper): string {
  const ai = paper.aiSummary ? singleLine(paper.aiSummary) : '';
  return firstSentences(ai || singleLine(paper.abstract), TLDR_CHARS) || 'The source gives no abstract.';
}

/** Words before a period that do not end a sentence (compared in lower case, without the period). */
const ABBREVIATIONS = new Set([
  'al',
  'approx',
  'ca',
  'cf',
  'ch',
  'co',
  'def',
  'dr',
  'eq',
  'eqs',
  'fig',
  'figs',
  'inc',
  'lem',
  'ltd',
  'mr',
  'mrs',
  'ms',
  'no',
  'nos',
  'pp',
  'prof',
  'prop',
  'ref',
  'refs',
  'resp',
  'sec',
  'secs',
  'sect',
  'st',
  'tab',
  'thm',
  'viz',
  'vol',
  'vs',
  'wrt',
]);

/**
 * The first sentences of `text` that fit in `max` characters: never cut inside a sentence, unless
 * the first one alone is longer than {@link TLDR_MAX_SENTENCE}, which is then cut at a word with
 * an ellipsis. A period ends a sentence only before white space and a capital, digit, quote or
 * bracket, and not after an abbreviation (`e.g.`, `et al.`, `Fig.`, an initial); `3.5` has no
 * space after its period.
 */
export function firstSentences(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = 0;
  for (const boundary of sentenceEnds(text)) {
    if (boundary > max) {
      if (end === 0 && boundary <= TLDR_MAX_SENTENCE) end = boundary;
      break;
    }
    end = boundary;
  }
  return end > 0 ? text.slice(0, end) : cutAtWord(text, max);
}

function* sentenceEnds(text: string): Generator<number> {
  for (const match of text.matchAll(/([.!?])["'”’)\]]*(?=\s+(\S)|$)/gu)) {
    const end = match.index + match[0].length;
    const next = match[2];
    if (next !== undefined && !/[\p{Lu}\p{N}"'“‘([]/u.test(next)) continue;
    if (match[1] === '.' && isAbbreviation(text.slice(0, match.index))) continue;
    yield end;
  }
}

function isAbbreviation(before: string): boolean {
  const word = (/(\S+)$/u.exec(before)?.[1] ?? '').replace(/^["'“‘([]+/u, '').toLowerCase();
  // An initial (`J.`), a dotted abbreviation (`e.g.`, `i.e.`, `U.S.`), or a known word.
  return /^\p{L}$/u.test(word) || /^(\p{L}\.)+\p{L}$/u.test(word) || ABBREVIATIONS.has(word);
}

/** `text` cut to at most `max` characters at a word, with an ellipsis; an unbroken run is cut hard. */
export function cutAtWord(text: string, max: number): string {
  if (text.length <= max) return text;
  const window = text.slice(0, max);
  const space = window.lastIndexOf(' ');
  const cut = space >= max / 2 ? window.slice(0, space) : window;
  return `${cut.replace(/[\s,;:–—-]+$/u, '')}…`;
}

/** 59, 1.2k, 12k, 1.3M: a count that fits beside a link. */
export function formatCount(n: number): string {
  if (n < 1000) return String(n);
  if (n < 10_000) return `${(Math.floor(n / 100) / 10).toString()}k`;
  if (n < 1_000_000) return `${Math.floor(n / 1000)}k`;
  return `${(Math.floor(n / 100_000) / 10).toString()}M`;
}

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/** `2026-11-26` → `Thursday, 26 November 2026` (the day as such: no time zone involved). */
export function dateLabel(date: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/u.exec(date);
  if (!match) return date;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const utc = new Date(Date.UTC(year, month - 1, day));
  if (utc.getUTCMonth() !== month - 1) return date;
  return `${WEEKDAYS[utc.getUTCDay()]}, ${day} ${MONTHS[month - 1]} ${year}`;
}
