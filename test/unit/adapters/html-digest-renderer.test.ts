import { readFile } from 'node:fs/promises';
import { decodeHTML } from 'entities';
import { beforeAll, describe, expect, it } from 'vitest';
import { benchDigestView, fullMjmlRender } from '../../../bench/full-render.ts';
import type { CompiledTemplates } from '../../../functions/adapters/compiled-templates.ts';
import { HtmlDigestRenderer } from '../../../functions/adapters/html-digest-renderer.ts';
import { compileTemplates } from '../../../functions/adapters/mjml-compiler.ts';
import type { DigestView } from '../../../functions/core/digest.ts';
import { collectPapers } from '../../../functions/core/formats/open-papers.ts';
import type { NoticeView } from '../../../functions/core/ports.ts';
import { SAMPLE_FILE } from '../../../functions/local/demo.ts';

let templates: CompiledTemplates;
let renderer: HtmlDigestRenderer;
let realistic: DigestView;
beforeAll(async () => {
  templates = await compileTemplates();
  renderer = new HtmlDigestRenderer(templates);
  const sample = SAMPLE_FILE;
  const { papers } = await collectPapers(await readFile(sample, 'utf8'), {
    observedAt: '2026-11-26T06:00:00.000Z',
  });
  realistic = benchDigestView(papers, 10);
});

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
    // The same view filled into the MJML source (values escaped, fragments raw) and rendered in full.
    for (const digest of [view, realistic, { ...realistic, postalAddress: '' }]) {
      const full = await fullMjmlRender(digest);
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
    const realisticUrls = urlsIn(renderer.renderDigest(realistic));
    expect(realisticUrls.length).toBeGreaterThan(30);
    for (const url of realisticUrls) expect(url).toMatch(/^https:\/\/[^\s"'<>]+$/u);
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

  it("stays under Gmail's 102 KB clipping for a ten-paper digest", () => {
    const html = renderer.renderDigest(realistic);
    expect(realistic.papers).toHaveLength(10);
    expect(Buffer.byteLength(html)).toBeLessThan(102 * 1024);
  });

  it('refuses a template without the paper markers', () => {
    expect(() => new HtmlDigestRenderer({ ...templates, digest: '<html>{{subject}}</html>' })).toThrow(
      /paper block/u,
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
