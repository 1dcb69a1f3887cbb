import type { DigestPaper, DigestView } from '../core/digest.ts';
import { ConfigError } from '../core/errors.ts';
import type { DigestRenderer, NoticeView } from '../core/ports.ts';
import type { CompiledTemplates } from './compiled-templates.ts';
import { escapeHtml, type Slotted, slotted } from './slots.ts';

const START = '<!-- paperboy:paper:start -->';
const END = '<!-- paperboy:paper:end -->';

/**
 * Fills compiled MJML templates per recipient with string assembly: the template is cut once
 * into slots, so each email costs microseconds rather than a 30 ms MJML render. Every value is
 * HTML-escaped here; nothing from a paper file reaches the HTML raw.
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
    const shared = {
      subject: view.subject,
      preheader: view.preheader,
      heading: `The trending papers of ${view.editionDate}`,
      webViewUrl: view.webViewUrl,
      footerLinks: view.footerLinks
        .map((link) => `<a href="${escapeHtml(link.url)}">${escapeHtml(link.text)}</a>`)
        .join(' · '),
    };
    const papers = view.papers.map((paper, i) => this.paper(paperSlots(paper, i)));
    return this.head(shared) + papers.join('') + this.tail(shared);
  }

  renderNotice(view: NoticeView): string {
    return this.notice({ ...view });
  }
}

function paperSlots(paper: DigestPaper, index: number): Record<string, string> {
  return {
    rank: String(index + 1),
    title: paper.title,
    url: paper.url,
    authors: paper.authors,
    summary: paper.summary,
    reasons: paper.reasons.join(' · '),
  };
}
