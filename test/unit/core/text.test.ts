import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cleanText,
  httpsUrl,
  normalizeTitle,
  parseArxivId,
  stripControl,
  titleId,
} from '../../../functions/core/text.ts';

describe('cleanText', () => {
  it('decodes entities and collapses hard line breaks', () => {
    expect(cleanText('Attention &amp; Memory:\n  a   study &#x27;24')).toBe(
      "Attention & Memory: a study '24",
    );
  });

  it('removes control characters, entity-encoded ones included, and turns white space controls into spaces', () => {
    expect(cleanText('Evil \u001b]0;pwned\u0007 title \u001b[8m')).toBe('Evil ]0;pwned title [8m');
    // As in HTML, &#x9b; is the Windows-1252 character at that place (›), not the C1 control.
    expect(cleanText('x&#27;[31my &#x9b;z &#x202E;w')).toBe('x[31my ›z w');
    expect(cleanText('a\tb\u000bc\u000cd\r\ne')).toBe('a b c d e');
  });

  it('keeps LaTeX readable', () => {
    expect(cleanText('sets $\\{1,\\dots,n\\}$ and B\\"uttiker')).toBe(
      'sets $\\{1,\\dots,n\\}$ and B\\"uttiker',
    );
  });
});

describe('stripControl', () => {
  it('removes terminal escapes, bells, NUL, DEL, C1 controls and bidi overrides and isolates', () => {
    expect(stripControl('A \u001b]0;evil\u0007title')).toBe('A ]0;eviltitle');
    expect(stripControl('\u001b[8mhidden\u001b[0m')).toBe('[8mhidden[0m');
    expect(stripControl('a\u0000b\u007fc\u0080d\u009be\u009ff')).toBe('abcdef');
    expect(stripControl('\u202atxt\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069')).toBe('txt');
  });

  it('keeps ASCII white space for the caller, and every other character as it is', () => {
    expect(stripControl('a\tb\nc\rd\u000be\u000cf')).toBe('a\tb\nc\rd\u000be\u000cf');
    // Implicit marks (LRM, RLM, ALM), joiners and non-Latin text are text.
    const text = 'עברית \u200e ‏العربية\u061c 中文 \u200d👩‍💻 é';
    expect(stripControl(text)).toBe(text);
  });

  it('leaves no control or bidi override character in any string', () => {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
    const CONTROL = /[\u0000-\u0008\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const out = stripControl(text);
        return !CONTROL.test(out) && out.length <= text.length && stripControl(out) === out;
      }),
      { numRuns: 500 },
    );
  });
});

describe('stripControl: lone surrogates and noncharacters (issue 14, F2)', () => {
  // Noncharacters: U+FDD0–U+FDEF and every plane's U+xFFFE, U+xFFFF.
  const NONCHARACTER = /[\uFDD0-\uFDEF]|\p{Noncharacter_Code_Point}/u;
  const wellFormed = (s: string) =>
    !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);

  it('drops a lone surrogate, high or low, and keeps pairs', () => {
    expect(stripControl('Lone surrogate \ud800 retrieval')).toBe('Lone surrogate  retrieval');
    expect(stripControl('a\udc00b\ud800')).toBe('ab');
    expect(stripControl('\ud800\ud83d\ude00\udc00')).toBe('\ud83d\ude00');
    expect(cleanText('Lone surrogate \ud800 retrieval')).toBe('Lone surrogate retrieval');
    expect(JSON.stringify(cleanText('x\udfff'))).toBe('"x"');
  });

  it('drops noncharacters of every plane', () => {
    expect(stripControl('Ctrl \ufffe\uffff end\ufdd0\ufdef')).toBe('Ctrl  end');
    expect(stripControl('a\u{1fffe}b\u{10ffff}c\u{efffe}')).toBe('abc');
    // Their neighbours are text: U+FDCF, U+FDF0, U+FFFD, U+1FFFD.
    expect(stripControl('\ufdcf\ufdf0\ufffd\u{1fffd}')).toBe('\ufdcf\ufdf0\ufffd\u{1fffd}');
  });

  it('leaves every string well-formed, with no noncharacter, idempotently', () => {
    const units = fc
      .array(
        fc.oneof(
          fc.integer({ min: 0, max: 0xffff }),
          fc.constantFrom(0xd800, 0xdbff, 0xdc00, 0xdfff, 0xfffe, 0xffff, 0xfdd0),
        ),
        { maxLength: 40 },
      )
      .map((codes) => String.fromCharCode(...codes));
    fc.assert(
      fc.property(fc.oneof(units, fc.string({ unit: 'binary' })), (text) => {
        const out = stripControl(text);
        return (
          wellFormed(out) && !NONCHARACTER.test(out) && stripControl(out) === out && out.length <= text.length
        );
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps well-formed text that has no control character unchanged', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (text) => {
        const clean = text.replace(
          // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
          /[\u0000-\u0008\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\ufdd0-\ufdef]|\p{Noncharacter_Code_Point}/gu,
          '',
        );
        return stripControl(clean) === clean;
      }),
      { numRuns: 500 },
    );
  });
});

describe('parseArxivId', () => {
  it.each([
    ['2401.01234v2', { id: '2401.01234', version: 2 }],
    ['2503.02130', { id: '2503.02130' }],
    ['hep-th/9901001v1', { id: 'hep-th/9901001', version: 1 }],
    ['arXiv:1706.03762v7', { id: '1706.03762', version: 7 }],
  ])('%s', (raw, expected) => {
    expect(parseArxivId(raw)).toEqual(expected);
  });

  it('rejects what is not an arXiv id', () => {
    expect(parseArxivId('not-an-id')).toBeUndefined();
    expect(parseArxivId('12345')).toBeUndefined();
  });

  it('keeps every id a string, never a number', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1000, max: 9999 }), fc.integer({ min: 10000, max: 99999 }), (a, b) => {
        const parsed = parseArxivId(`${a}.${b}v3`);
        return parsed?.id === `${a}.${b}` && parsed.version === 3;
      }),
    );
  });
});

describe('titleId', () => {
  it('is the same for titles that differ only in case, accents, spacing and punctuation', () => {
    expect(titleId('Exploring  Efficient-tuning Methods')).toBe(
      titleId('exploring efficient tuning methods!'),
    );
    expect(titleId('Réseaux de neurones')).toBe(titleId('Reseaux de neurones'));
  });

  it('differs for different titles', () => {
    expect(titleId('Paper A')).not.toBe(titleId('Paper B'));
  });

  it('normalizes titles to lower-case words', () => {
    expect(normalizeTitle('  Hello,\nWorld!  ')).toBe('hello world');
  });
});

describe('httpsUrl', () => {
  it('upgrades http to https and drops other schemes', () => {
    expect(httpsUrl('http://arxiv.org/abs/1')).toBe('https://arxiv.org/abs/1');
    expect(httpsUrl('javascript:alert(1)')).toBeUndefined();
    expect(httpsUrl('not a url')).toBeUndefined();
    expect(httpsUrl(undefined)).toBeUndefined();
  });
});
