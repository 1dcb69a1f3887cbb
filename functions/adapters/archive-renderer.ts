import { createHash } from 'node:crypto';
import type { ArchiveRenderer, ArchiveView, EditionPageView } from '../core/archive-views.ts';
import { type DigestPaper, isOwnLink } from '../core/digest.ts';
import { ConfigError } from '../core/errors.ts';
import type { Feed } from '../core/feeds.ts';
import type { CompiledTemplates } from './compiled-templates.ts';
import { escapeHtml, type Slotted, slotted, withFeedAlternates } from './slots.ts';

const CONTENT = '<!-- paperboy:content -->';

/** Characters XML 1.0 does not allow at all (control characters, lone surrogates, U+FFFE/U+FFFF). */
const NOT_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Text for XML: characters XML forbids dropped, markup escaped (`]]>` escapes as `]]&gt;`). */
export function escapeXml(value: string): string {
  return escapeHtml(value.replace(NOT_XML, ''));
}

/** A link for an href: only https (or our own local http); anything else is left out. */
function href(url: string): string | undefined {
  return url && isOwnLink(url) ? escapeHtml(url) : undefined;
}

/**
 * One paper as a card, in plain, escaped HTML: the page's cards and a feed entry's content alike
 * (a feed reader ignores the classes). Every value was cut to size by the view model.
 */
export function cardHtml(paper: DigestPaper, headingLevel: 2 | 3 = 2): string {
  const h = `h${headingLevel}`;
  const link = href(paper.url);
  const title = link ? `<a href="${link}">${escapeHtml(paper.title)}</a>` : escapeHtml(paper.title);
  const parts = [`<${h}>${paper.rank}. ${title}</${h}>`];
  if (paper.authors) parts.push(`<p class="authors">${escapeHtml(paper.authors)}</p>`);
  if (paper.tldr) parts.push(`<p>${escapeHtml(paper.tldr)}</p>`);
  if (paper.reasons.length > 0) {
    parts.push(`<p class="why"><strong>Why:</strong> ${paper.reasons.map(escapeHtml).join(' · ')}</p>`);
  }
  if (paper.keywords.length > 0) {
    parts.push(
      `<ul class="keywords" aria-label="Keywords">${paper.keywords.map((k) => `<li>${escapeHtml(k)}</li>`).join('')}</ul>`,
    );
  }
  const links = paper.links.flatMap((l) => {
    const url = href(l.url);
    return url ? [`<a href="${url}">${escapeHtml(l.text)}</a>`] : [];
  });
  if (links.length > 0) parts.push(`<p class="links">${links.join(' ')}</p>`);
  return parts.join('');
}

/** A feed entry's HTML content: its cards, one after the other. */
export function entryHtml(papers: readonly DigestPaper[]): string {
  return papers.map((p) => `<div>${cardHtml(p, 3)}</div>`).join('');
}

const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/**
 * The archive's pages in the site's layout, and its feeds. The pages carry no script and no
 * image (a paper's thumbnail is a remote asset): the policy allows the layout's style block by
 * hash and nothing else.
 */
export class HtmlArchiveRenderer implements ArchiveRenderer {
  readonly contentSecurityPolicy: string;
  private readonly head: Slotted;
  private readonly after: Slotted;
  private readonly archivePage: Slotted;
  private readonly editionPage: Slotted;

  constructor(templates: CompiledTemplates['pages']) {
    const at = templates.layout.indexOf(CONTENT);
    if (at < 0) throw new ConfigError(`the page layout must contain ${CONTENT}`);
    this.head = slotted(templates.layout.slice(0, at));
    this.after = slotted(templates.layout.slice(at + CONTENT.length));
    this.archivePage = slotted(templates.archive);
    this.editionPage = slotted(templates.edition);
    const styles = [templates.layout, templates.archive, templates.edition]
      .flatMap((html) => [...html.matchAll(/<style>([\s\S]*?)<\/style>/gu)].map((m) => m[1] as string))
      .map(hash);
    if (/<script/iu.test(templates.archive + templates.edition)) {
      throw new ConfigError('archive pages run no script');
    }
    this.contentSecurityPolicy = [
      "default-src 'none'",
      `style-src ${styles.join(' ') || "'none'"}`,
      "script-src 'none'",
      "img-src 'none'",
      "form-action 'self'",
      "frame-ancestors 'none'",
      "base-uri 'none'",
    ].join('; ');
  }

  archive(view: ArchiveView): string {
    const editions =
      view.listings.length === 0
        ? '<p>No editions yet.</p>'
        : `<ol class="editions">${view.listings
            .map((l) => {
              const titles = l.topTitles.length
                ? `<ul class="titles">${l.topTitles.map((t) => `<li>${escapeHtml(t)}</li>`).join('')}</ul>`
                : '';
              const size = `${l.entryCount} ${l.entryCount === 1 ? 'paper' : 'papers'} ranked`;
              return `<li><h2><a href="${escapeHtml(view.listings.length ? l.url : '')}">${escapeHtml(l.title)}</a></h2><p class="meta"><time datetime="${escapeHtml(l.date)}">${escapeHtml(l.date)}</time> · ${escapeHtml(size)}</p>${titles}</li>`;
            })
            .join('')}</ol>`;
    const links = [
      view.newestUrl ? `<a href="${escapeHtml(view.newestUrl)}">Newest editions</a>` : '<span></span>',
      view.newerUrl ? `<a href="${escapeHtml(view.newerUrl)}" rel="prev">Newer editions</a>` : '',
      view.olderUrl ? `<a href="${escapeHtml(view.olderUrl)}" rel="next">Older editions</a>` : '',
    ].join('');
    const pager =
      view.newestUrl || view.olderUrl ? `<nav class="pager" aria-label="Pages">${links}</nav>` : '';
    return this.page(
      { atom: view.atomUrl, json: view.jsonUrl },
      'Every edition',
      this.archivePage({
        homeUrl: view.homeUrl,
        atomUrl: view.atomUrl,
        jsonUrl: view.jsonUrl,
        editions,
        pager,
      }),
    );
  }

  edition(view: EditionPageView): string {
    const { page } = view;
    const cards =
      page.papers.length === 0
        ? '<p>This edition has no papers.</p>'
        : `<ol class="cards">${page.papers.map((p) => `<li><article>${cardHtml(p)}</article></li>`).join('')}</ol>`;
    return this.page(
      { atom: view.atomUrl, json: view.jsonUrl },
      `${page.heading}, ${page.dateLabel}`,
      this.editionPage({
        archiveUrl: view.archiveUrl,
        homeUrl: view.homeUrl,
        atomUrl: view.atomUrl,
        heading: page.heading,
        date: page.date,
        dateLabel: page.dateLabel,
        summary: page.summary,
        cards,
      }),
    );
  }

  /** Atom 1.0 (RFC 4287): every text escaped, the content as escaped HTML (`type="html"`). */
  atom(feed: Feed): string {
    const x = escapeXml;
    const entries = feed.entries
      .map(
        (e) =>
          `<entry><id>${x(e.id)}</id><title type="text">${x(e.title)}</title><link rel="alternate" type="text/html" href="${x(e.url)}"/><published>${x(e.published)}</published><updated>${x(e.updated)}</updated><summary type="text">${x(e.summary)}</summary><content type="html">${x(entryHtml(e.papers))}</content></entry>`,
      )
      .join('\n');
    return `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">
<id>${x(feed.id)}</id>
<title type="text">${x(feed.title)}</title>
<subtitle type="text">${x(feed.description)}</subtitle>
<updated>${x(feed.updated)}</updated>
<link rel="self" type="application/atom+xml" href="${x(feed.feedUrl)}"/>
<link rel="alternate" type="text/html" href="${x(feed.homeUrl)}"/>
<author><name>Paperboy</name></author>
<generator>Paperboy</generator>
${entries}
</feed>
`;
  }

  /** JSON Feed 1.1 (https://jsonfeed.org/version/1.1). */
  jsonFeed(feed: Feed): string {
    return `${JSON.stringify(
      {
        version: 'https://jsonfeed.org/version/1.1',
        title: feed.title,
        home_page_url: feed.homeUrl,
        feed_url: feed.feedUrl,
        description: feed.description,
        language: 'en',
        authors: [{ name: 'Paperboy' }],
        items: feed.entries.map((e) => ({
          id: e.id,
          url: e.url,
          title: e.title,
          summary: e.summary,
          content_html: entryHtml(e.papers),
          date_published: e.published,
          date_modified: e.updated,
        })),
      },
      null,
      1,
    )}\n`;
  }

  private page(feeds: { atom: string; json: string }, title: string, body: string): string {
    return withFeedAlternates(this.head({ title }), feeds) + body + this.after({});
  }
}
