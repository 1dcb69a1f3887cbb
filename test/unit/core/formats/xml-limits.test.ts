import { describe, expect, it } from 'vitest';
import { type IngestLimits, LimitExceededError } from '../../../../functions/core/formats/limits.ts';
import { collectPapers } from '../../../../functions/core/formats/open-papers.ts';
import { chunked } from '../../../support/text.ts';

const observedAt = '2026-11-27T06:00:00.000Z';
const MiB = 1024 ** 2;

const parse = (text: AsyncIterable<string> | string, limits?: Partial<IngestLimits>) =>
  collectPapers(typeof text === 'string' ? chunked(text, 4096) : text, {
    observedAt,
    ...(limits ? { limits } : {}),
  });

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure');
}

const ATOM = 'http://www.w3.org/2005/Atom';
const feed = (inner: string, rootAttributes = '') =>
  `<?xml version="1.0"?><feed xmlns="${ATOM}"${rootAttributes}>${inner}</feed>`;
const entry = (n: number, inner = '') =>
  `<entry><id>http://arxiv.org/abs/2611.0000${n}v1</id><title>Paper ${n}</title><summary>S</summary><published>2026-11-20T00:00:00Z</published>${inner}</entry>`;
/** ` a0="v" a1="v" …`: `count` attributes named `${prefix}${i}`. */
const attributes = (count: number, prefix = 'a', value = 'v') =>
  Array.from({ length: count }, (_, i) => ` ${prefix}${i}="${value}"`).join('');

/**
 * The reviewer's hostile Atom file, streamed and never held: one entry holding `levels` nested
 * elements, each start tag about `tagChars` characters of attributes made by `attribute(level, i)`
 * (namespace declarations or plain attributes), then the closing tags. Counts what was pulled.
 */
function hostileFeed(levels: number, tagChars: number, attribute: (level: number, i: number) => string) {
  const state = { pulled: 0 };
  async function* generate(): AsyncGenerator<string> {
    const emit = (text: string) => {
      state.pulled += text.length;
      return text;
    };
    yield emit(`<?xml version="1.0"?><feed xmlns="${ATOM}"><entry>`);
    for (let level = 0; level < levels; level += 1) {
      let piece = '<a';
      let written = 0;
      for (let i = 0; written < tagChars; i += 1) {
        const one = attribute(level, i);
        piece += one;
        written += one.length;
        if (piece.length >= 64 * 1024) {
          yield emit(piece);
          piece = '';
        }
      }
      yield emit(`${piece}>`);
    }
    yield emit(`${'</a>'.repeat(levels)}</entry></feed>`);
  }
  return { text: generate(), state };
}

describe('the probe: 60 nested start tags of about 1 MiB of attributes each', () => {
  // Before these limits the namespace variant took 1.26 GB of memory and 14 s, the plain one
  // 800 MB: the XML reader holds every open element's attributes and namespace bindings.
  const levels = 60;
  const tagChars = 820_000;

  it('namespace declarations: refused at the 65th declaration, having read a few kilobytes', {
    timeout: 20_000,
  }, async () => {
    const before = process.memoryUsage().rss;
    const { text, state } = hostileFeed(levels, tagChars, (level, i) => ` xmlns:q${level}_${i}="u"`);
    const error = await failure(parse(text));
    expect(error).toBeInstanceOf(LimitExceededError);
    expect(error).toMatchObject({ limit: 'maxXmlNamespaceDeclarations', value: 64 });
    expect(error.message).toMatch(
      /^more than 64 XML namespace declarations on the open elements at line 1, column \d+ \(character [\d,]+\) \(limit maxXmlNamespaceDeclarations = 64 declarations\)$/u,
    );
    // Stopped in the first piece of the first tag: nothing like 60 tags was read or held.
    expect(state.pulled).toBeLessThanOrEqual(64 * 1024 + 100);
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * MiB);
  });

  it('plain attributes: refused at the 257th attribute of the first tag', { timeout: 20_000 }, async () => {
    const before = process.memoryUsage().rss;
    const { text, state } = hostileFeed(levels, tagChars, (_level, i) => ` a${i}="u"`);
    const error = await failure(parse(text));
    expect(error).toMatchObject({
      name: 'LimitExceededError',
      limit: 'maxXmlAttributesPerElement',
      value: 256,
    });
    expect(error.message).toMatch(
      /^an XML start tag has more than 256 attributes \(namespace declarations included\) at line 1, column \d+ \(character [\d,]+\) \(limit maxXmlAttributesPerElement = 256 attributes\)$/u,
    );
    expect(state.pulled).toBeLessThanOrEqual(64 * 1024 + 100);
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * MiB);
  });

  it('long attribute values, few per tag: refused when the open tags hold 256 KiB', {
    timeout: 20_000,
  }, async () => {
    const before = process.memoryUsage().rss;
    // 60 tags of 4 attributes of about 200 KB each: no per-tag count helps, the total does.
    const value = 'v'.repeat(200_000);
    const { text, state } = hostileFeed(levels, tagChars, (_level, i) => ` a${i}="${value}"`);
    const error = await failure(parse(text));
    expect(error).toMatchObject({
      name: 'LimitExceededError',
      limit: 'maxXmlOpenTagChars',
      value: 256 * 1024,
    });
    expect(error.message).toMatch(
      /^the start tags of the open XML elements \(names, attributes and namespace declarations\) hold more than 262,144 characters at line 1, column \d+ \(character [\d,]+\), 3 levels deep \(limit maxXmlOpenTagChars = 262,144 characters, 256 KiB\)$/u,
    );
    expect(state.pulled).toBeLessThan(600_000);
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * MiB);
  });
});

describe('each XML start-tag limit: at the limit the file is read, past it refused, and what closes is let go', () => {
  it('maxXmlAttributesPerElement: 256 attributes on a tag are read, 257 refuse the file', async () => {
    const at = await parse(feed(entry(1, `<x${attributes(256)}/>`)));
    expect(at.papers.map((p) => p.id)).toEqual(['2611.00001']);
    const past = await failure(parse(feed(entry(1) + entry(2, `<x${attributes(257)}/>`))));
    expect(past).toMatchObject({ name: 'LimitExceededError', limit: 'maxXmlAttributesPerElement' });
    expect(past.message).toMatch(/more than 256 attributes .* at line 1, column \d+/u);
    // Namespace declarations count as attributes: the root's xmlns is one of its 4.
    await expect(
      parse(feed(entry(1), attributes(3)), { maxXmlAttributesPerElement: 4 }),
    ).resolves.toMatchObject({ papers: [{ id: '2611.00001' }] });
    await expect(parse(feed(entry(1), attributes(4)), { maxXmlAttributesPerElement: 4 })).rejects.toThrow(
      /limit maxXmlAttributesPerElement = 4 attributes/u,
    );
  });

  it('maxXmlOpenTagChars: counts names, attribute names and values of the open tags, and frees them on close', async () => {
    // feed: "feed" + "xmlns" + the Atom URI = 36 characters; entry: 5; x with one attribute
    // a="<n × v>": 1 + 1 + n.
    const open = 36 + 5;
    const deep = (n: number) => feed(entry(1, `<x a="${'v'.repeat(n)}"><y/></x>`));
    const limit = 1000;
    // <y> inside <x> adds 1: the limit is reached exactly, not passed.
    const exact = limit - open - 2 - 1;
    expect((await parse(deep(exact), { maxXmlOpenTagChars: limit })).papers).toHaveLength(1);
    const error = await failure(parse(deep(exact + 1), { maxXmlOpenTagChars: limit }));
    expect(error).toMatchObject({ name: 'LimitExceededError', limit: 'maxXmlOpenTagChars', value: limit });
    expect(error.message).toMatch(/hold more than 1,000 characters at line 1, column \d+ .*, 4 levels deep/u);
    // The same attributes on elements that close before the next opens are never held together.
    const siblings = feed(entry(1, `<x a="${'v'.repeat(900)}"/>`.repeat(50)));
    expect((await parse(siblings, { maxXmlOpenTagChars: limit })).papers).toHaveLength(1);
    // Nested, they are.
    const nested = feed(entry(1, `${'<x a="vvvvvvvvvv">'.repeat(60)}${'</x>'.repeat(60)}`));
    await expect(parse(nested, { maxXmlOpenTagChars: 500 })).rejects.toThrow(/maxXmlOpenTagChars/u);
    expect((await parse(nested, { maxXmlOpenTagChars: 1000 })).papers).toHaveLength(1);
  });

  it('maxXmlNamespaceDeclarations: counted over the open elements, each released when its element closes', async () => {
    const declare = (count: number, from = 0) =>
      Array.from({ length: count }, (_, i) => ` xmlns:p${from + i}="urn:${from + i}"`).join('');
    // The root declares the default namespace: 1 + 63 = 64 in scope.
    expect((await parse(feed(entry(1, `<x${declare(63)}/>`)))).papers).toHaveLength(1);
    const past = await failure(parse(feed(entry(1, `<x${declare(63)}><y xmlns:z="urn:z"/></x>`))));
    expect(past).toMatchObject({
      name: 'LimitExceededError',
      limit: 'maxXmlNamespaceDeclarations',
      value: 64,
    });
    // Old-style arXiv answers repeat xmlns on every element: siblings never add up.
    const repeated = `<x xmlns:arxiv="http://arxiv.org/schemas/atom"/>`.repeat(500);
    expect((await parse(feed(entry(1, repeated)))).papers).toHaveLength(1);
    // A default namespace counts like a prefixed one.
    await expect(
      parse(feed(entry(1, '<x xmlns="urn:a"><y xmlns="urn:b"/></x>')), { maxXmlNamespaceDeclarations: 2 }),
    ).rejects.toThrow(/limit maxXmlNamespaceDeclarations = 2 declarations/u);
  });

  it('records read before a start tag past a limit are handed over before the file is refused', async () => {
    const { records } = await import('../../../../functions/core/formats/open-papers.ts').then((m) =>
      m.openPapers(chunked(feed(entry(1) + entry(2) + entry(3, `<x${attributes(300)}/>`)), 64), {
        observedAt,
      }),
    );
    const ids: string[] = [];
    const error = await failure(
      (async () => {
        for await (const record of records) if ('paper' in record) ids.push(record.paper.id);
      })(),
    );
    expect(ids).toEqual(['2611.00001', '2611.00002']);
    expect(error).toMatchObject({ limit: 'maxXmlAttributesPerElement' });
  });

  it('malformed XML is still refused as not well-formed, its reason free of control characters', async () => {
    await expect(parse(feed(entry(1, '<x a="1" a="2"/>')))).rejects.toThrow(
      /^not well-formed XML: .*duplicate attribute/u,
    );
    await expect(parse(feed(entry(1, '<x></y>')))).rejects.toMatchObject({ name: 'UnreadableFileError' });
    await expect(parse(`<?xml version="1.0"?><feed xmlns="${ATOM}">${entry(1)}`)).rejects.toThrow(
      /^not well-formed XML/u,
    );
  });
});
