import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cleanText, httpsUrl, normalizeTitle, parseArxivId, titleId } from '../../../functions/core/text.ts';

describe('cleanText', () => {
  it('decodes entities and collapses hard line breaks', () => {
    expect(cleanText('Attention &amp; Memory:\n  a   study &#x27;24')).toBe(
      "Attention & Memory: a study '24",
    );
  });

  it('keeps LaTeX readable', () => {
    expect(cleanText('sets $\\{1,\\dots,n\\}$ and B\\"uttiker')).toBe(
      'sets $\\{1,\\dots,n\\}$ and B\\"uttiker',
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
