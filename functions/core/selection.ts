import type { Edition } from './edition.ts';
import type { RankedPaper } from './ranking.ts';
import { type RelevanceConfig, RelevanceIndex, relevanceConfig } from './relevance/index.ts';

/**
 * How a digest is chosen from an edition's candidates (docs/ranking.md):
 * - no topics: the trending order;
 * - topics: 0.65 · relevance + 0.35 · trending (both in [0, 1]); papers whose relevance to
 *   every topic is below the floor are left out, unless by an author the subscriber follows;
 * - a followed author adds a bonus; an excluded word removes the paper;
 * - papers the subscriber already received are never chosen again;
 * - diversity: maximal marginal relevance over the best candidates, so that near-identical
 *   papers do not come in a row.
 */
export const selectionConfig = {
  relevanceWeight: 0.65,
  relevanceFloor: 0.2,
  authorBonus: 0.5,
  /** MMR trade-off: 1 = score only, 0 = diversity only. */
  mmrLambda: 0.75,
  /** Candidates considered by MMR, as a multiple of the digest size. */
  poolFactor: 4,
} as const;

export interface ReaderProfile {
  topics: readonly string[];
  /** Names of authors the reader follows. */
  authors: readonly string[];
  /** Words whose papers the reader never wants. */
  exclude: readonly string[];
  digestSize: number;
  /** Ids of papers the reader already received. */
  sent: ReadonlySet<string>;
}

export interface ChosenPaper {
  entry: RankedPaper;
  /** The blended score the choice was made on. */
  score: number;
  /** Its parts: trending normalized to the edition's best, relevance to the best-matching topic. */
  trending: number;
  relevance: number;
  reasons: string[];
}

/**
 * An edition's candidates prepared once — relevance index, normalized trending scores,
 * author names — so that choosing each reader's digest costs microseconds.
 */
export class EditionSelector {
  readonly index: RelevanceIndex;
  private readonly trend: Float32Array;
  private readonly eligibleFresh: Uint8Array;
  /** Candidate index by paper id, and by normalized author name (with the author's position). */
  private readonly byId = new Map<string, number>();
  private readonly byAuthor = new Map<string, { doc: number; position: number }[]>();

  /**
   * @param fresh which candidates count as new today (the others only serve "best of the week").
   */
  constructor(
    readonly entries: readonly RankedPaper[],
    fresh: (entry: RankedPaper) => boolean = () => true,
    private readonly config = selectionConfig,
    relevance: RelevanceConfig = relevanceConfig,
  ) {
    this.index = new RelevanceIndex(
      entries.map((e) => e.paper),
      relevance,
    );
    const best = entries.reduce((m, e) => Math.max(m, e.score), 0) || 1;
    this.trend = Float32Array.from(entries, (e) => e.score / best);
    this.eligibleFresh = Uint8Array.from(entries, (e) => (fresh(e) ? 1 : 0));
    entries.forEach((entry, doc) => {
      this.byId.set(entry.paper.id, doc);
      entry.paper.authors.forEach((name, position) => {
        const key = normalizeName(name);
        const list = this.byAuthor.get(key);
        if (list) list.push({ doc, position });
        else this.byAuthor.set(key, [{ doc, position }]);
      });
    });
  }

  /** The reader's digest, best first; empty when nothing new fits them. */
  choose(profile: ReaderProfile, mode: 'daily' | 'week'): ChosenPaper[] {
    const { config } = this;
    const n = this.entries.length;
    const topics = profile.topics.map((t) => this.index.topic(t));
    const topicScores = topics.map((t) => t.scores);
    const trend = this.trend;
    const scores = new Float32Array(n).fill(Number.NEGATIVE_INFINITY);
    const bestTopic = new Int16Array(n).fill(-1);
    const relevance = new Float32Array(n);
    const author = new Int16Array(n).fill(-1);

    // Papers this reader cannot get: already received, excluded, or not new today.
    const blocked =
      mode === 'daily' ? Uint8Array.from(this.eligibleFresh, (fresh) => 1 - fresh) : new Uint8Array(n);
    for (const id of profile.sent) {
      const d = this.byId.get(id);
      if (d !== undefined) blocked[d] = 1;
    }
    for (const word of profile.exclude) {
      const mask = this.index.containing(word);
      for (let d = 0; d < n; d += 1) if (mask[d]) blocked[d] = 1;
    }
    for (const name of profile.authors) {
      for (const { doc, position } of this.byAuthor.get(normalizeName(name)) ?? []) author[doc] = position;
    }

    for (let d = 0; d < n; d += 1) {
      if (blocked[d]) continue;
      let score = trend[d] as number;
      if (topicScores.length > 0) {
        let rel = 0;
        for (let t = 0; t < topicScores.length; t += 1) {
          const value = (topicScores[t] as Float32Array)[d] as number;
          if (value > rel) {
            rel = value;
            bestTopic[d] = t;
          }
        }
        relevance[d] = rel;
        if (rel < config.relevanceFloor) {
          bestTopic[d] = -1;
          if ((author[d] as number) < 0) continue;
        }
        score = config.relevanceWeight * rel + (1 - config.relevanceWeight) * score;
      }
      if ((author[d] as number) >= 0) score += config.authorBonus;
      scores[d] = score;
    }

    // Maximal marginal relevance: pick the candidate with the best λ·score − (1−λ)·redundancy,
    // redundancy being its highest similarity to a paper already picked. The pool is in score
    // order and redundancy is never negative, so the scan stops once λ·score cannot win; each
    // candidate's redundancy is brought up to date only when it is looked at.
    const pool = bestIndexes(scores, profile.digestSize * config.poolFactor);
    const redundancy = new Float32Array(pool.length);
    const seen = new Uint8Array(pool.length);
    const taken = new Uint8Array(pool.length);
    const chosen: number[] = [];
    const λ = config.mmrLambda;
    while (chosen.length < Math.min(profile.digestSize, pool.length)) {
      let pick = -1;
      let pickValue = Number.NEGATIVE_INFINITY;
      for (let i = 0; i < pool.length; i += 1) {
        if (taken[i]) continue;
        const upper = λ * (scores[pool[i] as number] as number);
        if (upper <= pickValue) break;
        for (; (seen[i] as number) < chosen.length; seen[i] = (seen[i] as number) + 1) {
          const similarity = this.index.similarity(pool[i] as number, chosen[seen[i] as number] as number);
          if (similarity > (redundancy[i] as number)) redundancy[i] = similarity;
        }
        const value = upper - (1 - λ) * (redundancy[i] as number);
        if (value > pickValue) {
          pickValue = value;
          pick = i;
        }
      }
      taken[pick] = 1;
      chosen.push(pool[pick] as number);
    }

    return chosen.map((d) => {
      const entry = this.entries[d] as RankedPaper;
      const reasons = [...entry.reasons];
      const t = bestTopic[d] as number;
      if (t >= 0) reasons.push(`matches “${topics[t]?.topic}”`);
      const a = author[d] as number;
      if (a >= 0) reasons.push(`by ${entry.paper.authors[a]}, whom you follow`);
      return {
        entry,
        score: scores[d] as number,
        trending: this.trend[d] as number,
        relevance: relevance[d] as number,
        reasons,
      };
    });
  }
}

/** The `k` best scores' indexes (−∞ left out), best first. */
function bestIndexes(scores: Float32Array, k: number): number[] {
  const out: number[] = [];
  for (let d = 0; d < scores.length; d += 1) {
    const s = scores[d] as number;
    if (s === Number.NEGATIVE_INFINITY) continue;
    if (out.length < k) {
      out.push(d);
      if (out.length === k) out.sort((a, b) => (scores[b] as number) - (scores[a] as number));
    } else if (s > (scores[out[k - 1] as number] as number)) {
      let at = k - 1;
      while (at > 0 && s > (scores[out[at - 1] as number] as number)) at -= 1;
      out.splice(at, 0, d);
      out.pop();
    }
  }
  if (out.length < k) out.sort((a, b) => (scores[b] as number) - (scores[a] as number));
  return out;
}

function normalizeName(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\s]/gu, ' ')
    .replace(/\s+/gu, ' ')
    .trim();
}

/**
 * Keeps the selectors of the last few editions: a send function handles many jobs of one
 * edition, and the index is built once for all of them.
 */
export function createSelectorCache(
  build: (edition: Edition) => EditionSelector = (edition) =>
    new EditionSelector(edition.entries, (e) => e.paper.publishedAt >= edition.freshSince),
  keep = 2,
): (edition: Edition) => EditionSelector {
  const cache = new Map<string, EditionSelector>();
  return (edition) => {
    const key = `${edition.date}|${edition.createdAt}`;
    let selector = cache.get(key);
    if (!selector) {
      selector = build(edition);
      cache.set(key, selector);
      while (cache.size > keep) cache.delete(cache.keys().next().value as string);
    }
    return selector;
  };
}
