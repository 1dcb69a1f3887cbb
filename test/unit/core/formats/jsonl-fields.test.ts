import { describe, expect, it } from 'vitest';
import { collectPapers } from '../../../../functions/core/formats/open-papers.ts';
import { chunked } from '../../../support/text.ts';

const observedAt = '2026-11-27T06:00:00.000Z';
const parse = (lines: unknown[]) =>
  collectPapers(
    chunked(`${lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n')}\n`, 7),
    {
      observedAt,
    },
  );
const paper = { id: '2611.10222', title: 'A paper', publishedAt: '2026-11-26T00:00:00Z' };

describe('JSON Lines: what a line may set', () => {
  it('a line that sets canonicalId is rejected naming the field: it would hide a stored paper from editions', async () => {
    const { papers, rejects } = await parse([
      { ...paper, canonicalId: 'hidden' },
      { ...paper, id: '2611.10223', canonicalId: '2611.10222' },
      // The reviewer's raw line break inside the value changes nothing.
      `{"id":"2611.10224","title":"T","publishedAt":"2026-11-26T00:00:00Z","canonicalId":"x\\ny"}`,
      { ...paper, id: '2611.10225', canonicalId: null },
      { ...paper, id: '2611.10226' },
    ]);
    expect(papers.map((p) => p.id)).toEqual(['2611.10226']);
    expect(papers[0]).not.toHaveProperty('canonicalId');
    expect(rejects).toEqual(
      [0, 1, 2, 3].map((index) => ({
        index,
        field: 'canonicalId',
        reason: 'canonicalId is set by de-duplication, never by a file: remove it from the line',
      })),
    );
  });

  it("the source is always the format's own: a line cannot pass for the arXiv API", async () => {
    const { papers, rejects } = await parse([
      { ...paper, source: 'arxiv-api' },
      { ...paper, id: '2611.10223', source: 'page-dump' },
      { ...paper, id: '2611.10224', source: 'anything' },
    ]);
    expect(rejects).toEqual([]);
    expect(papers.map((p) => p.source)).toEqual(['jsonl', 'jsonl', 'jsonl']);
  });

  it('sourceRank is not read: a line is on no trending page ("#1 on the trending page")', async () => {
    const { papers, rejects } = await parse([
      { ...paper, sourceRank: 0 },
      { ...paper, id: '2611.10223', sourceRank: -5 },
    ]);
    expect(rejects).toEqual([]);
    for (const p of papers) expect(p).not.toHaveProperty('sourceRank');
  });

  it("a paper's own description still passes through: version, arXiv fields, summary, signals", async () => {
    const { papers, rejects } = await parse([
      {
        ...paper,
        id: '2611.10222v3',
        announceType: 'replace',
        primaryCategory: 'cs.LG',
        categories: ['cs.LG', 'cs.AI'],
        keywords: ['k'],
        aiSummary: 'S',
        organization: 'O',
        journalRef: 'J',
        comment: 'C',
        links: { code: 'https://github.com/a/b' },
        signals: { upvotes: 4, stars: 2, comments: 1 },
      },
    ]);
    expect(rejects).toEqual([]);
    expect(papers[0]).toMatchObject({
      id: '2611.10222',
      version: 3,
      announceType: 'replace',
      primaryCategory: 'cs.LG',
      categories: ['cs.LG', 'cs.AI'],
      aiSummary: 'S',
      links: { code: 'https://github.com/a/b' },
      signals: { upvotes: 4, stars: 2, comments: 1, observedAt },
      source: 'jsonl',
    });
  });

  it('`paperboy parse` output of any format reads back as JSON Lines', async () => {
    const printed = {
      id: 't-0123456789abcdef',
      title: 'Listed paper',
      abstract: 'A',
      authors: [],
      publishedAt: '2026-11-26T06:00:00.000Z',
      source: 'page-dump',
      links: {},
      keywords: [],
      categories: [],
      sourceRank: 3,
      signals: { observedAt: '2026-11-26T06:00:00.000Z' },
    };
    const { papers, rejects } = await parse([printed]);
    expect(rejects).toEqual([]);
    expect(papers[0]).toMatchObject({ id: printed.id, source: 'jsonl' });
    expect(papers[0]).not.toHaveProperty('sourceRank');
  });
});

describe('paper ids: a whitelist of characters, checked not cleaned', () => {
  it("the reviewer's forged id is rejected, naming the record, the field and the character", async () => {
    const { papers, rejects } = await parse([
      { ...paper, id: 'fake\n  2. INJECTED LINE\rX' },
      { ...paper, id: '2611.10223' },
    ]);
    expect(papers.map((p) => p.id)).toEqual(['2611.10223']);
    expect(rejects).toEqual([
      {
        index: 0,
        field: 'id',
        reason:
          'the id holds U+000A at character 5: an id is letters, digits and . _ ~ - / : ( ) ; + ? = & % only (an arXiv id, a DOI, a web address)',
      },
    ]);
  });

  it.each([
    ['a tab', 'a\tb', 'U+0009'],
    ['a carriage return', 'a\rb', 'U+000D'],
    ['a line separator', 'a\u2028b', 'U+2028'],
    ['a paragraph separator', 'a\u2029b', 'U+2029'],
    ['a space', 'a b', 'U+0020'],
    ['a no-break space', 'a\u00a0b', 'U+00A0'],
    ['a bidi override', 'a\u202eb', 'U+202E'],
    ['a zero-width space', 'a\u200bb', 'U+200B'],
    ['a Cyrillic look-alike', '2611.1022\u0430', 'U+0430'],
    ['an escape', 'a\u001b]0;x', 'U+001B'],
    ['a quote', 'a"b', 'U+0022'],
    ['an angle bracket', 'a<b', '"<" (U+003C)'],
    ['a key separator', 'a#b', '"#" (U+0023)'],
    ['an emoji', 'a\u{1f600}', 'U+1F600'],
  ])('an id with %s is rejected', async (_name, id, named) => {
    const { papers, rejects } = await parse([{ ...paper, id }]);
    expect(papers).toEqual([]);
    expect(rejects).toEqual([
      { index: 0, field: 'id', reason: expect.stringContaining(`holds ${named} at`) },
    ]);
  });

  it('ids as real sources write them are kept as they are', async () => {
    const ids = [
      'hep-th/9901001',
      'math.AG/0101001',
      '10.1103/PhysRevB.85.115117',
      '10.1145/3395363.3397376',
      '10.1002/(SICI)1097-4636(199706)35;2-P',
      'https://openreview.net/forum?id=AbC_1-x',
      'https://example.org/papers/a%20b',
      'ACL2026.main~12',
      't-0123456789abcdef',
    ];
    const { papers, rejects } = await parse(ids.map((id, i) => ({ ...paper, id, title: `Paper ${i}` })));
    expect(rejects).toEqual([]);
    expect(papers.map((p) => p.id)).toEqual(ids);
  });

  it('an id must start with a letter or a digit, and be at most 64 characters', async () => {
    const { rejects } = await parse([
      { ...paper, id: '-rf' },
      { ...paper, id: '/etc/passwd' },
      { ...paper, id: 'x'.repeat(65) },
      { ...paper, id: '' },
    ]);
    expect(rejects.map((r) => [r.index, r.field, r.reason])).toEqual([
      [0, 'id', 'the id must start with a letter or a digit'],
      [1, 'id', 'the id must start with a letter or a digit'],
      [2, 'id', 'the id is longer than 64 characters'],
      [3, 'id', 'the id is empty'],
    ]);
  });

  it('arXiv ids with a version or a prefix still become the bare id', async () => {
    const { papers } = await parse([
      { ...paper, id: 'arXiv:2611.10222v2' },
      { ...paper, id: '2611.10223', title: 'Other' },
    ]);
    expect(papers.map((p) => [p.id, p.version])).toEqual([
      ['2611.10222', 2],
      ['2611.10223', undefined],
    ]);
  });
});
