import { describe, expect, it } from 'vitest';
import { UnreadableFileError } from '../../../../functions/core/errors.ts';
import { collectPapers } from '../../../../functions/core/formats/open-papers.ts';
import { hasSharedData, readSample, sharedDataSkipReason } from '../../../support/shared-data.ts';
import { chunked } from '../../../support/text.ts';

const observedAt = '2026-11-27T06:00:00.000Z';
const read = async (name: string, chunkSize?: number) =>
  collectPapers(chunkSize ? chunked(await readSample(name), chunkSize) : await readSample(name), {
    observedAt,
  });

if (!hasSharedData) console.warn(sharedDataSkipReason);

describe.skipIf(!hasSharedData)('contract: every real sample in shared/data', () => {
  it('HF daily papers, current layout: 30 papers with ai fields, GitHub signals, paper-level dates', async () => {
    const { format, papers, rejects } = await read('hf-daily-papers-2026-06-12.json');
    expect({ format, count: papers.length, rejects }).toEqual({ format: 'hf-daily', count: 30, rejects: [] });
    expect(papers[0]).toMatchObject({
      id: '2606.00467',
      publishedAt: '2026-05-30T00:00:00.000Z', // paper.publishedAt, not the shifted item-level one
      organization: 'California institute of technology',
      signals: { upvotes: 0, comments: 2, observedAt },
    });
    expect(papers[0]?.keywords).toContain('LLM-as-a-judge');
    expect(papers.some((p) => p.links.code && p.signals.stars !== undefined)).toBe(true);
    expect(papers.every((p) => p.links.thumbnail?.startsWith('https://'))).toBe(true);
  });

  it('HF daily papers, 2024 layout: 29 papers, hard-wrapped titles unwrapped', async () => {
    const { format, papers, rejects } = await read('hf-daily-papers-2024-10-25.json');
    expect({ format, count: papers.length, rejects }).toEqual({ format: 'hf-daily', count: 29, rejects: [] });
    expect(papers.every((p) => !/\s{2}|\n/u.test(p.title))).toBe(true);
    expect(papers[0]).toMatchObject({ id: '2410.17243', signals: { upvotes: 64, comments: 3 } });
  });

  it('arXiv API, current namespace style: 10 papers with categories, DOI and journal ref', async () => {
    const { format, papers, rejects } = await read('arxiv-api-2026-search-10.xml');
    expect({ format, count: papers.length, rejects }).toEqual({
      format: 'arxiv-api',
      count: 10,
      rejects: [],
    });
    expect(papers[0]).toMatchObject({
      id: '2202.12139',
      version: 1,
      authors: ['Mohit Kumar Ahuja', 'Arnaud Gotlieb', 'Helge Spieker'],
      categories: ['cs.SE', 'cs.LG'],
      primaryCategory: 'cs.SE',
      publishedAt: '2022-02-24T15:05:19.000Z',
      links: {
        abstract: 'https://arxiv.org/abs/2202.12139',
        pdf: 'https://arxiv.org/pdf/2202.12139',
        doi: 'https://doi.org/10.1109/ICSTW55395.2022.00035',
      },
    });
    expect(papers[0]?.journalRef).toContain('Artificial Intelligence in Software Testing');
  });

  it('arXiv API, old style (xmlns repeated on elements, http links) reads the same', async () => {
    const { papers, rejects } = await read('arxiv-api-2016-idlist-1.xml');
    expect(rejects).toEqual([]);
    expect(papers).toHaveLength(1);
    expect(papers[0]).toMatchObject({
      id: '1111.2011',
      version: 2,
      title: 'Quantum Criticality for Extended Nodes on a Bethe Lattice in the Large Connectivity Limit',
      authors: ['James M. Murray', 'Adrian Del Maestro', 'Zlatko Tesanovic'],
      primaryCategory: 'cond-mat.str-el',
      categories: ['cond-mat.str-el', 'cond-mat.stat-mech'],
      journalRef: 'Phys. Rev. B 85, 115117 (2012)',
      links: { doi: 'https://dx.doi.org/10.1103/PhysRevB.85.115117', pdf: 'https://arxiv.org/pdf/1111.2011' },
    });
  });

  it('arXiv API error answer: a file-level error with the API message, not a paper', async () => {
    await expect(read('arxiv-api-2026-error-400.xml')).rejects.toThrow(
      new UnreadableFileError('the arXiv API answered with an error: incorrect id format for abc'),
    );
  });

  it('arXiv API with zero results: a valid, empty file', async () => {
    expect(await read('arxiv-api-2026-zero-results.xml')).toEqual({
      format: 'arxiv-api',
      papers: [],
      rejects: [],
    });
  });

  it('arXiv RSS: 4 items, announce types, prefix removed from the abstract, authors split', async () => {
    const { format, papers, rejects } = await read('arxiv-rss-2026-4items.xml');
    expect({ format, count: papers.length, rejects }).toEqual({ format: 'arxiv-rss', count: 4, rejects: [] });
    expect(papers.map((p) => p.announceType)).toEqual(['new', 'new', 'cross', 'replace']);
    expect(papers[0]?.abstract.startsWith('Local learning trains each layer')).toBe(true);
    expect(papers.every((p) => !/Announce Type/u.test(p.abstract))).toBe(true);
    expect(papers[1]?.authors).toEqual(['Naser Mansour', 'Sidahmed Benabderrahmane', 'Ameer Rahwan']);
    expect(papers[2]).toMatchObject({
      categories: ['stat.ME', 'stat.AP', 'stat.ML'],
      publishedAt: '2026-09-24T04:00:00.000Z',
    });
  });

  it('the papers page dump: 235 papers, banner skipped, button text removed, listing order kept', async () => {
    const { format, papers, rejects } = await read('hf-papers-page.txt');
    expect({ format, count: papers.length, rejects }).toEqual({
      format: 'page-dump',
      count: 235,
      rejects: [],
    });
    expect(papers[0]).toMatchObject({
      title: 'Exploring Efficient-tuning Methods in Self-supervised Speech Models',
      sourceRank: 0,
      source: 'page-dump',
      publishedAt: observedAt,
    });
    expect(papers[1]?.title).toBe(
      'Halo: Estimation and Reduction of Hallucinations in Open-Source Weak Large Language Models',
    );
    expect(papers[234]?.sourceRank).toBe(234);
    expect(new Set(papers.map((p) => p.id)).size).toBe(235);
  });

  it.each([
    'hf-daily-papers-2026-06-12.json',
    'arxiv-api-2026-search-10.xml',
    'arxiv-rss-2026-4items.xml',
    'hf-papers-page.txt',
  ])('%s parses the same whatever the chunk boundaries', async (name) => {
    const whole = await read(name);
    expect(await read(name, 7)).toEqual(whole);
    expect(await read(name, 1)).toEqual(whole);
  });
});
