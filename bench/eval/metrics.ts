/** Graded judgments of one query: document key → grade (0 not relevant, 1 partly, 2 fully). */
export type Judgments = Readonly<Record<string, number>>;

/** The `k` best document indexes by score, ties in index order; documents scoring 0 are left out. */
export function topK(scores: ArrayLike<number>, k: number): number[] {
  return Array.from({ length: scores.length }, (_, i) => i)
    .filter((i) => (scores[i] as number) > 0)
    .sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b)
    .slice(0, k);
}

/** Normalized discounted cumulative gain at k, with gains 2^grade − 1. */
export function ndcgAt(k: number, ranked: readonly string[], judgments: Judgments): number {
  const gain = (grade: number) => 2 ** grade - 1;
  const dcg = ranked
    .slice(0, k)
    .reduce((sum, key, i) => sum + gain(judgments[key] ?? 0) / Math.log2(i + 2), 0);
  const ideal = Object.values(judgments)
    .sort((a, b) => b - a)
    .slice(0, k)
    .reduce((sum, grade, i) => sum + gain(grade) / Math.log2(i + 2), 0);
  return ideal === 0 ? 0 : dcg / ideal;
}

/** Share of the first k results judged relevant (grade ≥ 1). */
export function precisionAt(k: number, ranked: readonly string[], judgments: Judgments): number {
  return ranked.slice(0, k).filter((key) => (judgments[key] ?? 0) >= 1).length / k;
}
