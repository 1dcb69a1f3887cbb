import { rankPapers } from '../../functions/cli/rank.ts';
import { CORPORA, loadCorpus } from './corpora.ts';
import { gradesOf, type Half, readJudgments } from './judgments.ts';
import { ndcgAt, precisionAt, topK } from './metrics.ts';
import { miniSearchRanker } from './minisearch-bm25.ts';
import { plainBm25 } from './plain-bm25.ts';

/** The systems compared: the delivered list and the two BM25 baselines. */
export const SYSTEMS = ['paperboy', 'bm25', 'minisearch'] as const;
export type System = (typeof SYSTEMS)[number];

export interface Figures {
  ndcg: number;
  precision: number;
}

export interface QueryFigures {
  corpus: string;
  query: string;
  half: Half;
  /** The ids of each system's first 10 papers. */
  lists: Record<System, string[]>;
  figures: Record<System, Figures>;
}

const DEPTH = 10;

/**
 * Runs the hand-judged topic queries of one half on every corpus (bench/eval/judgments/). The
 * Paperboy list is what `paperboy rank --papers <corpus files> --topics "<query>" --limit 10`
 * prints: the same loading, trending edition and digest choice ({@link rankPapers}), not the
 * relevance component alone. Plain BM25 and MiniSearch rank the same loaded papers.
 */
export async function evaluateRelevance(half: Half): Promise<QueryFigures[]> {
  const out: QueryFigures[] = [];
  for (const corpus of CORPORA) {
    const judgments = await readJudgments(corpus.name);
    const papers = await loadCorpus(corpus);
    const ids = papers.map((p) => p.id);
    const mini = miniSearchRanker(papers);
    for (const query of judgments.split[half]) {
      const graded = gradesOf(judgments.queries[query] ?? []);
      const lists: Record<System, string[]> = {
        paperboy: rankPapers(papers, { topics: [query], authors: [], exclude: [], limit: DEPTH }).lines.map(
          (line) => line.id,
        ),
        bm25: topK(plainBm25(papers, query), DEPTH).map((d) => ids[d] as string),
        minisearch: mini(query, DEPTH).map((d) => ids[d] as string),
      };
      const score = (list: string[]): Figures => ({
        ndcg: ndcgAt(DEPTH, list, graded),
        precision: precisionAt(DEPTH, list, graded),
      });
      out.push({
        corpus: corpus.name,
        query,
        half,
        lists,
        figures: {
          paperboy: score(lists.paperboy),
          bm25: score(lists.bm25),
          minisearch: score(lists.minisearch),
        },
      });
    }
  }
  return out;
}

/** Mean figures of each system over some queries. */
export function meanFigures(queries: readonly QueryFigures[]): Record<System, Figures> {
  const mean = (system: System, key: keyof Figures) =>
    queries.reduce((sum, q) => sum + q.figures[system][key], 0) / Math.max(1, queries.length);
  return Object.fromEntries(
    SYSTEMS.map((system) => [system, { ndcg: mean(system, 'ndcg'), precision: mean(system, 'precision') }]),
  ) as Record<System, Figures>;
}

/** A per-query table, then each corpus's means and the overall mean. */
export function formatTable(queries: readonly QueryFigures[]): string {
  const lines = [
    `${'corpus'.padEnd(10)} ${'query'.padEnd(28)} ${'nDCG@10 paperboy / bm25 / minisearch'.padEnd(38)} P@10 paperboy / bm25 / minisearch`,
  ];
  const row = (corpus: string, label: string, f: Record<System, Figures>) =>
    `${corpus.padEnd(10)} ${label.padEnd(28)} ${SYSTEMS.map((s) => f[s].ndcg.toFixed(3))
      .join(' / ')
      .padEnd(38)} ${SYSTEMS.map((s) => f[s].precision.toFixed(2)).join(' / ')}`;
  for (const q of queries) lines.push(row(q.corpus, q.query, q.figures));
  for (const corpus of new Set(queries.map((q) => q.corpus))) {
    const some = queries.filter((q) => q.corpus === corpus);
    lines.push(row(corpus, `mean (${some.length} queries)`, meanFigures(some)));
  }
  lines.push(row('all', `mean (${queries.length} queries)`, meanFigures(queries)));
  return lines.join('\n');
}
