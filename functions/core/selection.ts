import type { Edition } from './edition.ts';
import { type RankedPaper, signalScore } from './ranking.ts';
import {
  type MatchExplanation,
  type RelevanceConfig,
  RelevanceIndex,
  relevanceConfig,
} from './relevance/index.ts';

/**
 * How a digest is chosen from an edition's candidates (docs/ranking.md, "One digest per reader"):
 * - no topics: the trending order;
 * - topics: a paper enters on relevance (at least `relevanceFloor`); its score is its relevance,
 *   plus, once it is clearly on topic (at least `onTopic`), up to `trendingWeight` for its
 *   measured signals. A paper below `onTopic` gets no trending, so it never passes one above;
 *   a source without signals (the page dump) gets none at all;
 * - a followed author adds `authorBonus` (and lets a paper in below the floor); an excluded word
 *   removes the paper; papers the reader already received are never chosen again;
 * - diversity: maximal marginal relevance picks the set from the best candidates, a paper's
 *   redundancy being its similarity above `redundantFrom` to one already picked; the set is
 *   shown in score order.
 */
export const selectionConfig = {
  relevanceFloor: 0.15,
  onTopic: 0.5,
  trendingWeight: 0.1,
  authorBonus: 0.5,
  /** MMR trade-off: 1 = score only, 0 = diversity only. */
  mmrLambda: 0.75,
  /** Similarity that counts as redundancy starts here (papers on one topic share its words). */
  redundantFrom: 0.3,
  /** Candidates considered by MMR, as a multiple of the digest size. */
  poolFactor: 4,
};
export type SelectionConfig = typeof selectionConfig;

/**
 * A reader, as selection sees them. What they are interested in is matched against the edition
 * by {@link EditionSelector.interests}: today their topics; a profile learned from their
 * clicks (term weights, liked papers) would be one more interest there, beside the topics.
 */
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
  /** The score the list is ordered by. */
  score: number;
  /**
   * Its parts: trending as it counted (for topic readers, the measured signals normalized to the
   * edition's best, and 0 below "on topic"; otherwise the trending score, normalized) and
   * relevance to the best-matching interest.
   */
  trending: number;
  relevance: number;
  reasons: string[];
}

/** One thing a reader is interested in, matched against every candidate of the edition. */
export interface Interest {
  /** Relevance of each candidate, in [0, 1]. */
  scores: Float32Array;
  /** Why a candidate matches, in words for the digest; undefined when it does not. */
  reason(doc: number): string | undefined;
}

/**
 * An edition's candidates prepared once — relevance index, normalized trending scores,
 * author names — so that choosing each reader's digest costs microseconds.
 */
export class EditionSelector {
  readonly index: RelevanceIndex;
  /** The trending score normalized to the edition's best: the order for readers without topics. */
  private readonly trend: Float32Array;
  /** The measured signals' part of it, normalized to the edition's best: 0 without signals. */
  private readonly signal: Float32Array;
  private readonly eligibleFresh: Uint8Array;
  /** Candidate index by paper id, and by normalized author name (with the author's position). */
  private readonly byId = new Map<string, number>();
  private readonly byAuthor = new Map<string, { doc: number; position: number }[]>();
  private readonly ids: readonly string[];
  /** Per-candidate working arrays of `choose`, reused from reader to reader. */
  private readonly scratch: {
    scores: Float32Array;
    bestInterest: Int16Array;
    relevance: Float32Array;
    author: Int16Array;
    blocked: Uint8Array;
  };

  /**
   * @param fresh which candidates count as new today (the others only serve "best of the week").
   */
  constructor(
    readonly entries: readonly RankedPaper[],
    fresh: (entry: RankedPaper) => boolean = () => true,
    private readonly config: SelectionConfig = selectionConfig,
    relevance: RelevanceConfig = relevanceConfig,
  ) {
    this.index = new RelevanceIndex(
      entries.map((e) => e.paper),
      relevance,
    );
    const best = entries.reduce((m, e) => Math.max(m, e.score), 0) || 1;
    this.trend = Float32Array.from(entries, (e) => e.score / best);
    const signals = entries.map(signalScore);
    const bestSignal = signals.reduce((m, s) => Math.max(m, s), 0);
    this.signal = Float32Array.from(signals, (s) => (bestSignal > 0 ? s / bestSignal : 0));
    this.eligibleFresh = Uint8Array.from(entries, (e) => (fresh(e) ? 1 : 0));
    this.ids = entries.map((e) => e.paper.id);
    const n = entries.length;
    this.scratch = {
      scores: new Float32Array(n),
      bestInterest: new Int16Array(n),
      relevance: new Float32Array(n),
      author: new Int16Array(n),
      blocked: new Uint8Array(n),
    };
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

  /**
   * What the reader is interested in, each matched against the whole edition (cached per topic
   * by the index, so a topic many readers share is matched once). The place for more kinds of
   * interest: each adds its scores and its reason, and a paper's relevance is its best.
   */
  interests(profile: ReaderProfile): Interest[] {
    return profile.topics.map((topic) => {
      const match = this.index.topic(topic);
      return {
        scores: match.scores,
        reason: (doc: number) => describeMatch(match.topic, this.index.explain(topic, doc)),
      };
    });
  }

  /** The reader's digest, in the order shown (best first); empty when nothing new fits them. */
  choose(profile: ReaderProfile, mode: 'daily' | 'week'): ChosenPaper[] {
    const { config } = this;
    const n = this.entries.length;
    const interests = this.interests(profile);
    const personal = interests.length > 0;
    // Per-candidate working arrays, reused from reader to reader (a digest is chosen in microseconds).
    const { scores, bestInterest, relevance, author, blocked } = this.scratch;
    bestInterest.fill(-1);
    relevance.fill(0);
    author.fill(-1);

    // Papers this reader cannot get: already received, excluded, or not new today.
    if (mode === 'daily') for (let d = 0; d < n; d += 1) blocked[d] = 1 - (this.eligibleFresh[d] as number);
    else blocked.fill(0);
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

    // A candidate's relevance is its best over the reader's interests.
    for (let t = 0; t < interests.length; t += 1) {
      const values = (interests[t] as Interest).scores;
      for (let d = 0; d < n; d += 1) {
        if ((values[d] as number) > (relevance[d] as number)) {
          relevance[d] = values[d] as number;
          bestInterest[d] = t;
        }
      }
    }
    for (let d = 0; d < n; d += 1) {
      scores[d] = Number.NEGATIVE_INFINITY;
      if (blocked[d]) continue;
      const followed = (author[d] as number) >= 0;
      let score = this.trend[d] as number;
      if (personal) {
        score = topicReaderScore(relevance[d] as number, this.signal[d] as number, config);
        if (Number.isNaN(score)) {
          bestInterest[d] = -1;
          if (!followed) continue;
          score = 0;
        }
      }
      scores[d] = followed ? score + config.authorBonus : score;
    }

    const chosen = this.diversify(scores, profile.digestSize);
    // The set is shown in score order: what the reader sees first is what scored best. Equal
    // scores keep the trending order without topics; with topics, the order of ids, so that a
    // listing's order never decides between two papers.
    const ids = this.ids;
    chosen.sort(
      (a, b) =>
        (scores[b] as number) - (scores[a] as number) ||
        (personal ? ((ids[a] as string) < (ids[b] as string) ? -1 : 1) : a - b),
    );

    return chosen.map((d) => {
      const entry = this.entries[d] as RankedPaper;
      const t = bestInterest[d] as number;
      const reasons: string[] = [];
      const about = t >= 0 ? interests[t]?.reason(d) : undefined;
      if (about) reasons.push(about);
      // Trending reasons when trending counted: always without topics, with them only when the
      // paper is on topic and has measured signals.
      const counted = !personal || (relevance[d] as number) >= config.onTopic;
      const trending = personal ? (counted ? (this.signal[d] as number) : 0) : (this.trend[d] as number);
      if (!personal || trending > 0) reasons.push(...entry.reasons);
      const a = author[d] as number;
      if (a >= 0) reasons.push(`by ${entry.paper.authors[a]}, whom you follow`);
      return {
        entry,
        score: scores[d] as number,
        trending,
        relevance: relevance[d] as number,
        reasons,
      };
    });
  }

  /**
   * Maximal marginal relevance: pick the candidate with the best λ·score − (1−λ)·redundancy,
   * redundancy being its highest similarity (above `redundantFrom`) to a paper already picked.
   * The pool is in score order and redundancy is never negative, so the scan stops once λ·score
   * cannot win; each candidate's redundancy is brought up to date only when it is looked at.
   */
  private diversify(scores: Float32Array, size: number): number[] {
    const { config } = this;
    const pool = bestIndexes(scores, size * config.poolFactor);
    const redundancy = new Float32Array(pool.length);
    const seen = new Uint8Array(pool.length);
    const taken = new Uint8Array(pool.length);
    const chosen: number[] = [];
    const λ = config.mmrLambda;
    const from = config.redundantFrom;
    while (chosen.length < Math.min(size, pool.length)) {
      let pick = -1;
      let pickValue = Number.NEGATIVE_INFINITY;
      for (let i = 0; i < pool.length; i += 1) {
        if (taken[i]) continue;
        const upper = λ * (scores[pool[i] as number] as number);
        if (upper <= pickValue) break;
        for (; (seen[i] as number) < chosen.length; seen[i] = (seen[i] as number) + 1) {
          const similarity = this.index.similarity(pool[i] as number, chosen[seen[i] as number] as number);
          const excess = (similarity - from) / (1 - from);
          if (excess > (redundancy[i] as number)) redundancy[i] = excess;
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
    return chosen;
  }
}

/**
 * The rule for one candidate of a reader with topics (docs/ranking.md): its relevance, plus,
 * once clearly on topic, a bounded share of its measured signals; NaN below the floor (it does
 * not enter). A learned profile would change the relevance it is given, not this rule.
 */
export function topicReaderScore(
  relevance: number,
  signal: number,
  config: SelectionConfig = selectionConfig,
): number {
  if (relevance < config.relevanceFloor) return Number.NaN;
  return relevance >= config.onTopic ? relevance + config.trendingWeight * signal : relevance;
}

/**
 * A topic match in words: what matched and where, as the paper writes it — "matches “retrieval”
 * in the title", "about “speculative decoding” (abstract)", "related to “model compression”:
 * “pruning” in the title".
 */
export function describeMatch(topic: string, match: MatchExplanation | null): string | undefined {
  if (!match) return undefined;
  const quote = (text: string[]) => text.map((t) => `“${t}”`).join(' and ');
  const where = match.parts.map((p) =>
    p.field === 'abstract' && match.kind === 'phrase'
      ? `${quote(p.text)} (abstract)`
      : `${quote(p.text)} in the ${p.field}`,
  );
  if (match.kind === 'related') return `related to “${topic}”: ${where.join(', ')}`;
  if (match.kind === 'phrase' && match.parts[0]?.field === 'abstract') return `about ${where[0]}`;
  return `matches ${where.join(', ')}`;
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
