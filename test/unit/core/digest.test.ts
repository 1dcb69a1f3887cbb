import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { HtmlDigestRenderer } from '../../../functions/adapters/html-digest-renderer.ts';
import { compileTemplates } from '../../../functions/adapters/mjml-compiler.ts';
import {
  buildDigestView,
  cutAtWord,
  type DigestContext,
  dateLabel,
  firstSentences,
  formatAuthors,
  formatCount,
  renderDigestText,
} from '../../../functions/core/digest.ts';
import type { Paper } from '../../../functions/core/paper.ts';
import { rankTrending } from '../../../functions/core/ranking.ts';
import { NOW, paper } from '../../support/papers.ts';

const context: DigestContext = {
  webViewUrl: 'https://papers.example.org/editions/2026-11-26',
  footerLinks: [
    { text: 'Preferences', url: 'https://papers.example.org/preferences?token=p' },
    { text: 'Unsubscribe', url: 'https://papers.example.org/unsubscribe?token=u' },
  ],
  postalAddress: 'Paperboy, 1 Example Street, 00000 Exampletown',
};

/** A digest of these papers, in this order, each with the ranking's own reasons. */
function digestOf(papers: Paper[], mode: 'daily' | 'week' = 'daily', ctx: DigestContext = context) {
  const ranked = rankTrending(papers, NOW);
  const byId = new Map(ranked.map((entry) => [entry.paper.id, entry]));
  const items = papers.map((p) => {
    const entry = byId.get(p.id);
    if (!entry) throw new Error(`not ranked: ${p.id}`);
    return { entry, reasons: entry.reasons };
  });
  return buildDigestView({ date: '2026-11-26', mode }, items, ctx);
}

const withFields = (id: string, fields: Partial<Paper>): Paper => ({ ...paper(id, 1), ...fields });

describe('the TL;DR', () => {
  it('prefers the source AI summary to the abstract', () => {
    const view = digestOf([
      withFields('1', {
        aiSummary: 'A short summary by the source.',
        abstract: 'The long abstract. '.repeat(30),
      }),
    ]);
    expect(view.papers[0]?.tldr).toBe('A short summary by the source.');
  });

  it('takes the first sentences of the abstract that fit, and never cuts inside one', () => {
    const abstract = [
      'We study retrieval heads in long-context models (e.g. Llama and Mistral), following Smith et al. and Fig. 2 of prior work.',
      'Our method improves accuracy from 71.5% to 78.25% on three benchmarks, i.e. a large gain.',
      'We release code, models and data so that others can build on this work, extend it to other languages and compare against it.',
      'A fourth sentence that should not fit.',
    ].join(' ');
    const tldr = digestOf([withFields('1', { abstract })]).papers[0]?.tldr;
    // The abbreviations and decimals do not end a sentence; the cut is after a whole sentence.
    expect(tldr).toBe(
      'We study retrieval heads in long-context models (e.g. Llama and Mistral), following Smith et al. and Fig. 2 of prior work. Our method improves accuracy from 71.5% to 78.25% on three benchmarks, i.e. a large gain.',
    );
  });

  it('keeps a long first sentence whole, and cuts a run-on one at a word with an ellipsis', () => {
    const long = `We ${'carefully '.repeat(33)}study things.`; // about 350 characters
    expect(firstSentences(`${long} Then more.`, 300)).toBe(long);
    const runOn = `We ${'carefully '.repeat(60)}study things.`;
    const cut = firstSentences(runOn, 300);
    expect(cut.endsWith('carefully…')).toBe(true);
    expect(cut.length).toBeLessThanOrEqual(301);
  });

  it('does not end a sentence after an initial, an abbreviation or inside a number', () => {
    // The budget is smaller than the first sentence: any false boundary would cut it short.
    for (const first of [
      'Proposed by J. Doe in 2020.',
      'We use strong models (e.g. BERT) on the task.',
      'That is, i.e. Approach A is better.',
      'As shown by Smith et al. The method holds.',
      'As Fig. 2 and Eq. 3 show, it works.',
      'Accuracy rises by 3.5 points to 92.25 percent.',
      'It is approx. three times faster.',
      'It runs on release v2. which is newer.',
    ]) {
      expect(firstSentences(`${first} Next one. ${'X '.repeat(200)}`, 10)).toBe(first);
    }
  });

  it('is a prefix of the text ending at a sentence or a word, for any text', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.constantFrom('We', 'et', 'al.', 'e.g.', 'Fig.', '2.5', 'x.', 'Done.', 'Why?', '(A)', 'ok'),
          {
            maxLength: 120,
          },
        ),
        fc.integer({ min: 20, max: 200 }),
        (words, max) => {
          const text = words.join(' ');
          const out = firstSentences(text, max);
          if (out.endsWith('…')) {
            const kept = out.slice(0, -1);
            expect(text.startsWith(kept)).toBe(true);
            expect(out.length).toBeLessThanOrEqual(max + 1);
          } else {
            expect(text.startsWith(out)).toBe(true);
            // Whole text, or cut right before white space (never inside a word).
            expect(out === text || /\s/u.test(text.charAt(out.length))).toBe(true);
          }
        },
      ),
    );
  });
});

describe('the view of a paper', () => {
  it('shows a few authors, then et al.; four read in full', () => {
    expect(formatAuthors(['A', 'B', 'C', 'D'])).toBe('A, B, C, D');
    expect(formatAuthors(['A', 'B', 'C', 'D', 'E'])).toBe('A, B, C et al.');
    const many = Array.from({ length: 3000 }, (_, i) => `Author ${i}`);
    expect(digestOf([withFields('1', { authors: many })]).papers[0]?.authors).toBe(
      'Author 0, Author 1, Author 2 et al.',
    );
    expect(formatAuthors([`Name ${'x'.repeat(500)}`]).length).toBeLessThanOrEqual(61);
  });

  it('keeps only https links; javascript:, data:, http: and credentials never become links', () => {
    const view = digestOf([
      withFields('1', {
        links: {
          abstract: 'javascript:alert(1)',
          pdf: 'data:text/html,<script>alert(1)</script>',
          code: 'http://github.com/x/y',
          project: 'https://user:pass@evil.example/',
          thumbnail: 'javascript:alert(2)',
          doi: 'https://doi.org/10.1/x',
        },
      }),
      withFields('2', {
        links: {
          abstract: 'https://arxiv.org/abs/2',
          pdf: 'https://arxiv.org/pdf/2',
          code: 'https://github.com/x/y',
          project: 'https://example.org/proj "quoted"',
          thumbnail: 'http://example.org/t.png',
        },
        signals: { observedAt: NOW.toISOString(), stars: 1234 },
      }),
    ]);
    const [hostile, good] = view.papers;
    expect(hostile?.links).toEqual([{ text: 'DOI', url: 'https://doi.org/10.1/x' }]);
    expect(hostile?.url).toBe('https://doi.org/10.1/x');
    expect(hostile?.thumbnail).toBeUndefined();
    expect(good?.links).toEqual([
      { text: 'arXiv', url: 'https://arxiv.org/abs/2' },
      { text: 'PDF', url: 'https://arxiv.org/pdf/2' },
      { text: 'Code ★ 1.2k', url: 'https://github.com/x/y' },
      // Normalized: a quote or a space cannot end the attribute, even before escaping.
      { text: 'Project page', url: 'https://example.org/proj%20%22quoted%22' },
    ]);
    expect(good?.thumbnail).toBeUndefined();
  });

  it('leaves out a link of more than 200 characters, and keeps one of 200', () => {
    const at = (length: number, path: string) => {
      const base = `https://example.org/${path}/`;
      return base + 'x'.repeat(length - base.length);
    };
    const view = digestOf([
      withFields('1', {
        links: {
          abstract: at(201, 'abs'),
          pdf: at(200, 'pdf'),
          code: at(5000, 'code'),
          thumbnail: at(201, 'thumb'),
        },
      }),
    ]);
    expect(view.papers[0]?.links).toEqual([{ text: 'PDF', url: at(200, 'pdf') }]);
    expect(view.papers[0]?.url).toBe(at(200, 'pdf'));
    expect(view.papers[0]?.thumbnail).toBeUndefined();
    expect(renderDigestText(view)).not.toContain(at(201, 'abs'));
  });

  it('gives a few reasons, each of a sensible length', () => {
    const [entry] = rankTrending([paper('1', 1)], NOW);
    if (!entry) throw new Error('not ranked');
    const view = buildDigestView(
      { date: '2026-11-26', mode: 'daily' },
      [
        {
          entry,
          reasons: [
            `by ${'Name '.repeat(100)}, whom you follow`,
            ...Array.from({ length: 9 }, (_, i) => `r${i}`),
          ],
        },
      ],
      context,
    );
    const reasons = view.papers[0]?.reasons ?? [];
    expect(reasons).toHaveLength(6);
    expect(reasons[0]?.length).toBeLessThanOrEqual(101);
    expect(reasons[0]?.endsWith('…')).toBe(true);
    expect(reasons.slice(1)).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
  });

  it('a paper with no safe link has no page link at all', () => {
    const view = digestOf([withFields('1', { links: { abstract: 'javascript:alert(1)' } })]);
    expect(view.papers[0]?.url).toBe('');
    expect(view.papers[0]?.links).toEqual([]);
  });

  it('shows the https thumbnail with an alt text that names the paper', () => {
    const view = digestOf([
      withFields('1', { title: 'Sparse Heads', links: { thumbnail: 'https://cdn.example.org/t/1.png' } }),
    ]);
    expect(view.papers[0]?.thumbnail).toEqual({
      url: 'https://cdn.example.org/t/1.png',
      alt: 'Preview of the paper “Sparse Heads”',
    });
  });

  it('shows a few keywords, each once and of a sensible length', () => {
    const view = digestOf([
      withFields('1', {
        keywords: ['RAG', 'rag', 'speech', 'a\nb', `long ${'y'.repeat(100)}`, 'x', 'y', 'z'],
      }),
    ]);
    expect(view.papers[0]?.keywords).toEqual(['RAG', 'speech', 'a b', `long ${'y'.repeat(35)}…`, 'x']);
  });

  it('counts stars the short way', () => {
    expect([59, 999, 1000, 1234, 9999, 12_345, 999_999, 1_250_000].map(formatCount)).toEqual([
      '59',
      '999',
      '1k',
      '1.2k',
      '9.9k',
      '12k',
      '999k',
      '1.2M',
    ]);
  });
});

describe('the digest view', () => {
  it('sums the day up in one line: how many papers, and the top title cut at a word', () => {
    const top = 'Sparse Retrieval Heads for Long-Context Question Answering in Enormous Document Collections';
    const papers = Array.from({ length: 12 }, (_, i) =>
      withFields(String(i), { title: i === 0 ? top : `P${i}` }),
    );
    const view = digestOf(papers);
    expect(view.summary).toBe(
      "12 new papers; today's top: Sparse Retrieval Heads for Long-Context Question Answering in…",
    );
    expect(view.preheader).toMatch(/^Sparse Retrieval Heads .* — and 11 more trending papers$/u);
    expect(view.heading).toBe('Trending papers');
    expect(view.dateLabel).toBe('Thursday, 26 November 2026');
    expect(view.subject).toBe('Trending papers for 2026-11-26');
    expect(digestOf([withFields('1', { title: 'Only one' })]).summary).toBe(
      "1 new paper; today's top: Only one",
    );
    const week = digestOf(papers.slice(0, 3), 'week');
    expect(week.subject).toBe("The week's best papers, 2026-11-26");
    expect(week.summary).toMatch(/^3 papers from the week; the week's top: Sparse/u);
    expect(buildDigestView({ date: '2026-11-26', mode: 'daily' }, [], context).summary).toBe(
      'No new papers today.',
    );
  });

  it("keeps the digest's own links https (plain http only to this machine) and the postal address", () => {
    const view = digestOf([paper('1', 1)], 'daily', {
      webViewUrl: 'http://evil.example/editions/x',
      footerLinks: [
        { text: 'Preferences', url: 'http://127.0.0.1:3000/preferences?token=p' },
        { text: 'Evil', url: 'javascript:alert(1)' },
        { text: 'Unsubscribe\r\nBcc: x', url: 'https://papers.example.org/unsubscribe?token=u' },
      ],
      postalAddress: 'Paperboy,\n1 Example Street',
    });
    expect(view.webViewUrl).toBe('');
    expect(view.footerLinks).toEqual([
      { text: 'Preferences', url: 'http://127.0.0.1:3000/preferences?token=p' },
      { text: 'Unsubscribe Bcc: x', url: 'https://papers.example.org/unsubscribe?token=u' },
    ]);
    expect(view.postalAddress).toBe('Paperboy, 1 Example Street');
  });

  it('names the day for people, and leaves a malformed date as it is', () => {
    expect(dateLabel('2027-01-01')).toBe('Friday, 1 January 2027');
    expect(dateLabel('2026-02-30')).toBe('2026-02-30');
    expect(dateLabel('soon')).toBe('soon');
    expect(cutAtWord('abcdefghij', 5)).toBe('abcde…');
  });
});

describe('the plain-text part', () => {
  it('holds every paper (rank, title, authors, TL;DR, why, links), the footer links and the postal address', () => {
    const view = digestOf([
      withFields('1', {
        title: 'First paper',
        authors: ['Ada', 'Bob'],
        aiSummary: 'It works.',
        keywords: ['rag'],
        links: { abstract: 'https://arxiv.org/abs/1', code: 'https://github.com/a/b' },
        signals: { observedAt: NOW.toISOString(), stars: 59 },
      }),
      withFields('2', { title: 'Second paper', abstract: 'Two.' }),
    ]);
    const text = renderDigestText(view);
    expect(text).toContain(
      '1. First paper\n   Ada, Bob\n   TL;DR: It works.\n   Keywords: rag\n   Why: ★ 59',
    );
    expect(text).toContain('   arXiv: https://arxiv.org/abs/1\n   Code ★ 59: https://github.com/a/b\n');
    expect(text).toContain('2. Second paper\n   A. Author\n   TL;DR: Two.\n');
    expect(text).toContain('   arXiv: https://arxiv.org/abs/2\n');
    expect(text).toContain('View in your browser: https://papers.example.org/editions/2026-11-26\n');
    expect(text).toContain('Preferences: https://papers.example.org/preferences?token=p\n');
    expect(text).toContain('Unsubscribe: https://papers.example.org/unsubscribe?token=u\n');
    expect(text.endsWith('Paperboy, 1 Example Street, 00000 Exampletown\n')).toBe(true);
    // No postal address: no line for it, empty or not.
    const without = renderDigestText(digestOf([paper('1', 1)], 'daily', { ...context, postalAddress: '' }));
    expect(
      without.endsWith("You get this email because you subscribed to Paperboy's trending papers.\n"),
    ).toBe(true);
  });
});

describe('hostile values', () => {
  let renderer: HtmlDigestRenderer;
  beforeAll(async () => {
    renderer = new HtmlDigestRenderer(await compileTemplates());
  });

  const hostile = withFields('1', {
    title: 'Evil <script>window.__pwned=1</script>\r\nUnsubscribe: https://evil.example/',
    authors: ['"><img src=x onerror=alert(1)>', 'B\nUnsubscribe: https://evil.example/'],
    abstract: 'It\'s <b>bold</b> & "quoted".\nUnsubscribe: https://evil.example/',
    keywords: ['<i>k</i>', 'k\r\nUnsubscribe: https://evil.example/'],
    links: { abstract: 'https://arxiv.org/abs/1?a="><script>alert(1)</script>', pdf: 'javascript:alert(1)' },
  });

  it('are inert in the HTML: escaped text, no script, no handler, only https links', () => {
    const html = renderer.renderDigest(digestOf([hostile]));
    expect(html).not.toMatch(/<script|<img src=x|<b>bold|<i>k/iu);
    expect(html).toContain(
      'Evil &lt;script&gt;window.__pwned=1&lt;/script&gt; Unsubscribe: https://evil.example/',
    );
    expect(html).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('It&#39;s &lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot;.');
    expect(html).toContain('href="https://arxiv.org/abs/1?a=%22%3E%3Cscript%3Ealert(1)%3C/script%3E"');
    expect(html).not.toContain('javascript:');
  });

  it('cannot start a line of their own in the text part', () => {
    const text = renderDigestText(digestOf([hostile]));
    expect(text).not.toContain('\r');
    expect(text.split('\n').filter((line) => line.startsWith('Unsubscribe:'))).toEqual([
      'Unsubscribe: https://papers.example.org/unsubscribe?token=u',
    ]);
    expect(text).not.toContain('javascript:');
    // Even a view built by hand with line breaks and unsafe links.
    const view = digestOf([paper('1', 1)]);
    const forged = renderDigestText({
      ...view,
      summary: 'x\nUnsubscribe: https://evil.example/',
      papers: [
        {
          ...(view.papers[0] as (typeof view.papers)[number]),
          title: 'A\r\nUnsubscribe: https://evil.example/',
          links: [{ text: 'PDF\nUnsubscribe', url: 'javascript:alert(1)' }],
          reasons: ['matches “speech\nUnsubscribe: https://evil.example/”'],
        },
      ],
    });
    expect(forged.split('\n').filter((line) => line.startsWith('Unsubscribe'))).toEqual([
      'Unsubscribe: https://papers.example.org/unsubscribe?token=u',
    ]);
    expect(forged).not.toContain('javascript:');
  });
});
