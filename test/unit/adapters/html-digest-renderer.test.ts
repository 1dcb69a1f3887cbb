import { readFile } from 'node:fs/promises';
import { decodeHTML } from 'entities';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { benchDigestView, fullMjmlRender, worstCaseDigestView } from '../../../bench/full-render.ts';
import type { CompiledTemplates } from '../../../functions/adapters/compiled-templates.ts';
import {
  FULL_CARDS,
  HTML_BUDGET_BYTES,
  HtmlDigestRenderer,
} from '../../../functions/adapters/html-digest-renderer.ts';
import { compileTemplates } from '../../../functions/adapters/mjml-compiler.ts';
import { escapeHtml, escapeWithin } from '../../../functions/adapters/slots.ts';
import { type DigestView, renderDigestText } from '../../../functions/core/digest.ts';
import { collectPapers } from '../../../functions/core/formats/open-papers.ts';
import { LinkBuilder } from '../../../functions/core/links.ts';
import type { Paper } from '../../../functions/core/paper.ts';
import type { NoticeView } from '../../../functions/core/ports.ts';
import { PreferencesSchema } from '../../../functions/core/subscriber.ts';
import { SAMPLE_FILE } from '../../../functions/local/demo.ts';
import { testTokenKeys } from '../../support/memory-ports.ts';

let templates: CompiledTemplates;
let renderer: HtmlDigestRenderer;
/** Ten sample papers, every third with a thumbnail of the test's own (the samples have none). */
let realistic: DigestView;
/** The same, thirty papers: ten full cards, twenty compact entries, each with a reader's vote links. */
let long: DigestView;
beforeAll(async () => {
  templates = await compileTemplates();
  renderer = new HtmlDigestRenderer(templates);
  const sample = SAMPLE_FILE;
  const collected = await collectPapers(await readFile(sample, 'utf8'), {
    observedAt: '2026-11-26T06:00:00.000Z',
  });
  const papers: Paper[] = collected.papers.map((paper, i) =>
    i % 3 === 0
      ? { ...paper, links: { ...paper.links, thumbnail: `https://example.org/thumbnails/${paper.id}.png` } }
      : paper,
  );
  realistic = benchDigestView(papers, 10);
  const votes = await new LinkBuilder('https://papers.example.org/', testTokenKeys).feedback(
    'abcdefghijklmnopqrstuvwxyz012345',
    'AbCdEfGhIjKlMnOpQrStUv',
    papers.map((p) => p.id),
    new Date('2026-11-26T06:00:00.000Z'),
  );
  long = benchDigestView(papers, 30, votes);
});

/** The largest digest size a reader may choose, as the preferences accept it. */
const MAX_DIGEST_SIZE = Math.max(
  ...Array.from({ length: 1000 }, (_, i) => i + 1).filter(
    (n) => PreferencesSchema.safeParse({ digestSize: n }).success,
  ),
);

/**
 * Built by hand, so that it holds what the view model would never let through: the renderer
 * must refuse unsafe links on its own.
 */
const view: DigestView = {
  editionDate: '2026-11-26',
  dateLabel: 'Thursday, 26 November 2026',
  subject: 'Trending papers for 2026-11-26',
  preheader: "Today's top paper: Attention",
  heading: 'Trending papers',
  summary: "2 new papers; today's top: Attention <script>",
  papers: [
    {
      rank: 1,
      title: 'Attention <script>alert(1)</script> {{subject}} {{{footerLinks}}}',
      url: 'https://arxiv.org/abs/1',
      authors: 'A & B',
      tldr: 'S "quoted"',
      keywords: ['<b>k</b>', 'rag'],
      links: [
        { text: 'arXiv', url: 'https://arxiv.org/abs/1' },
        { text: 'PDF', url: 'javascript:alert(1)' },
        { text: 'Data', url: 'data:text/html,<script>alert(1)</script>' },
        { text: 'Code ★ 59', url: 'http://github.com/a/b' },
        { text: 'Project "page"', url: 'https://example.org/p?a=1&b=2' },
      ],
      thumbnail: { url: 'https://cdn.example.org/t/1.png', alt: 'Preview of the paper “Attention <script>”' },
      reasons: ['▲ 4 upvotes'],
    },
    {
      rank: 2,
      title: 'Second',
      url: 'javascript:alert(2)',
      authors: 'C',
      tldr: 'T',
      keywords: [],
      links: [],
      thumbnail: { url: 'javascript:alert(3)', alt: 'x' },
      reasons: ['new this week', '★ 3'],
    },
  ],
  webViewUrl: 'https://x.org/editions/2026-11-26',
  footerLinks: [
    { text: 'Preferences', url: 'https://x.org/preferences?token=p&q' },
    { text: 'Unsubscribe', url: 'https://x.org/unsubscribe?token=a&b' },
    { text: 'Evil', url: 'javascript:alert(4)' },
  ],
  footerNote: "You get this email because you subscribed to Paperboy's trending papers.",
  postalAddress: 'Paperboy, 1 Example Street, 00000 Exampletown <b>',
};

/** Every href and src of the HTML, entity-decoded, whatever their quoting. */
function urlsIn(html: string): string[] {
  return [...html.matchAll(/\s(?:href|src)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/giu)].map((m) =>
    decodeHTML(m[1] ?? m[2] ?? m[3] ?? ''),
  );
}

describe('HtmlDigestRenderer', () => {
  it('is byte-identical to a full MJML render of the same digest', async () => {
    // The same view filled into the MJML source (values escaped, fragments raw) and rendered in
    // full, with as many full cards as the renderer chose: ten, or fewer for the largest digests.
    const largest = worstCaseDigestView(MAX_DIGEST_SIZE, 'escaping');
    expect(renderer.fullCards(largest)).toBeLessThan(FULL_CARDS);
    for (const digest of [view, realistic, { ...realistic, postalAddress: '' }, long, largest]) {
      const full = await fullMjmlRender(digest, renderer.fullCards(digest), renderer.compactVotes(digest));
      const assembled = renderer.renderDigest(digest);
      expect(assembled.length).toBe(full.length);
      expect(assembled === full).toBe(true);
    }
  });

  it('escapes every value from a paper file, and fills a value that reads like a slot as text', () => {
    const html = renderer.renderDigest(view);
    expect(html).not.toMatch(/<script|<b>/iu);
    expect(html).toContain(
      'Attention &lt;script&gt;alert(1)&lt;/script&gt; {{subject}} {{{footerLinks}}}</a>',
    );
    expect(html).toContain('A &amp; B');
    expect(html).toContain('S &quot;quoted&quot;');
    expect(html).toContain('&lt;b&gt;k&lt;/b&gt;</span>');
    expect(html).toContain('alt="Preview of the paper “Attention &lt;script&gt;”"');
    expect(html).toContain('Project &quot;page&quot;</a>');
    expect(html).toContain('href="https://x.org/unsubscribe?token=a&amp;b"');
    expect(html).toContain('00000 Exampletown &lt;b&gt;</p>');
  });

  it('puts only https URLs in href and src: unsafe paper links are dropped, not linked', () => {
    const html = renderer.renderDigest(view);
    const urls = urlsIn(html);
    expect(urls).toEqual([
      // The reader's own links, at the top and again in the footer.
      'https://x.org/preferences?token=p&q',
      'https://x.org/unsubscribe?token=a&b',
      'https://arxiv.org/abs/1',
      'https://cdn.example.org/t/1.png',
      'https://arxiv.org/abs/1',
      'https://example.org/p?a=1&b=2',
      'https://x.org/editions/2026-11-26',
      'https://x.org/preferences?token=p&q',
      'https://x.org/unsubscribe?token=a&b',
    ]);
    expect(html).not.toMatch(/javascript:|data:text|http:\/\/github/iu);
    // The unsafe ones are gone entirely; the second title is plain text.
    expect(html).not.toMatch(/>PDF<|>Data<|>Code ★ 59<|>Evil</u);
    expect(html).toContain('font-weight:700;">Second</h2>');
    for (const digest of [realistic, long]) {
      const realisticUrls = urlsIn(renderer.renderDigest(digest));
      expect(realisticUrls.length).toBeGreaterThan(30);
      for (const url of realisticUrls) expect(url).toMatch(/^https:\/\/[^\s"'<>]+$/u);
    }
  });

  it('gives every thumbnail a width, a height and an alt text, and lets it shrink', () => {
    const html = renderer.renderDigest(realistic);
    const images = html.match(/<img\b[^>]*>/gu) ?? [];
    expect(images.length).toBe(realistic.papers.filter((p) => p.thumbnail).length);
    expect(images.length).toBeGreaterThan(0);
    for (const img of images) {
      expect(img).toMatch(/ width="\d+"/u);
      expect(img).toMatch(/ height="\d+"/u);
      expect(img).toMatch(/ alt="Preview of the paper “[^"]+”"/u);
      expect(img).toContain('max-width:40%');
    }
  });

  it('repeats the paper block once per paper, and fills the head and the footer', () => {
    const html = renderer.renderDigest(view);
    expect(html.match(/<!-- paperboy:paper:start -->/gu)).toHaveLength(2);
    // No papers past the full cards: no compact list.
    expect(html).not.toContain('paperboy:more');
    expect(html).not.toContain('MORE PAPERS');
    expect(html).toContain('<title>Trending papers for 2026-11-26</title>');
    expect(html).toContain('Today&#39;s top paper: Attention');
    expect(html).toContain('Thursday, 26 November 2026');
    expect(html).toContain('>#2</p>');
    expect(html).toContain('<meta name="color-scheme" content="light dark">');
    expect(html).toContain('@media (prefers-color-scheme: dark)');
    expect(html).toContain('[data-ogsc]');
  });

  it('gives the public web view only a Subscribe link, and no link to itself', () => {
    const html = renderer.renderDigest({
      ...realistic,
      webViewUrl: '',
      footerLinks: [{ text: 'Subscribe', url: 'https://papers.example.org/' }],
      footerNote: "Paperboy emails the day's trending research papers.",
    });
    const footer = html.slice(html.lastIndexOf('<!-- paperboy:paper:end -->'));
    expect(footer.match(/<a [^>]*>[^<]*<\/a>/gu)).toEqual([
      '<a class="pb-footer-link" href="https://papers.example.org/" style="color:#3d4650;text-decoration:underline;">Subscribe</a>',
    ]);
    expect(html).not.toMatch(/View in your browser|Unsubscribe|Preferences/u);
  });

  it('shows nothing for an empty postal address', () => {
    const html = renderer.renderDigest({ ...view, postalAddress: '' });
    expect(html).not.toContain('Exampletown');
    expect(html).toContain('<p style="margin:0;"></p>');
  });

  it("puts the reader's preferences and unsubscribe links at the top too, before the first paper", () => {
    const html = renderer.renderDigest(realistic);
    const top = html.slice(0, html.indexOf('<!-- paperboy:paper:start -->'));
    expect(top.match(/<a [^>]*>[^<]*<\/a>/gu)).toEqual([
      '<a class="pb-top-link" href="https://papers.example.org/preferences?token=v2.preferences.abc.s1.k1.0.sig" style="color:#59636e;text-decoration:underline;">Preferences</a>',
      '<a class="pb-top-link" href="https://papers.example.org/unsubscribe?token=v1.unsubscribe.abc.k1.0.sig" style="color:#59636e;text-decoration:underline;">Unsubscribe</a>',
    ]);
    expect(top).toContain('>Preferences</a> · <a');
  });

  it('shows the first ten papers as full cards, and lists the others compactly: title, authors, why, links', () => {
    expect(renderer.fullCards(realistic)).toBe(10);
    expect(renderer.fullCards(long)).toBe(FULL_CARDS);
    const html = renderer.renderDigest(long);
    expect(html.match(/<!-- paperboy:paper:start -->/gu)).toHaveLength(FULL_CARDS);
    const list = html.slice(
      html.indexOf('<!-- paperboy:more:start -->'),
      html.indexOf('<!-- paperboy:more:end -->'),
    );
    expect(list).toContain('MORE PAPERS');
    const entries = list.split('<div class="pb-brief"').slice(1);
    expect(entries).toHaveLength(30 - FULL_CARDS);
    for (const [i, entry] of entries.entries()) {
      const paper = long.papers[FULL_CARDS + i];
      if (!paper) throw new Error('no paper for the entry');
      expect(entry).toContain(
        `>#${paper.rank}</span> <a class="pb-title-link" href="${escapeHtml(paper.url)}"`,
      );
      expect(entry).toContain(`>${escapeHtml(paper.title)}</a></h3>`);
      expect(entry).toContain(`>${escapeHtml(paper.authors)}</p>`);
      expect(entry).toContain(
        `<strong>Why:</strong> ${escapeHtml(paper.reasons.join(' · '))}<br><a class="pb-vote" href="${escapeHtml(paper.feedback?.more ?? '')}"`,
      );
      // Every link but the one the title already is.
      const links = [...entry.matchAll(/<a class="pb-pill" href="([^"]*)"/gu)].map((m) =>
        decodeHTML(m[1] ?? ''),
      );
      expect(links).toEqual(paper.links.map((link) => link.url).filter((url) => url !== paper.url));
      expect(entry).not.toMatch(/TL;DR|<img|pb-chip/u);
    }
    // The footer follows the list.
    expect(html.indexOf('<!-- paperboy:more:end -->')).toBeLessThan(html.indexOf('Exampletown'));
  });

  it(`keeps the largest digest a reader may choose (${MAX_DIGEST_SIZE} papers) under 100 KB, whatever its values`, () => {
    expect(MAX_DIGEST_SIZE).toBe(30);
    expect(HTML_BUDGET_BYTES).toBeLessThanOrEqual(100_000);
    for (const text of ['plain', 'escaping'] as const) {
      const worst = worstCaseDigestView(MAX_DIGEST_SIZE, text);
      const html = renderer.renderDigest(worst);
      expect(Buffer.byteLength(html), text).toBeLessThanOrEqual(HTML_BUDGET_BYTES);
      // Every paper is there, and the footer ends it.
      expect(html.match(/>#\d+<\/(?:p|span)>/gu)).toHaveLength(MAX_DIGEST_SIZE);
      expect(html.match(/>Unsubscribe<\/a>/gu)).toHaveLength(2);
      expect(html.slice(-2000)).toContain('Paperboy, 1 Example Street, 00000 Exampletown');
    }
    // Ordinary papers keep their ten full cards and every vote link, under the budget with room to spare.
    expect(Buffer.byteLength(renderer.renderDigest(long))).toBeLessThan(90_000);
  });

  it('keeps even thirty papers of the longest values under the budget as compact entries alone', async () => {
    // What the budget rests on: with no full card at all, the digest fits.
    const worst = worstCaseDigestView(MAX_DIGEST_SIZE, 'escaping');
    expect(Buffer.byteLength(await fullMjmlRender(worst, 0, false))).toBeLessThan(HTML_BUDGET_BYTES - 5_000);
  });

  it('gives every paper of a reader’s digest its “More like this” and “Fewer like this” links, in both parts', () => {
    const html = renderer.renderDigest(long);
    expect(renderer.compactVotes(long)).toBe(true);
    const links = [...html.matchAll(/<a class="pb-vote" href="([^"]+)"[^>]*>([^<]+)<\/a>/gu)].map((m) => ({
      url: decodeHTML(m[1] ?? ''),
      text: m[2],
    }));
    expect(links).toHaveLength(2 * long.papers.length);
    long.papers.forEach((paper, i) => {
      expect(links[2 * i]).toEqual({ text: 'More like this', url: paper.feedback?.more });
      expect(links[2 * i + 1]).toEqual({ text: 'Fewer like this', url: paper.feedback?.fewer });
      expect(new URL(paper.feedback?.more ?? '').searchParams.get('vote')).toBe('more');
    });
    const text = renderDigestText(long);
    expect(
      text.match(/^ {3}More like this: https:\/\/papers\.example\.org\/feedback\?token=v2\.feedback\./gmu),
    ).toHaveLength(30);
    expect(text.match(/^ {3}Fewer like this: /gmu)).toHaveLength(30);
    // The public web view has none.
    expect(renderer.renderDigest(realistic)).not.toContain('class="pb-vote"');
  });

  it('refuses a template without the paper and compact-list markers', () => {
    expect(() => new HtmlDigestRenderer({ ...templates, digest: '<html>{{subject}}</html>' })).toThrow(
      /paper block/u,
    );
    const noList = templates.digest.replace('<!-- paperboy:more:start -->', '');
    expect(() => new HtmlDigestRenderer({ ...templates, digest: noList })).toThrow(/compact list/u);
  });
});

describe('a value of bounded size in the HTML', () => {
  it('is escaped, and cut at a word with an ellipsis when it does not fit', () => {
    expect(escapeWithin('A & B', 10)).toBe('A &amp; B');
    expect(escapeWithin('one two three four', 12)).toBe('one two…');
    expect(escapeWithin('"'.repeat(100), 33)).toBe(`${'&quot;'.repeat(5)}…`);
    expect(escapeWithin('日本語の論文のタイトル', 12)).toBe('日本語…');
    expect(escapeWithin('😀😀😀', 9)).toBe('😀…');
  });

  it('never takes more bytes than allowed, and keeps a prefix of the text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.integer({ min: 3, max: 400 }), (text, max) => {
        const escaped = escapeWithin(text, max);
        expect(Buffer.byteLength(escaped)).toBeLessThanOrEqual(max);
        const shown = decodeHTML(escaped);
        if (shown !== text) {
          expect(shown.endsWith('…')).toBe(true);
          expect(text.startsWith(shown.slice(0, -1))).toBe(true);
        }
      }),
    );
  });
});

describe('the notice email (confirmation, fresh links)', () => {
  const notice: NoticeView = {
    title: 'Confirm your Paperboy subscription',
    preheader: 'One click',
    heading: 'Confirm <your> subscription',
    body: 'Someone & you',
    buttonText: 'Confirm',
    url: 'https://x.org/confirm?token=a&b',
    footnote: 'Ignore it',
    postalAddress: 'Paperboy, 1 Example Street, 00000 Exampletown',
  };

  it("shares the digest's brand header and footer, with the postal address, every value escaped", () => {
    const html = renderer.renderNotice(notice);
    expect(html).toContain('>PAPERBOY</div>');
    expect(html).toContain('Confirm &lt;your&gt; subscription');
    expect(html).toContain('Someone &amp; you');
    expect(html).toContain('href="https://x.org/confirm?token=a&amp;b"');
    expect(html).toContain('<p style="margin:0;">Paperboy, 1 Example Street, 00000 Exampletown</p>');
    expect(html).toContain('@media (prefers-color-scheme: dark)');
    const digest = renderer.renderDigest(realistic);
    for (const shared of ['>PAPERBOY</div>', 'class="pb-body"', 'class="pb-card"']) {
      expect(digest).toContain(shared);
      expect(html).toContain(shared);
    }
  });

  it('shows nothing for an empty postal address', () => {
    const html = renderer.renderNotice({ ...notice, postalAddress: '' });
    expect(html).not.toContain('Exampletown');
    expect(html).toContain('<p style="margin:0;"></p>');
  });
});
