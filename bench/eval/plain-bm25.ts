import { words } from '../../functions/core/relevance/analyze.ts';
import type { IndexedDoc } from '../../functions/core/relevance/index.ts';

/**
 * Plain BM25 over title and abstract (lower-case words, stopwords removed, no stemming, no
 * fields, no expansion): the baseline the evaluation compares against.
 */
export function plainBm25(docs: readonly IndexedDoc[], query: string, k1 = 1.2, b = 0.75): Float32Array {
  const tokenized = docs.map((d) => words(`${d.title} ${d.abstract}`));
  const df = new Map<string, number>();
  for (const tokens of tokenized) for (const t of new Set(tokens)) df.set(t, (df.get(t) ?? 0) + 1);
  const avg = tokenized.reduce((a, t) => a + t.length, 0) / Math.max(1, tokenized.length);
  const q = words(query);
  return Float32Array.from(tokenized, (tokens) => {
    let score = 0;
    for (const term of q) {
      const f = tokens.filter((t) => t === term).length;
      if (f === 0) continue;
      const n = df.get(term) ?? 0;
      const idf = Math.log(1 + (docs.length - n + 0.5) / (n + 0.5));
      score += (idf * f * (k1 + 1)) / (f + k1 * (1 - b + (b * tokens.length) / avg));
    }
    return score;
  });
}
