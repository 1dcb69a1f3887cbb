import { readFile } from 'node:fs/promises';
import { collectPapers } from '../../functions/core/formats/open-papers.ts';
import { RelevanceIndex } from '../../functions/core/relevance/index.ts';
import { readSample } from '../../test/support/shared-data.ts';
import { type Judgments, ndcgAt, precisionAt, topK } from './metrics.ts';
import { plainBm25 } from './plain-bm25.ts';

export interface QueryFigures {
  query: string;
  paperboy: { ndcg: number; precision: number };
  bm25: { ndcg: number; precision: number };
}

/** Runs the hand-judged topic queries on the seed page with Paperboy's ranker and with plain BM25. */
export async function evaluateRelevance(): Promise<QueryFigures[]> {
  const judgments = JSON.parse(
    await readFile(new URL('../../test/fixtures/relevance-judgments.json', import.meta.url), 'utf8'),
  ) as { queries: Record<string, Judgments> };
  const { papers } = await collectPapers(await readSample('hf-papers-page.txt'), {
    observedAt: '2026-11-27T00:00:00.000Z',
  });
  const index = new RelevanceIndex(papers);
  const titles = papers.map((p) => p.title);
  return Object.entries(judgments.queries).map(([query, judged]) => {
    const ours = topK(index.topic(query).scores, 10).map((i) => titles[i] as string);
    const baseline = topK(plainBm25(papers, query), 10).map((i) => titles[i] as string);
    return {
      query,
      paperboy: { ndcg: ndcgAt(10, ours, judged), precision: precisionAt(10, ours, judged) },
      bm25: { ndcg: ndcgAt(10, baseline, judged), precision: precisionAt(10, baseline, judged) },
    };
  });
}
