import MiniSearch from 'minisearch';
import type { IndexedDoc } from '../../functions/core/relevance/index.ts';

/**
 * The external baseline: MiniSearch (BM25+) over title and abstract with its own tokenizer and
 * defaults (no prefix or fuzzy matching; words OR-ed), the title boosted twice, as a developer
 * would set it up for a paper search. Returns the indexes of the best `k` documents, best first.
 */
export function miniSearchRanker(docs: readonly IndexedDoc[]): (query: string, k: number) => number[] {
  const search = new MiniSearch<{ id: number; title: string; abstract: string }>({
    fields: ['title', 'abstract'],
    searchOptions: { boost: { title: 2 } },
  });
  search.addAll(docs.map((d, id) => ({ id, title: d.title, abstract: d.abstract })));
  return (query, k) =>
    search
      .search(query)
      .slice(0, k)
      .map((r) => r.id as number);
}
