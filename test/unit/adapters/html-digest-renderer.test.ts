import { beforeAll, describe, expect, it } from 'vitest';
import { fullMjmlRender } from '../../../bench/full-render.ts';
import type { CompiledTemplates } from '../../../functions/adapters/compiled-templates.ts';
import { HtmlDigestRenderer } from '../../../functions/adapters/html-digest-renderer.ts';
import { compileTemplates } from '../../../functions/adapters/mjml-compiler.ts';
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
  footerLinks: [
    { text: 'Preferences', url: 'https://x.org/preferences?token=p&q' },
    { text: 'Unsubscribe', url: 'https://x.org/unsubscribe?token=a&b' },
  ],
};

describe('HtmlDigestRenderer', () => {
  it('is byte-identical to a full MJML render of the same digest', async () => {
    // The same view filled into the MJML source (values escaped) and rendered in full.
    const full = await fullMjmlRender(view);
    const assembled = renderer.renderDigest(view);
    expect(assembled.length).toBe(full.length);
    expect(assembled === full).toBe(true);
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
