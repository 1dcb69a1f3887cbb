import { type DigestLink, type DigestPaper, type DigestView, isHttps, isOwnLink } from '../core/digest.ts';
import { ConfigError } from '../core/errors.ts';
import type { DigestRenderer, NoticeView } from '../core/ports.ts';
import type { CompiledTemplates } from './compiled-templates.ts';
import { escapeHtml, escapeWithin, type Slotted, slotted } from './slots.ts';

const START = '<!-- paperboy:paper:start -->';
const END = '<!-- paperboy:paper:end -->';
const MORE_START = '<!-- paperboy:more:start -->';
const MORE_END = '<!-- paperboy:more:end -->';

/**
 * The most bytes a digest's HTML may take. Gmail clips an email whose HTML passes about 102 KB
 * and shows nothing after the clip: here the footer, with the preferences and unsubscribe links
 * and the postal address that bulk-sender rules require.
 */
export const HTML_BUDGET_BYTES = 100_000;

/**
 * Papers shown as full cards (TL;DR, thumbnail, keywords) at most, as many as a digest of the
 * default size holds; the others are listed compactly.
 */
export const FULL_CARDS = 10;

/**
 * The most bytes one value takes in the HTML, escaped: a value longer than this is cut at a word.
 * The view model already cuts every value to a sensible number of characters, which these fit
 * (300 for a title, 420 for a TL;DR, four names of 60, five keywords of 40, six reasons of 100,
 * 200 for a link); the bytes matter for text that escapes long (`"` takes six bytes, `&` five, a
 * CJK character three) and for many long reasons. The counts are the view model's (five
 * keywords, a link of each kind with a text of ours, six reasons). With them, thirty compact
 * entries of the longest values fit the budget whatever their characters
 * (test/unit/adapters/html-digest-renderer.test.ts).
 */
export const VALUE_BYTES = {
  title: 330,
  authors: 280,
  tldr: 460,
  keyword: 48,
  reasons: 260,
  alt: 150,
  /** A link longer than this, escaped, is left out (a link cut short would lead nowhere). */
  url: 220,
  /** A vote link (ours: a token, the paper id, the vote), escaped; longer ones are left out. */
  voteUrl: 440,
} as const;

/**
 * Fills compiled MJML templates per recipient with string assembly: the template is cut once
 * into slots, so each email costs microseconds rather than a full MJML render. Every value is
 * HTML-escaped here; nothing from a paper file reaches the HTML raw, and only https URLs (our own
 * links: or http to this machine, locally) reach an href or a src.
 *
 * The first {@link FULL_CARDS} papers get a full card, the others a compact entry each, listed in
 * one card after them; each paper carries the reader's "More like this · Fewer like this" links. A
 * digest that would pass {@link HTML_BUDGET_BYTES} (only values of extreme length get there)
 * shows fewer full cards, and then, if still over, no vote links in the compact list; every
 * value's size is bounded ({@link VALUE_BYTES}), so that even all papers compact fit.
 */
export class HtmlDigestRenderer implements DigestRenderer {
  private readonly head: Slotted;
  private readonly paper: Slotted;
  private readonly more: Slotted;
  private readonly tail: Slotted;
  private readonly notice: Slotted;

  constructor(templates: CompiledTemplates) {
    const digest = collapseIndentation(templates.digest);
    const start = digest.indexOf(START);
    const end = digest.indexOf(END);
    const moreStart = digest.indexOf(MORE_START);
    const moreEnd = digest.indexOf(MORE_END);
    if (start < 0 || end < start || moreStart < end || moreEnd < moreStart) {
      throw new ConfigError(
        `the digest template must contain ${START} … ${END} around the paper block, then ${MORE_START} … ${MORE_END} around the compact list`,
      );
    }
    // The markers stay in every block: MJML renders consecutive blocks with nothing between
    // one's end marker and the next one's start, so the assembly is byte for byte what a full
    // MJML render of the same digest gives.
    this.head = slotted(digest.slice(0, start));
    this.paper = slotted(digest.slice(start, end + END.length));
    // Whatever lies between the paper block and the compact list (a line break) goes with the list.
    this.more = slotted(digest.slice(end + END.length, moreEnd + MORE_END.length));
    this.tail = slotted(digest.slice(moreEnd + MORE_END.length));
    this.notice = slotted(templates.notice);
  }

  renderDigest(view: DigestView): string {
    const { head, cards, more, tail } = this.layout(view);
    let html = head;
    for (const card of cards) html += card;
    return html + more + tail;
  }

  /** How many papers of `view` {@link renderDigest} shows as full cards. */
  fullCards(view: DigestView): number {
    return this.layout(view).cards.length;
  }

  /** Whether the compact list of `view` keeps its vote links (dropped only past the budget). */
  compactVotes(view: DigestView): boolean {
    return this.layout(view).compactVotes;
  }

  renderNotice(view: NoticeView): string {
    return this.notice({ ...view });
  }

  private layout(view: DigestView): {
    head: string;
    cards: string[];
    more: string;
    tail: string;
    compactVotes: boolean;
  } {
    const shared = digestSlots(view);
    const { papers } = view;
    const cards = papers.slice(0, FULL_CARDS).map(paperSlots);
    const entries: string[] = [];
    let compactVotes = true;
    const moreFrom = (from: number) => {
      let list = '';
      for (let i = from; i < papers.length; i += 1) {
        entries[i] ??= compactEntry(papers[i] as DigestPaper, compactVotes);
        list += entries[i];
      }
      return { more: list };
    };
    // Sized before anything is filled; most digests fit by the lengths of their values alone.
    let more = moreFrom(cards.length);
    const estimate =
      this.head.maxBytes(shared) +
      this.tail.maxBytes(shared) +
      (more.more ? this.more.maxBytes(more) : 0) +
      cards.reduce((sum, card) => sum + this.paper.maxBytes(card), 0);
    if (estimate > HTML_BUDGET_BYTES) {
      const moreBytes = () => (more.more ? this.more.bytes(more) : 0);
      let bytes = this.head.bytes(shared) + this.tail.bytes(shared) + moreBytes();
      const cardBytes = cards.map((card) => this.paper.bytes(card));
      for (const size of cardBytes) bytes += size;
      // Over budget (values of extreme length only): the last full cards become compact entries.
      while (bytes > HTML_BUDGET_BYTES && cards.length > 0) {
        cards.pop();
        bytes -= (cardBytes.pop() as number) + moreBytes();
        more = moreFrom(cards.length);
        bytes += moreBytes();
      }
      // Still over (thirty papers of extreme values): the compact list loses its vote links,
      // which the budget's guarantee does not count on.
      if (bytes > HTML_BUDGET_BYTES) {
        compactVotes = false;
        entries.length = 0;
        more = moreFrom(cards.length);
      }
    }
    return {
      compactVotes,
      head: this.head(shared),
      cards: cards.map((card) => this.paper(card)),
      more: more.more ? this.more(more) : '',
      tail: this.tail(shared),
    };
  }
}

/**
 * MJML's output with every run of white space that holds a line break made one line break: its
 * indentation is about a third of a card's bytes, and shows nowhere (HTML collapses white space;
 * the template has no `<pre>`). Values never hold a line break (the view model puts each on one
 * line) and no slot of the template touches such a run, so collapsing the compiled template
 * gives the same bytes as collapsing a full render.
 */
export function collapseIndentation(html: string): string {
  return html.replace(/[ \t]*\n[ \t\r\n]*/gu, '\n');
}

/*
 * The optional parts of a card, the compact entries and the links around the digest are small
 * fragments built here, every value escaped, and put into the template's raw `{{{slots}}}`.
 * Their light colours are inline (clients that drop <style> still show them), their layout is in
 * the template's classes, written once; the template's classes also adapt them to dark mode.
 */

/** The values of the digest's head and footer slots. */
export function digestSlots(view: DigestView): Record<string, string> {
  const own = view.footerLinks.filter((link) => isOwnLink(link.url));
  const links = isOwnLink(view.webViewUrl) ? [{ text: 'View in your browser', url: view.webViewUrl }] : [];
  links.push(...own);
  return {
    subject: view.subject,
    preheader: view.preheader,
    heading: view.heading,
    dateLabel: view.dateLabel,
    summary: view.summary,
    // The reader's own links once more at the top: reachable even where a client cuts the end.
    topLinks: linkLine(own, 'pb-top-link', '#59636e', ' · '),
    footerLinks: linkLine(links, 'pb-footer-link', '#3d4650', ' &nbsp;·&nbsp; '),
    footerNote: view.footerNote,
    postalAddress: view.postalAddress,
  };
}

function linkLine(links: readonly DigestLink[], css: string, color: string, separator: string): string {
  return links
    .map(
      (link) =>
        `<a class="${css}" href="${escapeHtml(link.url)}" style="color:${color};text-decoration:underline;">${escapeHtml(link.text)}</a>`,
    )
    .join(separator);
}

/** The values of one full card's slots. */
export function paperSlots(paper: DigestPaper): Record<string, string> {
  const thumbnail = paper.thumbnail && linkable(paper.thumbnail.url);
  return {
    rank: String(paper.rank),
    title: titleHtml(paper),
    authors: escapeWithin(paper.authors, VALUE_BYTES.authors),
    tldr: escapeWithin(paper.tldr, VALUE_BYTES.tldr),
    reasons: escapeWithin(paper.reasons.join(' · '), VALUE_BYTES.reasons),
    votes: votesHtml(paper),
    thumbnail:
      paper.thumbnail && thumbnail
        ? `<img class="pb-thumb" src="${thumbnail}" alt="${escapeWithin(paper.thumbnail.alt, VALUE_BYTES.alt)}" width="160" height="90" align="right" style="float:right;width:160px;max-width:40%;height:auto;margin:2px 0 10px 16px;border-radius:6px;color:#59636e;">`
        : '',
    keywords:
      paper.keywords.length > 0
        ? `<p style="margin:0 0 6px;">${paper.keywords
            .map(
              (keyword) =>
                `<span class="pb-chip" style="background-color:#eef1f4;color:#3d4650;">${escapeWithin(keyword, VALUE_BYTES.keyword)}</span>`,
            )
            .join(' ')}</p>`
        : '',
    links: pills(paper.links, '<p style="margin:6px 0 0;">'),
  };
}

/**
 * One paper past the full cards, in the compact list: its rank and title, authors, why it is
 * here and its links (the title already links to its page: that link is not repeated).
 */
export function compactEntry(paper: DigestPaper, votes = true): string {
  const title = titleHtml(paper);
  const page = linkable(paper.url) ? paper.url : '';
  const links = pills(
    paper.links.filter((link) => link.url !== page),
    '<p class="pb-links">',
  );
  return (
    `<div class="pb-brief"><h3><span class="pb-accent" style="color:#0b57d0;">#${paper.rank}</span> ${title}</h3>` +
    `<p class="pb-muted" style="color:#59636e;">${escapeWithin(paper.authors, VALUE_BYTES.authors)}</p>` +
    `<p class="pb-muted" style="color:#59636e;"><strong>Why:</strong> ${escapeWithin(paper.reasons.join(' · '), VALUE_BYTES.reasons)}${votes ? votesHtml(paper) : ''}</p>${links}</div>`
  );
}

/**
 * The reader's "More like this · Fewer like this" links, on a line of their own after the reasons
 * (empty when the paper has none: the web view). Our own links: https, or http to this machine.
 */
function votesHtml(paper: DigestPaper): string {
  if (!paper.feedback) return '';
  const more = ownLink(paper.feedback.more);
  const fewer = ownLink(paper.feedback.fewer);
  if (!more || !fewer) return '';
  const link = (href: string, text: string) =>
    `<a class="pb-vote" href="${href}" style="color:#0b57d0;text-decoration:underline;">${text}</a>`;
  return `<br>${link(more, 'More like this')} · ${link(fewer, 'Fewer like this')}`;
}

function ownLink(url: string): string | undefined {
  if (!isOwnLink(url)) return undefined;
  const escaped = escapeHtml(url);
  return Buffer.byteLength(escaped) <= VALUE_BYTES.voteUrl ? escaped : undefined;
}

/** The title, linked to the paper's page when it has one that may be linked. */
function titleHtml(paper: DigestPaper): string {
  const title = escapeWithin(paper.title, VALUE_BYTES.title);
  const href = linkable(paper.url);
  return href
    ? `<a class="pb-title-link" href="${href}" style="color:#1f2328;text-decoration:none;">${title}</a>`
    : title;
}

/** The links as pills, spaces between them (where styles are dropped, they read as words). */
function pills(links: readonly DigestLink[], open: string): string {
  const row: string[] = [];
  for (const link of links) {
    const href = linkable(link.url);
    if (href)
      row.push(`<a class="pb-pill" href="${href}" style="color:#0b57d0;">${escapeHtml(link.text)}</a>`);
  }
  return row.length > 0 ? `${open}${row.join(' ')}</p>` : '';
}

/** The URL escaped for an href or a src, or undefined: not https, or too long to show. */
function linkable(url: string): string | undefined {
  if (!isHttps(url)) return undefined;
  const escaped = escapeHtml(url);
  // A UTF-16 unit takes at most three bytes: most links need no counting.
  return escaped.length * 3 <= VALUE_BYTES.url || Buffer.byteLength(escaped) <= VALUE_BYTES.url
    ? escaped
    : undefined;
}
