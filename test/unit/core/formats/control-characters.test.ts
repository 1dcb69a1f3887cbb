import { describe, expect, it } from 'vitest';
import { collectPapers } from '../../../../functions/core/formats/open-papers.ts';
import type { Paper } from '../../../../functions/core/paper.ts';
import { PaperSchema } from '../../../../functions/core/paper.ts';
import { chunked } from '../../../support/text.ts';

const observedAt = '2026-11-27T06:00:00.000Z';
const parse = (text: string) => collectPapers(chunked(text, 7), { observedAt });

// Terminal escapes (retitle the window, hide text), a bell, NUL, DEL, C1 controls (CSI, OSC,
// NEL) and bidi overrides and isolates: each must be gone from every paper field.
const ESC = '\u001b';
const BEL = '\u0007';
const hostile = (word: string) =>
  `${word}${ESC}]0;evil${BEL} ${ESC}[8m\u0000hid\u007fden\u009b31m\u009d2;x\u0085 \u202egnp.exe\u202c \u2066iso\u2069`;
const clean = (word: string) => `${word}]0;evil [8mhidden31m2;x gnp.exe iso`;

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;

/** Every string inside a paper, with where it is. */
function strings(value: unknown, path = ''): [string, string][] {
  if (typeof value === 'string') return [[path, value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => strings(v, `${path}[${i}]`));
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => strings(v, path ? `${path}.${k}` : k));
  return [];
}

function expectClean(papers: Paper[]): void {
  expect(papers.length).toBeGreaterThan(0);
  for (const paper of papers) {
    const dirty = strings(paper).filter(([, text]) => CONTROL.test(text) || text.includes('\t'));
    expect(dirty).toEqual([]);
  }
}

describe('control characters from outside are removed, in every format', () => {
  it('daily papers JSON: title, abstract, authors, keywords, AI summary, organization', async () => {
    const item = {
      paper: {
        id: '2611.00001',
        title: hostile('Title'),
        summary: hostile('Abstract'),
        authors: [{ name: hostile('Ann') }, { name: `${ESC}${BEL}\u202e` }],
        publishedAt: '2026-11-20T00:00:00.000Z',
        ai_summary: hostile('Summary'),
        ai_keywords: [hostile('kw'), `${ESC}`],
        organization: { fullname: hostile('Org'), name: 'org' },
      },
    };
    const { papers, rejects } = await parse(JSON.stringify([item]));
    expect(rejects).toEqual([]);
    expect(papers[0]).toMatchObject({
      title: clean('Title'),
      abstract: clean('Abstract'),
      authors: [clean('Ann')],
      aiSummary: clean('Summary'),
      keywords: [clean('kw')],
      organization: clean('Org'),
    });
    expectClean(papers);
  });

  it('JSON Lines: every text field, those passed through as written included', async () => {
    const line = JSON.stringify({
      id: '2611.00002',
      title: hostile('Title'),
      abstract: hostile('Abstract'),
      authors: [hostile('Ann')],
      publishedAt: '2026-11-20T00:00:00Z',
      keywords: [hostile('kw')],
      categories: [hostile('cs.LG')],
      primaryCategory: hostile('cs.LG'),
      aiSummary: hostile('Summary'),
      organization: hostile('Org'),
      journalRef: hostile('J. Ref'),
      comment: hostile('10 pages'),
      links: { code: `https://github.com/a/b${ESC}[8m` },
    });
    const { papers, rejects } = await parse(`${line}\n`);
    expect(rejects).toEqual([]);
    expect(papers[0]).toMatchObject({
      title: clean('Title'),
      keywords: [clean('kw')],
      categories: [clean('cs.LG')],
      primaryCategory: clean('cs.LG'),
      journalRef: clean('J. Ref'),
      comment: clean('10 pages'),
    });
    expectClean(papers);
  });

  it('arXiv Atom: C1 controls and bidi characters in text and attributes, escapes hidden behind entities', async () => {
    // XML 1.0 forbids C0 controls outright; they arrive entity-encoded twice instead.
    const dirty = (word: string) =>
      `${word}&amp;#x1b;]0;evil&amp;#7; &amp;#27;[8m\u007fhid\u009bden \u202egnp\u202c \u2066iso\u2069`;
    const text = `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom"><entry><id>http://arxiv.org/abs/2611.00003v1</id><title>${dirty('Title')}</title><summary>${dirty('Abstract')}</summary><published>2026-11-20T00:00:00Z</published><author><name>${dirty('Ann')}</name></author><category term="cs.LG\u009b"/><arxiv:primary_category term="\u202ecs.LG"/><arxiv:comment>${dirty('10 pages')}</arxiv:comment><arxiv:journal_ref>${dirty('J')}</arxiv:journal_ref><arxiv:doi>10.1/x\u009b</arxiv:doi></entry></feed>`;
    const { papers, rejects } = await parse(text);
    expect(rejects).toEqual([]);
    expect(papers[0]).toMatchObject({
      title: 'Title]0;evil [8mhidden gnp iso',
      categories: ['cs.LG'],
      primaryCategory: 'cs.LG',
    });
    expect(papers[0]?.links.doi).toBe('https://doi.org/10.1/x%C2%9B');
    expectClean(papers);
  });

  it('arXiv Atom: a raw C0 control is not XML: the file is refused, and the reason holds no control character', async () => {
    const text = `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><entry><title>a${ESC}]0;x${BEL}</title></entry></feed>`;
    const error = await parse(text).catch((e: Error) => e);
    expect(error).toMatchObject({ name: 'UnreadableFileError' });
    expect(CONTROL.test((error as Error).message)).toBe(false);
  });

  it('arXiv RSS: title, description, creators, categories, comment', async () => {
    const dirty = (word: string) => `${word}&amp;#x1b;[8m\u009b31m \u202egnp\u202c`;
    const text = `<?xml version="1.0"?><rss version="2.0" xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><item><title>${dirty('Title')}</title><description>arXiv:2611.00004v1 Announce Type: new Abstract: ${dirty('Abstract')}</description><guid>oai:arXiv.org:2611.00004v1</guid><category>${dirty('cs.LG')}</category><pubDate>Thu, 24 Sep 2026 00:00:00 -0400</pubDate><dc:creator>${dirty('Ann')}, ${dirty('Bob')}</dc:creator><arxiv:comment>${dirty('c')}</arxiv:comment></item></channel></rss>`;
    const { papers, rejects } = await parse(text);
    expect(rejects).toEqual([]);
    expect(papers[0]).toMatchObject({
      title: 'Title[8m31m gnp',
      authors: ['Ann[8m31m gnp', 'Bob[8m31m gnp'],
    });
    expectClean(papers);
  });

  describe('page dump: one rule wherever the character is', () => {
    const pair = (n: number) =>
      `Paper ${n} title\nThis is the abstract of paper ${n}, long enough to read like a paragraph of a real paper.\n`;
    const head = Array.from({ length: 60 }, (_, i) => pair(i)).join('');
    const longAbstract = 'This is the abstract of the paper with hostile characters, long enough to pass';

    it('DEL, C1 controls and bidi characters are text: removed, in the first 4 KB as later', async () => {
      const textual = (word: string) => `${word}\u007fhid\u009bden\u0085 \u202egnp.exe\u202c \u2066iso\u2069`;
      const cleanText = (word: string) => `${word}hidden gnp.exe iso`;
      expect(head.length).toBeGreaterThan(4096);
      for (const text of [
        `${textual('Title')}\n${textual(longAbstract)}\n${head}`,
        `${head}${textual('Title')}\n${textual(longAbstract)}\n`,
      ]) {
        const { papers } = await parse(text);
        expect(papers.map((p) => p.title)).toContain(cleanText('Title'));
        expectClean(papers);
      }
    });

    it('a raw C0 control (ESC, BEL, NUL) refuses the file as binary data, in the first 4 KB as later, naming where', async () => {
      // Before, one in the first 4 KB refused the file and the same one later was removed.
      const first = await parse(`${hostile('Title')}\n${longAbstract}\n${head}`).catch((e: Error) => e);
      expect(first).toMatchObject({ name: 'UnreadableFileError' });
      expect((first as Error).message).toBe(
        'the file holds binary data, not text: control character U+001B at line 1, column 6 (character 5)',
      );
      const later = await parse(`${head}${hostile('Title')}\n${longAbstract}\n`).catch((e: Error) => e);
      expect(later).toMatchObject({ name: 'UnreadableFileError' });
      expect((later as Error).message).toBe(
        `the file holds binary data, not text: control character U+001B at line 121, column 6 (character ${(head.length + 5).toLocaleString('en-US')})`,
      );
      const nul = await parse(`${head}Title\u0000\n${longAbstract}\n`).catch((e: Error) => e);
      expect((nul as Error).message).toMatch(/control character U\+0000 at line 121, column 6/u);
    });

    it('the papers before the character are handed over first, as for any file that breaks part-way', async () => {
      const { openPapers } = await import('../../../../functions/core/formats/open-papers.ts');
      const { records } = await openPapers(chunked(`${head}Title\u0007\n${longAbstract}\n`, 512), {
        observedAt,
      });
      let read = 0;
      const error = await (async () => {
        for await (const record of records) if ('paper' in record) read += 1;
      })().catch((e: Error) => e);
      expect(error).toMatchObject({ name: 'UnreadableFileError' });
      expect(read).toBe(60);
    });
  });

  it('JSON: a raw control is binary data wherever it is; an escaped one is text, and removed', async () => {
    const line = (n: number, title: string) =>
      `{"id":"2611.0000${n}","title":"${title}","publishedAt":"2026-11-20T00:00:00Z"}`;
    const many = Array.from({ length: 100 }, (_, i) => line(1, `Paper ${i}`)).join('\n');
    expect(many.length).toBeGreaterThan(4096);
    for (const text of [`${line(2, `A${ESC}B`)}\n${many}\n`, `${many}\n${line(2, `A${ESC}B`)}\n`]) {
      await expect(parse(text)).rejects.toThrow(/binary data, not text: control character U\+001B/u);
    }
    const { papers } = await parse(`${many}\n${line(2, 'A\\u001b[8mB')}\n`);
    expect(papers.at(-1)?.title).toBe('A[8mB');
  });

  it('the paper schema itself strips them, whichever parser built the paper', () => {
    const paper = PaperSchema.parse({
      id: '2611.00005',
      title: hostile('T'),
      abstract: '',
      authors: [],
      publishedAt: '2026-11-20T00:00:00Z',
      source: 'jsonl',
      links: { pdf: `https://arxiv.org/pdf/2611.00005${ESC}` },
      keywords: [`k${BEL}`],
      comment: `${ESC}[2Jc`,
      signals: { observedAt },
    });
    expect(paper).toMatchObject({ title: clean('T'), keywords: ['k'], comment: '[2Jc' });
    expect(paper.links.pdf).toBe('https://arxiv.org/pdf/2611.00005');
    // Stripping comes before the other checks: a title of control characters only is empty.
    expect(PaperSchema.safeParse({ ...paper, title: `${ESC}${BEL}` }).error?.issues[0]?.message).toBe(
      'title is empty',
    );
  });
});
