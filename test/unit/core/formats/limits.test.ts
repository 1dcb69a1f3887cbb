import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeText } from '../../../../functions/adapters/text-decoding.ts';
import { ConfigError, UnreadableFileError } from '../../../../functions/core/errors.ts';
import {
  defaultIngestLimits,
  type IngestLimits,
  ingestLimits,
  LimitExceededError,
} from '../../../../functions/core/formats/limits.ts';
import { collectPapers } from '../../../../functions/core/formats/open-papers.ts';
import type { Format } from '../../../../functions/core/formats/records.ts';
import { exceedsJsonDepth, splitJsonArray, splitLines } from '../../../../functions/core/formats/split.ts';
import { chunked } from '../../../support/text.ts';

const observedAt = '2026-11-27T06:00:00.000Z';
const MiB = 1024 ** 2;

const parse = (text: AsyncIterable<string> | string, limits?: Partial<IngestLimits>, format?: Format) =>
  collectPapers(typeof text === 'string' ? chunked(text, 4096) : text, {
    observedAt,
    ...(limits ? { limits } : {}),
    ...(format ? { format } : {}),
  });

/** The error a promise rejects with (the test fails if it resolves). */
async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure');
}

/**
 * Text of any length as a stream of pieces of one shared chunk, never one big string, counting
 * how many characters the consumer pulled: a parser that stops early pulls little.
 */
function stream(parts: (string | { repeat: string; chars: number })[], chunkChars = 64 * 1024) {
  const state = { pulled: 0 };
  async function* generate(): AsyncGenerator<string> {
    for (const part of parts) {
      if (typeof part === 'string') {
        state.pulled += part.length;
        yield part;
        continue;
      }
      const chunk = part.repeat.repeat(Math.ceil(chunkChars / part.repeat.length)).slice(0, chunkChars);
      for (let left = part.chars; left > 0; left -= chunk.length) {
        const piece = left >= chunk.length ? chunk : chunk.slice(0, left);
        state.pulled += piece.length;
        yield piece;
      }
    }
  }
  return { text: generate(), state };
}

// Records of each format, valid unless told otherwise.
const atomFeed = (entries: string) =>
  `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">${entries}</feed>`;
const atomEntry = (n: number, inner = '') =>
  `<entry><id>http://arxiv.org/abs/2611.0000${n}v1</id><title>Paper ${n}</title><summary>S</summary><published>2026-11-20T00:00:00Z</published>${inner}</entry>`;
const rssFeed = (items: string) =>
  `<?xml version="1.0"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>cs</title>${items}</channel></rss>`;
const rssItem = (n: number, inner = '') =>
  `<item><title>Paper ${n}</title><description>arXiv:2611.0000${n}v1 Announce Type: new Abstract: S</description><guid>oai:arXiv.org:2611.0000${n}v1</guid><pubDate>Thu, 24 Sep 2026 00:00:00 -0400</pubDate>${inner}</item>`;
const hfItem = (n: number) =>
  JSON.stringify({
    paper: {
      id: `2611.0000${n}`,
      title: `Paper ${n}`,
      summary: 'S',
      authors: [{ name: 'A' }],
      publishedAt: '2026-11-20T00:00:00.000Z',
    },
  });
const jsonlLine = (n: number) =>
  JSON.stringify({ id: `2611.0000${n}`, title: `Paper ${n}`, publishedAt: '2026-11-20T00:00:00Z' });
const abstract = (n: number) =>
  `This is the abstract of paper ${n}, long enough to read like a paragraph of a real paper.`;

describe('the probe: deeply nested XML is refused at once, not after minutes', () => {
  const depth = 200_000;
  const deep = atomFeed(`<entry>${'<a>'.repeat(depth)}${'</a>'.repeat(depth)}</entry>`);

  it('a 1.4 MB Atom feed nested 200,000 deep is refused naming the depth limit', {
    timeout: 10_000,
  }, async () => {
    expect(deep.length).toBeGreaterThan(1.4e6);
    const error = await failure(parse(deep));
    expect(error).toBeInstanceOf(LimitExceededError);
    expect(error).toMatchObject({ limit: 'maxXmlDepth', value: 64 });
    expect(error.message).toMatch(
      /nested deeper than 64 levels at line 1, column \d+ .*limit maxXmlDepth = 64/u,
    );
  });

  it('the same feed gzip-compressed (a few KB) is refused through decodeText', {
    timeout: 10_000,
  }, async () => {
    const zipped = gzipSync(deep);
    expect(zipped.length).toBeLessThan(10_000);
    async function* bytes() {
      for (let i = 0; i < zipped.length; i += 512) yield zipped.subarray(i, i + 512);
    }
    const error = await failure(collectPapers(decodeText(bytes()), { observedAt }));
    expect(error).toMatchObject({ name: 'LimitExceededError', limit: 'maxXmlDepth' });
  });

  it('an RSS feed nested past the limit is refused the same way', { timeout: 10_000 }, async () => {
    const error = await failure(parse(rssFeed(`<item>${'<b>'.repeat(depth)}${'</b>'.repeat(depth)}</item>`)));
    expect(error).toMatchObject({ limit: 'maxXmlDepth' });
  });

  it('nesting at the limit is read; one level more is refused', async () => {
    // feed (1) > entry (2) > 62 more = 64 levels.
    const at = (levels: number) => atomFeed(atomEntry(1, `${'<x>'.repeat(levels)}${'</x>'.repeat(levels)}`));
    expect((await parse(at(62))).papers).toHaveLength(1);
    await expect(parse(at(63))).rejects.toThrow(/limit maxXmlDepth = 64/u);
    expect((await parse(at(63), { maxXmlDepth: 65 })).papers).toHaveLength(1);
  });
});

describe('the probe: a 50 MB line with no line break', () => {
  const fifty = 50 * MiB;

  it('as a page dump: refused at the line limit, having read little more than the limit', {
    timeout: 10_000,
  }, async () => {
    const { text, state } = stream(['Title one\n', { repeat: 'abcdefghij', chars: fifty }]);
    const error = await failure(parse(text));
    expect(error).toMatchObject({ name: 'LimitExceededError', limit: 'maxLineChars', value: MiB });
    expect(error.message).toMatch(/^line 2 \(from character 10\) is longer than 1,048,576 characters/u);
    // The splitter stopped at the limit instead of holding the 50 MB line.
    expect(state.pulled).toBeLessThan(MiB + 2 * 64 * 1024 + 100);
  });

  it('as JSON Lines: that record is rejected, skipped unread, and the next line is kept', {
    timeout: 10_000,
  }, async () => {
    const before = process.memoryUsage().rss;
    const { text, state } = stream([
      `${jsonlLine(1)}\n{"title": "`,
      { repeat: 'abcdefghij', chars: fifty },
      `"}\n${jsonlLine(2)}\n`,
    ]);
    const { format, papers, rejects } = await parse(text);
    expect(format).toBe('jsonl');
    expect(papers.map((p) => p.id)).toEqual(['2611.00001', '2611.00002']);
    expect(rejects).toEqual([
      {
        index: 1,
        field: '(root)',
        reason: expect.stringMatching(
          /^line 2 \(from character \d+\) is longer than 1,048,576 characters \(limit maxLineChars = 1,048,576 characters, 1 MiB\); skipped unread$/u,
        ),
      },
    ]);
    expect(state.pulled).toBeGreaterThan(fifty);
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * MiB);
  });

  it('the line splitter marks the line as soon as it passes the limit, then skips the rest unkept', async () => {
    const { text, state } = stream([{ repeat: 'x', chars: 10 * MiB }, '\r\nnext\r\n'], 1000);
    const lines = splitLines(text, 5000);
    const first = await lines.next();
    expect(first.value).toEqual({ number: 1, offset: 0, tooLong: true });
    // Marked after 6 chunks of 1,000: nothing past the limit (and one chunk) was read or held.
    expect(state.pulled).toBe(6000);
    const second = await lines.next();
    expect(second.value).toEqual({ number: 2, offset: 10 * MiB + 2, text: 'next' });
    expect((await lines.next()).done).toBe(true);
  });
});

describe('the probe: a daily papers array with one 10 MB element', () => {
  it('rejects that element with its reason and keeps the others', { timeout: 10_000 }, async () => {
    const { text } = stream([
      `[${hfItem(1)},{"paper":{"title":"`,
      { repeat: 'abcdefghij', chars: 10 * MiB },
      `","id":"2611.00009"}},${hfItem(3)}]`,
    ]);
    const { papers, rejects } = await parse(text);
    expect(papers.map((p) => p.id)).toEqual(['2611.00001', '2611.00003']);
    expect(rejects).toEqual([
      {
        index: 1,
        field: '(root)',
        reason: expect.stringMatching(
          /^element 1 of the JSON array \(from character \d+\) is longer than 4,194,304 characters \(limit maxJsonElementChars = 4,194,304 characters, 4 MiB\); skipped unread$/u,
        ),
      },
    ]);
  });
});

describe('each limit: the record past it is rejected, or the file refused, with the limit named', () => {
  it('maxXmlElementsPerRecord: that entry or item is rejected, those around it kept', async () => {
    const many = '<x/>'.repeat(10_000);
    const atom = await parse(atomFeed(atomEntry(1) + atomEntry(2, many) + atomEntry(3)));
    expect(atom.papers.map((p) => p.id)).toEqual(['2611.00001', '2611.00003']);
    expect(atom.rejects).toEqual([
      {
        index: 1,
        field: '(root)',
        reason: expect.stringMatching(
          /^the entry starting on line 1 has more than 10,000 elements \(limit maxXmlElementsPerRecord = 10,000 elements\)/u,
        ),
      },
    ]);
    const rss = await parse(rssFeed(rssItem(1, '<x/>'.repeat(20)) + rssItem(2, many) + rssItem(3)), {
      maxXmlElementsPerRecord: 30,
    });
    expect(rss.papers.map((p) => p.id)).toEqual(['2611.00001', '2611.00003']);
    expect(rss.rejects[0]).toMatchObject({
      index: 1,
      reason: expect.stringContaining('maxXmlElementsPerRecord'),
    });
  });

  it('maxXmlRecordChars: that entry is rejected, those around it kept', async () => {
    const big = atomEntry(2, `<x>${'y'.repeat(5000)}</x>`.repeat(5));
    const { papers, rejects } = await parse(atomFeed(atomEntry(1) + big + atomEntry(3)), {
      maxXmlRecordChars: 20_000,
    });
    expect(papers.map((p) => p.id)).toEqual(['2611.00001', '2611.00003']);
    expect(rejects).toEqual([
      {
        index: 1,
        field: '(root)',
        reason: expect.stringMatching(/is longer than 20,000 characters \(limit maxXmlRecordChars/u),
      },
    ]);
  });

  it('maxXmlTokenChars: one run of text the reader would hold whole refuses the file, read no further', {
    timeout: 10_000,
  }, async () => {
    const { text, state } = stream([
      atomFeed(atomEntry(1)).replace('</feed>', '<entry><title>'),
      { repeat: 'words ', chars: 20 * MiB },
      '</title></entry></feed>',
    ]);
    const error = await failure(parse(text));
    expect(error).toMatchObject({ name: 'LimitExceededError', limit: 'maxXmlTokenChars', value: MiB });
    expect(error.message).toMatch(
      /one XML token .* starting on line 1 \(character [\d,]+\) is longer than 1,048,576 characters/u,
    );
    expect(state.pulled).toBeLessThan(MiB + 3 * 64 * 1024);
  });

  it('maxLineChars: a JSON Lines record past it is rejected, the lines around it kept; a page dump is refused', async () => {
    const lines = [jsonlLine(1), `{"title":"${'t'.repeat(200)}"}`, jsonlLine(3)].join('\r\n');
    const { papers, rejects } = await parse(lines, { maxLineChars: 100 });
    expect(papers.map((p) => p.id)).toEqual(['2611.00001', '2611.00003']);
    expect(rejects).toEqual([
      {
        index: 1,
        field: '(root)',
        reason: expect.stringMatching(/^line 2 .* \(limit maxLineChars = 100 characters\)/u),
      },
    ]);
    const dump = ['Title one', abstract(1), 'Title two', `${abstract(2)} ${'more '.repeat(40)}`].join('\n');
    await expect(parse(dump, { maxLineChars: 150 })).rejects.toThrow(
      /^line 4 \(from character \d+\) is longer than 150 characters \(limit maxLineChars = 150 characters\); a page dump cannot skip a line/u,
    );
    expect((await parse(dump, { maxLineChars: 400 })).papers).toHaveLength(2);
  });

  it('maxJsonElementChars: exactly the limit is read, one character more is rejected', async () => {
    const item = hfItem(2).replace('Paper 2', 'Paper 2, longer than the others');
    // White space before an element is not part of it.
    const text = `[${hfItem(1)},\n  ${item},${hfItem(3)}]`;
    expect((await parse(text, { maxJsonElementChars: item.length })).rejects).toEqual([]);
    const { papers, rejects } = await parse(text, { maxJsonElementChars: item.length - 1 });
    expect(papers.map((p) => p.id)).toEqual(['2611.00001', '2611.00003']);
    expect(rejects).toEqual([
      { index: 1, field: '(root)', reason: expect.stringContaining('maxJsonElementChars') },
    ]);
  });

  it('maxJsonDepth: a daily papers item or a JSON Lines record nested past it is rejected, the others kept', async () => {
    const nested = (levels: number) => `{"paper":{"x":${'['.repeat(levels)}${']'.repeat(levels)}}}`;
    // The item's object (1) and paper (2) leave 62 levels under the limit of 64.
    const hf = await parse(`[${hfItem(1)},${nested(62)},${nested(63)},${hfItem(3)}]`);
    expect(hf.papers.map((p) => p.id)).toEqual(['2611.00001', '2611.00003']);
    // Item 1 is read (and is not a valid item); item 2 is refused unread.
    expect(hf.rejects.filter((r) => r.reason.includes('maxJsonDepth')).map((r) => r.index)).toEqual([2]);
    expect(hf.rejects.some((r) => r.index === 1)).toBe(true);
    const jsonl = await parse([jsonlLine(1), `{"a":${'['.repeat(100_000)}`, jsonlLine(3)].join('\n'));
    expect(jsonl.papers.map((p) => p.id)).toEqual(['2611.00001', '2611.00003']);
    expect(jsonl.rejects).toEqual([
      {
        index: 1,
        field: '(root)',
        reason: expect.stringMatching(/^line 2 is nested deeper than 64 .*limit maxJsonDepth = 64 levels/u),
      },
    ]);
  });

  it('maxDecompressedBytes: a gzip that expands past it is refused as it inflates', async () => {
    const zipped = gzipSync(`${jsonlLine(1)}\n`.repeat(200_000));
    async function* bytes() {
      yield zipped;
    }
    const error = await failure(
      collectPapers(decodeText(bytes(), ingestLimits({ maxDecompressedBytes: MiB })), { observedAt }),
    );
    expect(error).toMatchObject({ name: 'LimitExceededError', limit: 'maxDecompressedBytes', value: MiB });
    expect(error.message).toMatch(/limit maxDecompressedBytes = 1,048,576 bytes, 1 MiB/u);
  });
});

describe('ingestLimits', () => {
  it('fills in the defaults and refuses limits that make no sense, naming them', () => {
    expect(() => ingestLimits({ maxXmlDepth: -1 })).toThrow(ConfigError);
    expect(ingestLimits()).toEqual(defaultIngestLimits);
    expect(ingestLimits({ maxXmlDepth: 10 })).toEqual({ ...defaultIngestLimits, maxXmlDepth: 10 });
    expect(ingestLimits({ deadlineMarginMs: 0 }).deadlineMarginMs).toBe(0);
    expect(() => ingestLimits({ maxLineChars: 0 })).toThrow(
      'maxLineChars must be a whole number of at least 1',
    );
    expect(() => ingestLimits({ maxJsonDepth: 1.5 })).toThrow('maxJsonDepth');
    expect(() => ingestLimits({ nope: 1 } as Partial<IngestLimits>)).toThrow('unknown ingest limit nope');
  });
});

describe('properties of the splitters at their limits', () => {
  it('splitLines: a line longer than the limit is marked, every other line comes out whole, whatever the chunking', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.tuple(
            fc.string({ maxLength: 40 }).map((s) => s.replace(/[\r\n]/gu, '')),
            fc.boolean(),
          ),
          {
            maxLength: 20,
          },
        ),
        fc.integer({ min: 0, max: 30 }),
        fc.integer({ min: 1, max: 17 }),
        async (lines, max, size) => {
          const text = lines.map(([line, crlf]) => `${line}${crlf ? '\r\n' : '\n'}`).join('');
          const out = [];
          for await (const line of splitLines(chunked(text, size), max)) out.push(line);
          return (
            out.length === lines.length &&
            out.every((line, i) => {
              const [expected] = lines[i] as [string, boolean];
              return (
                line.number === i + 1 &&
                ('tooLong' in line ? expected.length > max : expected.length <= max && line.text === expected)
              );
            })
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('splitJsonArray: an element longer than the limit is refused, every other one comes out whole', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null'),
          { minLength: 1, maxLength: 12 },
        ),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 17 }),
        async (elements, max, size) => {
          const out = [];
          // Counted from an element's first character to the comma after it (white space after it included).
          for await (const element of splitJsonArray(chunked(`[ ${elements.join(',\n ')}]`, size), {
            maxJsonElementChars: max,
            maxJsonDepth: 64,
          }))
            out.push(element);
          return (
            out.length === elements.length &&
            out.every((element, i) => {
              const expected = elements[i] as string;
              return 'refused' in element ? expected.length > max : element.text === expected;
            })
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('exceedsJsonDepth', () => {
  const depthOf = (value: unknown): number =>
    value !== null && typeof value === 'object'
      ? 1 + Math.max(0, ...Object.values(value as Record<string, unknown>).map(depthOf))
      : 0;

  it('agrees with the depth of the value, brackets, quotes and escapes inside strings aside', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), fc.integer({ min: 0, max: 9 }), (value, max) => {
        const text = JSON.stringify(value) ?? 'null';
        return exceedsJsonDepth(text, max) === depthOf(value) > max;
      }),
      { numRuns: 500 },
    );
    // A quote after an escaped backslash ends the string; an escaped quote does not.
    expect(exceedsJsonDepth(String.raw`{"a":"\\"}[[`, 1)).toBe(true);
    expect(exceedsJsonDepth(String.raw`{"a":"\"[[[["}`, 1)).toBe(false);
  });
});

describe('property: any file, whatever its shape, is parsed in time linear in its size', () => {
  // Pieces that make parsers work hard: nesting, long runs, brackets, quotes, markup, stray bytes.
  const units = [
    '<a>',
    '</a>',
    '<x:a xmlns:x="u">',
    '<b c="d"/>',
    '[',
    ']',
    '{',
    '}',
    '{"a":',
    '"',
    '\\',
    ',',
    '<',
    '>',
    '<!--',
    '-->',
    '<![CDATA[',
    ']]>',
    '<?p ',
    '?>',
    '&amp;',
    '&',
    'word ',
    'a',
    ' ',
    '\n',
    '\r\n',
    '\u202e',
  ];
  const records = [
    atomEntry(1),
    rssItem(1),
    `,${hfItem(1)}`,
    `\n${jsonlLine(1)}\n`,
    `Title one\n${abstract(1)}\n`,
  ];
  const heads = [
    '',
    '[',
    atomFeed('').replace('</feed>', ''),
    rssFeed('').replace('</channel></rss>', ''),
    '{"a":1}\n',
    'Title\n',
  ];
  const segment = fc.oneof(
    {
      arbitrary: fc.record({
        unit: fc.constantFrom(...units),
        count: fc.noBias(fc.integer({ min: 1, max: 250_000 })),
      }),
      weight: 4,
    },
    {
      arbitrary: fc.record({
        unit: fc.constantFrom(...records),
        count: fc.noBias(fc.integer({ min: 1, max: 2000 })),
      }),
      weight: 3,
    },
    {
      arbitrary: fc.record({
        unit: fc.string({ unit: 'binary', maxLength: 64 }),
        count: fc.integer({ min: 1, max: 10 }),
      }),
      weight: 1,
    },
  );
  const MAX_CHARS = 4 * MiB;

  it('finishes, or refuses the file as unreadable, within a generous budget per character', {
    timeout: 60_000,
  }, async () => {
    let cases = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...heads),
        fc.array(segment, { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 1024, max: 64 * 1024 }),
        async (head, segments, chunk) => {
          const text = (head + segments.map((s) => s.unit.repeat(s.count)).join('')).slice(0, MAX_CHARS);
          cases += 1;
          const start = performance.now();
          let outcome: 'read' | 'refused';
          try {
            const { rejects } = await collectPapers(chunked(text, chunk), { observedAt });
            // A reason quotes a few characters of the input at most, never a whole record.
            expect(rejects.every((r) => r.reason.length < 1000)).toBe(true);
            outcome = 'read';
          } catch (error) {
            if (!(error instanceof UnreadableFileError)) throw error;
            expect(error.message.length).toBeLessThan(1000);
            outcome = 'refused';
          }
          const ms = performance.now() - start;
          // About 50 ns per character is usual; a budget of 2 µs per character (plus start-up)
          // only fails on work that grows faster than the input (the 120,000-deep entry took minutes).
          expect(ms, `${outcome} ${text.length} characters in ${ms.toFixed(0)} ms`).toBeLessThan(
            300 + text.length * 0.002,
          );
        },
      ),
      { numRuns: 40 },
    );
    expect(cases).toBe(40);
  });
});
