import { type DigestPaper, type DigestView, isHttps, isOwnLink } from '../core/digest.ts';
import { ConfigError } from '../core/errors.ts';
import type { DigestRenderer, NoticeView } from '../core/ports.ts';
import type { CompiledTemplates } from './compiled-templates.ts';
import { escapeHtml, type Slotted, slotted } from './slots.ts';

const START = '<!-- paperboy:paper:start -->';
const END = '<!-- paperboy:paper:end -->';

/**
 * Fills compiled MJML templates per recipient with string assembly: the template is cut once
 * into slots, so each email costs microseconds rather than a full MJML render. Every value is
 * HTML-escaped here; nothing from a paper file reaches the HTML raw, and only https URLs (our own
 * links: or http to this machine, locally) reach an href or a src.
 */
export class HtmlDigestRenderer implements DigestRenderer {
  private readonly head: Slotted;
  private readonly paper: Slotted;
  private readonly tail: Slotted;
  private readonly notice: Slotted;

  constructor(templates: CompiledTemplates) {
    const start = templates.digest.indexOf(START);
    const end = templates.digest.indexOf(END);
    if (start < 0 || end < start) {
      throw new ConfigError(`the digest template must contain ${START} … ${END} around the paper block`);
    }
    // The markers stay in every paper block: MJML renders consecutive blocks with nothing
    // between one's end marker and the next one's start, so the assembly is byte for byte what
    // a full MJML render of the same digest gives.
    this.head = slotted(templates.digest.slice(0, start));
    this.paper = slotted(templates.digest.slice(start, end + END.length));
    this.tail = slotted(templates.digest.slice(end + END.length));
    this.notice = slotted(templates.notice);
  }

  renderDigest(view: DigestView): string {
    const shared = digestSlots(view);
    let html = this.head(shared);
    for (const paper of view.papers) html += this.paper(paperSlots(paper));
    return html + this.tail(shared);
  }

  renderNotice(view: NoticeView): string {
    return this.notice({ ...view });
  }
}

/*
 * The optional parts of a card and the footer's links are small fragments built here, every
 * value escaped, and put into the template's raw `{{{slots}}}`. Their light colours are inline
 * (clients that drop <style> still show them); the template's classes adapt them to dark mode.
 */

/** The values of the digest's head and footer slots. */
export function digestSlots(view: DigestView): Record<string, string> {
  const links = isOwnLink(view.webViewUrl) ? [{ text: 'View in your browser', url: view.webViewUrl }] : [];
  for (const link of view.footerLinks) if (isOwnLink(link.url)) links.push(link);
  return {
    subject: view.subject,
    preheader: view.preheader,
    heading: view.heading,
    dateLabel: view.dateLabel,
    summary: view.summary,
    footerLinks: links
      .map(
        (link) =>
          `<a class="pb-footer-link" href="${escapeHtml(link.url)}" style="color:#3d4650;text-decoration:underline;">${escapeHtml(link.text)}</a>`,
      )
      .join(' &nbsp;·&nbsp; '),
    footerNote: view.footerNote,
    postalAddress: view.postalAddress,
  };
}

/** The values of one paper block's slots. */
export function paperSlots(paper: DigestPaper): Record<string, string> {
  const title = escapeHtml(paper.title);
  return {
    rank: String(paper.rank),
    title: isHttps(paper.url)
      ? `<a class="pb-title-link" href="${escapeHtml(paper.url)}" style="color:#1f2328;text-decoration:none;">${title}</a>`
      : title,
    authors: paper.authors,
    tldr: paper.tldr,
    reasons: paper.reasons.join(' · '),
    thumbnail:
      paper.thumbnail && isHttps(paper.thumbnail.url)
        ? `<img class="pb-thumb" src="${escapeHtml(paper.thumbnail.url)}" alt="${escapeHtml(paper.thumbnail.alt)}" width="160" height="90" align="right" style="float:right;display:block;width:160px;max-width:40%;height:auto;margin:2px 0 10px 16px;border:0;border-radius:6px;font-size:12px;line-height:1.3;color:#59636e;">`
        : '',
    keywords:
      paper.keywords.length > 0
        ? `<p style="margin:0 0 6px;">${paper.keywords
            .map(
              (keyword) =>
                `<span class="pb-chip" style="display:inline-block;margin:0 6px 6px 0;padding:1px 10px;border-radius:999px;background-color:#eef1f4;color:#3d4650;font-size:12px;line-height:20px;">${escapeHtml(keyword)}</span>`,
            )
            .join('')}</p>`
        : '',
    links: linkRow(paper),
  };
}

function linkRow(paper: DigestPaper): string {
  let row = '';
  for (const link of paper.links) {
    if (!isHttps(link.url)) continue;
    row += `<a class="pb-pill" href="${escapeHtml(link.url)}" style="display:inline-block;margin:0 6px 6px 0;padding:4px 12px;border:1px solid #d0d7de;border-radius:6px;color:#0b57d0;font-size:13px;font-weight:600;line-height:18px;text-decoration:none;">${escapeHtml(link.text)}</a>`;
  }
  return row ? `<p style="margin:6px 0 0;">${row}</p>` : '';
}
