import { readFile } from 'node:fs/promises';
import mjml2html from 'mjml';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CompiledTemplates } from '../../../functions/adapters/compiled-templates.ts';
import { HtmlDigestRenderer } from '../../../functions/adapters/html-digest-renderer.ts';
import { compileTemplates, templatesDir } from '../../../functions/adapters/mjml-compiler.ts';
import { escapeHtml } from '../../../functions/adapters/slots.ts';
import type { DigestView } from '../../../functions/core/digest.ts';

let templates: CompiledTemplates;
let renderer: HtmlDigestRenderer;
beforeAll(async () => {
  templates = await compileTemplates();
  renderer = new HtmlDigestRenderer(templates);
});

const view: DigestView = {
  editionDate: '2026-11-26',
  subject: 'Trending papers for 2026-11-26',
  preheader: "Today's top paper: Attention",
  papers: [
    {
      title: 'Attention <script>alert(1)</script>',
      url: 'https://arxiv.org/abs/1',
      authors: 'A & B',
      summary: 'S "quoted"',
      reasons: ['▲ 4 upvotes'],
    },
    {
      title: 'Second',
      url: 'https://arxiv.org/abs/2',
      authors: 'C',
      summary: 'T',
      reasons: ['new this week', '★ 3'],
    },
  ],
  webViewUrl: 'https://x.org/editions/2026-11-26',
  footerLink: { text: 'Unsubscribe', url: 'https://x.org/unsubscribe?token=a&b' },
};

describe('HtmlDigestRenderer', () => {
  it('is byte-identical to a full MJML render of the same digest', async () => {
    // Build the MJML a full render would take: the paper section repeated, values escaped in.
    const source = await readFile(new URL('digest.mjml', templatesDir), 'utf8');
    const start = source.indexOf('<mj-raw><!-- paperboy:paper:start --></mj-raw>');
    const end = source.indexOf('<mj-raw><!-- paperboy:paper:end --></mj-raw>');
    const block = source.slice(start, end + '<mj-raw><!-- paperboy:paper:end --></mj-raw>'.length);
    const fill = (text: string, values: Record<string, string>) =>
      text.replace(/\{\{([A-Za-z]+)\}\}/gu, (_, name: string) => escapeHtml(values[name] ?? ''));
    const shared = {
      subject: view.subject,
      preheader: view.preheader,
      heading: 'The trending papers of 2026-11-26',
      webViewUrl: view.webViewUrl,
      footerUrl: view.footerLink.url,
      footerText: view.footerLink.text,
    };
    const blocks = view.papers
      .map((p, i) =>
        fill(block, {
          rank: String(i + 1),
          title: p.title,
          url: p.url,
          authors: p.authors,
          summary: p.summary,
          reasons: p.reasons.join(' · '),
        }),
      )
      .join('');
    const full = await mjml2html(
      fill(source.slice(0, start), shared) + blocks + fill(source.slice(start + block.length), shared),
    );
    const assembled = renderer.renderDigest(view);
    expect(assembled.length).toBe(full.html.length);
    expect(assembled === full.html).toBe(true);
  });

  it('escapes every value from a paper file', () => {
    const html = renderer.renderDigest(view);
    expect(html).not.toContain('<script>');
    expect(html).toContain('Attention &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('A &amp; B');
    expect(html).toContain('href="https://x.org/unsubscribe?token=a&amp;b"');
  });

  it('repeats the paper block once per paper, and fills the preheader', () => {
    const html = renderer.renderDigest(view);
    expect(html.match(/class="paper-title"/gu)).toHaveLength(2);
    expect(html).toContain('Today&#39;s top paper: Attention');
  });

  it('refuses a template without the paper markers', () => {
    expect(() => new HtmlDigestRenderer({ ...templates, digest: '<html>{{subject}}</html>' })).toThrow(
      /paper block/u,
    );
  });
});
