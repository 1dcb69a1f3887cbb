import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UnreadableFileError } from '../../../../functions/core/errors.ts';
import { isoOrRaw } from '../../../../functions/core/formats/arxiv-atom.ts';
import { splitAuthors } from '../../../../functions/core/formats/arxiv-rss.ts';
import { collectPapers, detectFormat } from '../../../../functions/core/formats/open-papers.ts';
import { splitJsonArray, splitLines } from '../../../../functions/core/formats/split.ts';
import { chunked } from '../../../support/text.ts';

const observedAt = '2026-11-27T06:00:00.000Z';
const parse = (text: string, chunk = 16) => collectPapers(chunked(text, chunk), { observedAt });
const collect = async <T>(source: AsyncIterable<T>) => {
  const out: T[] = [];
  for await (const value of source) out.push(value);
  return out;
};

const hfItem = (id: string, extra: Record<string, unknown> = {}) => ({
  paper: {
    id,
    title: `Paper ${id}`,
    summary: 'An abstract.',
    authors: [{ name: 'A. B' }],
    publishedAt: '2026-11-20T00:00:00.000Z',
    ...extra,
  },
  numComments: 1,
});

describe('detectFormat: from the content, never the name', () => {
  it.each([
    ['  [{"paper":{}}]', 'hf-daily'],
    ['\uFEFF{"id":"1"}\n', 'jsonl'],
    ['<?xml version="1.0"?>\n<!-- c --><feed xmlns="http://www.w3.org/2005/Atom">', 'arxiv-api'],
    ['<?xml version="1.0"?><rss version="2.0">', 'arxiv-rss'],
    ['Get trending papers\nA title\nAn abstract', 'page-dump'],
  ])('%j → %s', (head, format) => {
    expect(detectFormat(head)).toBe(format);
  });

  it('refuses empty files, binary data and unknown XML', () => {
    expect(() => detectFormat('   ')).toThrow('the file is empty');
    expect(() => detectFormat('PK\u0003\u0004binary')).toThrow('binary data');
    expect(() => detectFormat('<html><body>')).toThrow('root <html> is not a supported format');
  });
});

describe('splitJsonArray', () => {
  const texts = async (source: ReturnType<typeof splitJsonArray>) =>
    (await collect(source)).map((e) => ('text' in e ? e.text : e.refused));

  it('cuts elements at the top level only, across any chunk boundary, strings with brackets included', async () => {
    const text = '[ {"a":"x],\\"}"}, [1,[2]] ,"s,t" , 3 ]';
    for (const size of [1, 2, 5, 100]) {
      expect(await texts(splitJsonArray(chunked(text, size)))).toEqual([
        '{"a":"x],\\"}"}',
        '[1,[2]]',
        '"s,t"',
        '3',
      ]);
    }
    expect((await collect(splitJsonArray(chunked(text, 3)))).map((e) => [e.index, e.offset])).toEqual([
      [0, text.indexOf('{')],
      [1, text.indexOf('[1')],
      [2, text.indexOf('"s,t"')],
      [3, text.indexOf('3 ]')],
    ]);
  });

  it('says where a truncated array ends', async () => {
    await expect(collect(splitJsonArray(chunked('[{"a":1},{"b":', 3)))).rejects.toThrow(
      'inside element 1 (truncated file?)',
    );
    await expect(collect(splitJsonArray(chunked('[1] x')))).rejects.toThrow('after the end');
  });

  it('splits lines across chunks, CRLF included, numbering them', async () => {
    expect(await collect(splitLines(chunked('a\r\nbb\n\nccc', 2)))).toEqual([
      { number: 1, offset: 0, text: 'a' },
      { number: 2, offset: 3, text: 'bb' },
      { number: 3, offset: 6, text: '' },
      { number: 4, offset: 7, text: 'ccc' },
    ]);
  });
});

describe('HF daily papers', () => {
  it('keeps every good item of a partly bad file, and names the bad one by index and field', async () => {
    const text = `[${JSON.stringify(hfItem('2611.00001'))}, {"paper": nonsense}, ${JSON.stringify(hfItem('2611.00003', { title: '' }))}, ${JSON.stringify(hfItem('2611.00004v3'))}]`;
    const { papers, rejects } = await parse(text);
    expect(papers.map((p) => [p.id, p.version])).toEqual([
      ['2611.00001', undefined],
      ['2611.00004', 3],
    ]);
    expect(rejects).toEqual([
      { index: 1, field: '(root)', reason: expect.stringContaining('not valid JSON') },
      { index: 2, field: 'paper.title', reason: 'title is empty' },
    ]);
  });

  it('gives a paper with no arXiv id a stable id from its title', async () => {
    const { papers } = await parse(JSON.stringify([hfItem('not-arxiv', { title: 'My  Paper!' })]));
    const again = await parse(JSON.stringify([hfItem('other', { title: 'my paper' })]));
    expect(papers[0]?.id).toMatch(/^t-[0-9a-f]{16}$/u);
    expect(again.papers[0]?.id).toBe(papers[0]?.id);
  });
});

describe('JSON Lines of Paperboy papers', () => {
  it('reads exports, derives missing ids and observation times, and rejects bad lines by index', async () => {
    const lines = [
      JSON.stringify({
        id: '2611.00001v2',
        title: 'One',
        abstract: 'A',
        authors: ['X'],
        publishedAt: '2026-11-20T00:00:00Z',
        source: 'hf-daily',
        signals: { upvotes: 3 },
      }),
      '{oops',
      JSON.stringify({ title: 'Two &amp; more', publishedAt: '2026-11-21T00:00:00Z' }),
      JSON.stringify({ title: 'Three', publishedAt: 'yesterday' }),
    ].join('\n');
    const { format, papers, rejects } = await parse(lines, 5);
    expect(format).toBe('jsonl');
    // The source is the format's own, whatever the line says (a `paperboy parse` line says where
    // the paper was first read from).
    expect(papers[0]).toMatchObject({
      id: '2611.00001',
      version: 2,
      source: 'jsonl',
      signals: { upvotes: 3, observedAt },
    });
    expect(papers[1]).toMatchObject({
      title: 'Two & more',
      source: 'jsonl',
      id: expect.stringMatching(/^t-/u),
    });
    expect(rejects.map((r) => [r.index, r.field])).toEqual([
      [1, '(root)'],
      [3, 'publishedAt'],
    ]);
  });
});

describe('arXiv feeds', () => {
  const atom = (entries: string) =>
    `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom" xmlns:a="http://arxiv.org/schemas/atom">${entries}</feed>`;
  const entry = (id: string, title: string) =>
    `<entry><id>http://arxiv.org/abs/${id}</id><title>${title}</title><summary>S</summary><published>2026-01-02T00:00:00Z</published><author><name>N</name><a:affiliation>Uni</a:affiliation></author></entry>`;

  it('reads names by namespace URI, whatever the prefix, and keeps affiliations out of names', async () => {
    const { papers } = await parse(atom(entry('2601.00001v1', 'A &amp; B')));
    expect(papers[0]).toMatchObject({ id: '2601.00001', title: 'A & B', authors: ['N'] });
  });

  it('rejects an entry without a title, keeps the others', async () => {
    const { papers, rejects } = await parse(atom(entry('2601.00001', '') + entry('2601.00002', 'Ok')));
    expect(papers.map((p) => p.id)).toEqual(['2601.00002']);
    expect(rejects).toEqual([{ index: 0, field: 'title', reason: 'title is empty' }]);
  });

  it('refuses entity expansion (billion laughs) and malformed or truncated XML', async () => {
    const bomb = `<?xml version="1.0"?><!DOCTYPE feed [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>${atom(entry('2601.00001', '&b;'))}`;
    await expect(parse(bomb)).rejects.toThrow('entity expansion is refused');
    await expect(parse(atom(entry('2601.00001', 'x')).slice(0, -20))).rejects.toThrow(UnreadableFileError);
  });

  it('splits RSS creators', () => {
    expect(splitAuthors('A. One, B. Two, and C. Three')).toEqual(['A. One', 'B. Two', 'C. Three']);
    expect(splitAuthors('A. One and B. Two')).toEqual(['A. One', 'B. Two']);
  });
});

describe('page dump', () => {
  const abstract = (n: number) =>
    `This is the abstract of paper ${n}, long enough to read like a paragraph of a real paper.`;

  it('reports a dump whose lines do not pair up, naming the line, instead of guessing', async () => {
    const text = [
      'Get trending papers in your email inbox!',
      'SubscribeTitle one',
      abstract(1),
      'Title two',
      'Title three',
      abstract(3),
    ].join('\n');
    await expect(parse(text)).rejects.toThrow(/line 5 should be the abstract of "Title two"/u);
    await expect(parse(['Title one', abstract(1), 'Title two'].join('\n'))).rejects.toThrow(
      /ends with a title and no abstract/u,
    );
  });
});

describe('properties', () => {
  const validLine = JSON.stringify(hfItem('2611.12345'));

  it('random, truncated and garbled input never throws anything but UnreadableFileError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 300 }), fc.integer({ min: 1, max: 50 }), async (text, size) => {
        try {
          await parse(text, size);
          return true;
        } catch (error) {
          return error instanceof UnreadableFileError;
        }
      }),
      { numRuns: 300 },
    );
  });

  // Elements may be any JSON or broken JSON with balanced brackets; an unbalanced one is a truncated array.
  it('never loses a valid record that is present, whatever else the array holds', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.constant('VALID'),
            fc.jsonValue().map((v) => JSON.stringify(v) ?? 'null'),
            fc.constant('{"paper": nope}'),
          ),
          {
            maxLength: 20,
          },
        ),
        fc.integer({ min: 1, max: 40 }),
        async (elements, size) => {
          const text = `[${elements.map((e) => (e === 'VALID' ? validLine : e)).join(',')}]`;
          const { papers, rejects } = await parse(text, size);
          const valid = elements.filter((e) => e === 'VALID').length;
          const recordCount = papers.length + new Set(rejects.map((r) => r.index)).size;
          return (
            papers.filter((p) => p.id === '2611.12345').length >= valid && recordCount === elements.length
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a truncated daily papers file keeps the records before the cut, then fails as a file', async () => {
    const text = `[${[1, 2, 3].map((n) => JSON.stringify(hfItem(`2611.0000${n}`))).join(',')}]`;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: text.length - 1 }), async (cut) => {
        try {
          await parse(text.slice(0, cut));
          return false;
        } catch (error) {
          return error instanceof UnreadableFileError;
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe('feed dates', () => {
  it('reads ISO 8601 and RFC 822 dates as UTC instants', () => {
    expect(isoOrRaw('2026-11-26T17:00:00Z')).toBe('2026-11-26T17:00:00.000Z');
    expect(isoOrRaw('Thu, 26 Nov 2026 00:00:00 -0500')).toBe('2026-11-26T05:00:00.000Z');
  });

  it('keeps an impossible day as written (Date.parse would roll it over), so the record is rejected', () => {
    expect(isoOrRaw('2026-02-30T00:00:00Z')).toBe('2026-02-30T00:00:00Z');
    expect(isoOrRaw('Mon, 30 Feb 2026 00:00:00 GMT')).toBe('Mon, 30 Feb 2026 00:00:00 GMT');
    expect(isoOrRaw('2028-02-29T00:00:00Z')).toBe('2028-02-29T00:00:00.000Z');
  });

  it('never turns a date that names no calendar day into another day (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1970, max: 2400 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 31 }),
        (y, m, d) => {
          const text = `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}T12:00:00Z`;
          const out = isoOrRaw(text);
          // Either the same day, or the input untouched.
          expect(out === text || out.startsWith(text.slice(0, 10))).toBe(true);
        },
      ),
    );
  });
});
