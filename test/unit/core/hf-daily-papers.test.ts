import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UnreadableFileError } from '../../../functions/core/errors.ts';
import { parseHfDailyPapers } from '../../../functions/core/hf-daily-papers.ts';
import { hasSharedData, readSample, sharedDataSkipReason } from '../../support/shared-data.ts';

const observedAt = '2026-06-12T08:00:00.000Z';

function item(overrides: Record<string, unknown> = {}, paper: Record<string, unknown> = {}) {
  return {
    paper: {
      id: '2606.00001v2',
      title: 'A Paper\n  about &amp; things',
      summary: 'An abstract.',
      authors: [{ name: 'Ana Berg' }, { name: ' Chen Xu ' }],
      publishedAt: '2026-06-10T00:00:00.000Z',
      upvotes: 12,
      ...paper,
    },
    publishedAt: '2026-06-09T20:00:00.000Z',
    numComments: 3,
    ...overrides,
  };
}

describe('parseHfDailyPapers', () => {
  it('normalizes an item into a paper', () => {
    const { papers, rejects } = parseHfDailyPapers(JSON.stringify([item()]), observedAt);
    expect(rejects).toEqual([]);
    expect(papers[0]).toMatchObject({
      id: '2606.00001',
      version: 2,
      title: 'A Paper about & things',
      authors: ['Ana Berg', 'Chen Xu'],
      // paper.publishedAt, not the item-level one shifted by the US-Eastern offset
      publishedAt: '2026-06-10T00:00:00.000Z',
      links: { abstract: 'https://arxiv.org/abs/2606.00001', pdf: 'https://arxiv.org/pdf/2606.00001' },
      signals: { upvotes: 12, comments: 3, observedAt },
    });
  });

  it('rejects a bad item with its index and field, and keeps every good one', () => {
    const text = JSON.stringify([item(), item({}, { title: 42 }), item({}, { id: '2606.00003' })]);
    const { papers, rejects } = parseHfDailyPapers(text, observedAt);
    expect(papers.map((p) => p.id)).toEqual(['2606.00001', '2606.00003']);
    expect(rejects).toEqual([{ index: 1, field: 'paper.title', reason: expect.stringContaining('string') }]);
  });

  it('says a file that is not JSON, or not a list, is unreadable', () => {
    expect(() => parseHfDailyPapers('<html>', observedAt)).toThrow(UnreadableFileError);
    expect(() => parseHfDailyPapers('{"papers": []}', observedAt)).toThrow(/JSON array/u);
  });

  it('never throws anything but UnreadableFileError, and keeps the valid items of a garbled list', () => {
    const valid = item();
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.anything(), fc.constant(valid))), (values) => {
        const present = values.filter((v) => v === valid).length;
        try {
          const { papers, rejects } = parseHfDailyPapers(JSON.stringify(values) ?? 'null', observedAt);
          return (
            papers.length + new Set(rejects.map((r) => r.index)).size === values.length &&
            papers.length >= present
          );
        } catch (error) {
          return error instanceof UnreadableFileError;
        }
      }),
    );
  });

  it('never throws anything but UnreadableFileError on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        try {
          parseHfDailyPapers(text, observedAt);
          return true;
        } catch (error) {
          return error instanceof UnreadableFileError;
        }
      }),
    );
  });
});

describe.skipIf(!hasSharedData)(
  `HF daily papers contract (${hasSharedData ? 'shared/data' : sharedDataSkipReason})`,
  () => {
    it('reads the current layout: 30 papers with ai fields and GitHub signals', async () => {
      const { papers, rejects } = parseHfDailyPapers(
        await readSample('hf-daily-papers-2026-06-12.json'),
        observedAt,
      );
      expect(rejects).toEqual([]);
      expect(papers).toHaveLength(30);
      expect(papers[0]).toMatchObject({ id: '2606.00467', publishedAt: '2026-05-30T00:00:00.000Z' });
      expect(papers.every((p) => typeof p.id === 'string' && p.authors.length > 0)).toBe(true);
      expect(papers.some((p) => p.keywords.length > 0 && p.aiSummary)).toBe(true);
    });

    it('reads the 2024 layout: 29 papers, hard-wrapped titles unwrapped', async () => {
      const { papers, rejects } = parseHfDailyPapers(
        await readSample('hf-daily-papers-2024-10-25.json'),
        observedAt,
      );
      expect(rejects).toEqual([]);
      expect(papers).toHaveLength(29);
      expect(papers.every((p) => !/\n/u.test(p.title))).toBe(true);
      expect(papers[0]).toMatchObject({ id: '2410.17243', signals: { upvotes: 64, comments: 3 } });
    });
  },
);
if (!hasSharedData) console.warn(sharedDataSkipReason);
