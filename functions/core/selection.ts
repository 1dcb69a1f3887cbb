import type { Edition } from './edition.ts';
import type { LearnedProfile, LearnedTerm } from './learning.ts';
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
 *   shown in score order;
 * - learned (a reader's "more / fewer like this" clicks, `learned`): for a reader with topics,
 *   two tiers. First every paper on one of their topics (relevance at least `relevanceFloor`, or
 *   by an author they follow), ordered by the rule above, each gaining up to `boost` from its
 *   likeness to what they liked (a weakly matching paper never past `onTopic` by it: the clicks
 *   order papers within their band, as trending does); then, in the places left, papers that
 *   only resemble what they liked, scored at most `cap`. Nothing a click does moves a paper
 *   from one tier to the other. For a reader without topics, papers like the ones they liked
 *   come first (in the topic rule's order), then the trending order. A paper like the ones they
 *   disliked loses up to `dislike` (it moves down within its tier); a paper they voted on is
 *   never chosen again.
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
  /** Learning from clicks (docs/ranking.md, "Learning from one click"). */
  learned: {
    /** Terms of each vector applied per reader: the best by weight × the edition's idf. */
    terms: 16,
    /** Terms with a lower idf (in about half the edition's papers or more) are left out. */
    minIdf: 0.7,
    /** A learned match is relative to the reader's best match, never above what this share of a full match scores. */
    goodMatchShare: 0.2,
    /** Topic readers: the most a paper matched only by what they liked scores, within the second tier. */
    cap: 0.45,
    /** Topic readers: what an on-topic paper gains from matching what they liked, at most (a weak match stays below `onTopic`). */
    boost: 0.1,
    /** What matching what the reader disliked takes off a paper's score, at most (within its tier). */
    dislike: 0.5,
    /** A candidate is "similar to a paper you liked" from this cosine on. */
    similarFrom: 0.2,
    /** The most recent liked papers a reason compares a candidate with. */
    similarOf: 12,
  },
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
  /** What their "more / fewer like this" clicks taught (functions/core/learning.ts), if any. */
  learned?: LearnedProfile | undefined;
}

export interface ChosenPaper {
  entry: RankedPaper;
  /**
   * The score the list is ordered by, within its tier: for a reader with topics who clicked,
   * the papers on their topics come first whatever the scores of the papers after them (the
   * liked-alike ones, scored at most `learned.cap`).
   */
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
  /** A topic they typed, or what their clicks taught (`learned`: valid until the next reader's choice). */
  kind: 'topic' | 'learned';
  /** Relevance of each candidate, in [0, 1]. */
  scores: Float32Array;
  /** `learned` only: each candidate's likeness to what they disliked, in [0, 1]. */
  penalty?: Float32Array;
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
    /** Float64: the first tier's offset keeps every bit of a score (see ON_TOPIC_TIER). */
    scores: Float64Array;
    bestInterest: Int16Array;
    relevance: Float32Array;
    author: Int16Array;
    blocked: Uint8Array;
    liked: Float32Array;
    disliked: Float32Array;
    /** The documents `liked` and `disliked` hold a value for (all others are 0). */
    likedTouched: Touched;
    dislikedTouched: Touched;
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
      scores: new Float64Array(n),
      bestInterest: new Int16Array(n),
      relevance: new Float32Array(n),
      author: new Int16Array(n),
      blocked: new Uint8Array(n),
      liked: new Float32Array(n),
      disliked: new Float32Array(n),
      likedTouched: { docs: new Int32Array(n), seen: new Uint8Array(n), count: 0 },
      dislikedTouched: { docs: new Int32Array(n), seen: new Uint8Array(n), count: 0 },
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
    const interests: Interest[] = profile.topics.map((topic) => {
      const match = this.index.topic(topic);
      return {
        kind: 'topic',
        scores: match.scores,
        reason: (doc: number) => describeMatch(match.topic, this.index.explain(topic, doc)),
      };
    });
    const learned = profile.learned && this.learnedInterest(profile.learned);
    if (learned) interests.push(learned);
    return interests;
  }

  /**
   * What a reader's clicks taught, as an interest: their liked and disliked vectors (the best
   * terms by weight × this edition's idf) matched against the index, each scaled like a topic
   * (relative to the best match, never above what `goodMatchShare` of a full match scores). Its
   * arrays are the selector's own, reused by the next reader.
   */
  private learnedInterest(profile: LearnedProfile): Interest | undefined {
    if (profile.liked.length === 0 && profile.disliked.length === 0) return undefined;
    const settings = this.config.learned;
    const { liked, disliked, likedTouched, dislikedTouched } = this.scratch;
    const index = this.index;
    // Sparse: only the documents that have one of the profile's terms are written, scaled and,
    // for the next reader, zeroed again (a profile touches a fraction of the edition).
    const apply = (terms: readonly LearnedTerm[], out: Float32Array, touched: Touched) => {
      const { seen, docs: listed } = touched;
      let count = touched.count;
      for (let i = 0; i < count; i += 1) {
        const d = listed[i] as number;
        out[d] = 0;
        seen[d] = 0;
      }
      count = 0;
      touched.count = 0;
      if (terms.length === 0) return;
      // The vector is sorted by weight: its first terms are enough to pick the best by weight × idf.
      const weighted: Weighted[] = [];
      for (let i = 0; i < terms.length && i < 2 * settings.terms; i += 1) {
        const term = terms[i] as LearnedTerm;
        const info = this.termPostings(term.t);
        const idf = info ? info.idf : index.idf(term.t);
        // A term most papers have tells nothing (and its postings are the longest). A term no
        // paper has still takes its place among the best (it matches nothing).
        if (idf >= settings.minIdf) weighted.push({ w: term.w * idf, idf, info: info ?? NO_POSTINGS });
      }
      if (weighted.length > settings.terms) {
        weighted.sort((a, b) => b.w - a.w);
        weighted.length = settings.terms;
      }
      // Σ weight · BM25F impact over the term's postings; `full`: a paper with every term.
      let full = 0;
      const impactPerIdf = index.fullImpact;
      for (let t = 0; t < weighted.length; t += 1) {
        const { w, idf, info } = weighted[t] as Weighted;
        if (info === NO_POSTINGS) continue;
        full += w * idf * impactPerIdf;
        const { docs, impacts } = info;
        for (let i = 0; i < docs.length; i += 1) {
          const d = docs[i] as number;
          if (seen[d] === 0) {
            seen[d] = 1;
            listed[count] = d;
            count += 1;
          }
          out[d] = (out[d] as number) + w * (impacts[i] as number);
        }
      }
      touched.count = count;
      let best = 0;
      for (let i = 0; i < count; i += 1) {
        const value = out[listed[i] as number] as number;
        if (value > best) best = value;
      }
      const scale = Math.max(best, full * settings.goodMatchShare, 1e-9);
      for (let i = 0; i < count; i += 1) {
        const d = listed[i] as number;
        out[d] = Math.min(1, (out[d] as number) / scale);
      }
    };
    apply(profile.liked, liked, likedTouched);
    apply(profile.disliked, disliked, dislikedTouched);
    // The most recent liked papers are the ones a reason counts (a digest explains ~10 papers).
    const likedVotes = profile.votes.filter((v) => v.vote === 'more').slice(-settings.similarOf);
    let chained = false;
    let likedTerms: { id: number; s: string }[] | undefined;
    return {
      kind: 'learned',
      scores: liked,
      penalty: disliked,
      reason: (doc: number) => {
        if (!chained) {
          this.chainVotes(likedVotes.map((vote) => this.index.termVector(vote.terms, vote.paperId)));
          chained = true;
        }
        let similar = 0;
        for (const dot of this.likedDots(doc)) if (dot >= settings.similarFrom) similar += 1;
        if (similar > 0) return `similar to ${similar} ${similar === 1 ? 'paper' : 'papers'} you liked`;
        // Else the liked words that are among the paper's own top terms.
        likedTerms ??= profile.liked.slice(0, 12).map((t) => ({ id: this.index.termIdOf(t.t), s: t.s }));
        const words = likedTerms
          .filter((t) => this.index.hasTopTerm(doc, t.id))
          .slice(0, 2)
          .map((t) => `“${t.s}”`);
        return words.length > 0 ? `${words.join(' and ')}, like papers you liked` : undefined;
      },
    };
  }

  /**
   * The liked papers' vectors of the reader whose reasons are being written, chained by term id
   * (`head[term]` → entry → `next`): a candidate's cosine with each of them is then one pass over
   * its own top terms instead of one merge per liked paper. Reset for the next reader by the
   * term ids it set.
   */
  private readonly chain = {
    head: new Int32Array(0),
    next: [] as number[],
    vote: [] as number[],
    weight: [] as number[],
    terms: [] as number[],
    dots: new Float64Array(0),
  };

  private chainVotes(vectors: readonly { ids: Int32Array; weights: Float32Array }[]): void {
    const chain = this.chain;
    for (const id of chain.terms) chain.head[id] = -1;
    chain.terms.length = 0;
    chain.next.length = 0;
    chain.vote.length = 0;
    chain.weight.length = 0;
    if (chain.dots.length !== vectors.length) chain.dots = new Float64Array(vectors.length);
    vectors.forEach((vector, v) => {
      for (let k = 0; k < vector.ids.length; k += 1) {
        const id = vector.ids[k] as number;
        if (id >= chain.head.length) {
          // Term ids grow as topics are parsed: the table grows with them.
          const head = new Int32Array(Math.max(id + 1, 2 * chain.head.length, 1024)).fill(-1);
          head.set(chain.head);
          chain.head = head;
        }
        if ((chain.head[id] as number) < 0) chain.terms.push(id);
        chain.next.push(chain.head[id] as number);
        chain.head[id] = chain.vote.length;
        chain.vote.push(v);
        chain.weight.push(vector.weights[k] as number);
      }
    });
  }

  /**
   * The candidate's cosine with each chained liked paper: the same products, summed in the same
   * order (ascending term id), as {@link RelevanceIndex.similarityToVector}.
   */
  private likedDots(doc: number): Float64Array {
    const { head, next, vote, weight, dots } = this.chain;
    dots.fill(0);
    const x = this.index.vectorOf(doc);
    if (!x) return dots;
    for (let k = 0; k < x.ids.length; k += 1) {
      const id = x.ids[k] as number;
      if (id >= head.length) continue;
      for (let e = head[id] as number; e >= 0; e = next[e] as number)
        dots[vote[e] as number] =
          (dots[vote[e] as number] as number) + (x.weights[k] as number) * (weight[e] as number);
    }
    return dots;
  }

  /** The edition's terms as learned profiles use them, made once each (typed postings, idf). */
  private readonly postings = new Map<string, TermPostings>();

  private termPostings(term: string): TermPostings | undefined {
    let info = this.postings.get(term);
    if (!info) {
      const list = this.index.postingsOf(term);
      // Only the edition's own terms are kept: the map is bounded by its vocabulary.
      if (!list) return undefined;
      info = {
        idf: this.index.idf(term),
        docs: Int32Array.from(list.docs),
        impacts: Float64Array.from(list.impacts),
      };
      this.postings.set(term, info);
    }
    return info;
  }

  /** The reader's digest, in the order shown (best first); empty when nothing new fits them. */
  choose(profile: ReaderProfile, mode: 'daily' | 'week'): ChosenPaper[] {
    const { config } = this;
    const n = this.entries.length;
    const interests = this.interests(profile);
    const learnedAt = interests.findIndex((i) => i.kind === 'learned');
    const learned = learnedAt >= 0 ? (interests[learnedAt] as Interest) : undefined;
    const topicCount = learned ? interests.length - 1 : interests.length;
    const hasTopics = topicCount > 0;
    // A reader without topics who liked papers gets a personal digest too.
    const likes = (profile.learned?.liked.length ?? 0) > 0;
    const personal = hasTopics || likes;
    const pos = learned?.scores;
    const neg = learned?.penalty;
    const settings = config.learned;
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
    // A paper they voted on is never sent again, whatever the vote.
    for (const vote of profile.learned?.votes ?? []) {
      const d = this.byId.get(vote.paperId);
      if (d !== undefined) blocked[d] = 1;
    }
    for (const word of profile.exclude) {
      const mask = this.index.containing(word);
      for (let d = 0; d < n; d += 1) if (mask[d]) blocked[d] = 1;
    }
    for (const name of profile.authors) {
      for (const { doc, position } of this.byAuthor.get(normalizeName(name)) ?? []) author[doc] = position;
    }

    // A candidate's relevance is its best over the reader's topics.
    for (let t = 0; t < topicCount; t += 1) {
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
      const signal = this.signal[d] as number;
      const liked = pos ? (pos[d] as number) : 0;
      let score = this.trend[d] as number;
      let tier = 0;
      if (hasTopics) {
        const rel = relevance[d] as number;
        const fromLearned = liked >= config.relevanceFloor ? settings.cap * liked : 0;
        if (rel >= config.relevanceFloor) {
          // First tier, on topic: the topic rule; what they liked orders papers within their
          // band (a weak match never past `onTopic` by it).
          tier = ON_TOPIC_TIER;
          score = topicReaderScore(rel, signal, config) + settings.boost * liked;
          if (rel < config.onTopic) score = Math.min(score, WEAK_CEILING * config.onTopic);
        } else if (followed) {
          // An author they follow lets a paper into the first tier below the floor.
          tier = ON_TOPIC_TIER;
          score = fromLearned;
          bestInterest[d] = fromLearned > 0 ? learnedAt : -1;
          if (fromLearned > 0) relevance[d] = liked;
        } else if (fromLearned > 0) {
          // Second tier: only like what they liked, after every on-topic paper.
          score = fromLearned;
          relevance[d] = liked;
          bestInterest[d] = learnedAt;
        } else {
          bestInterest[d] = -1;
          continue;
        }
      } else if (likes && liked >= config.relevanceFloor) {
        // No topics: papers like the liked ones first, by the topic rule, then the trending order.
        score = 1 + topicReaderScore(liked, signal, config);
        relevance[d] = liked;
        bestInterest[d] = learnedAt;
      }
      if (neg) score -= settings.dislike * (neg[d] as number);
      // Rounded to single precision as ever (the order of readers without clicks is unchanged),
      // then placed in its tier: the sum is exact in double precision.
      scores[d] = tier + Math.fround(followed ? score + config.authorBonus : score);
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
      // Every paper says why: one that came by the clicks alone and resembles no liked paper
      // closely enough to name, still came because of them.
      else if (t >= 0 && t === learnedAt) reasons.push(LIKED_FALLBACK);
      // Liked-alike papers say so even when a topic brought them in.
      if (learned && t !== learnedAt && pos && (pos[d] as number) >= config.relevanceFloor) {
        const alike = learned.reason(d);
        if (alike) reasons.push(alike);
      }
      // Trending reasons when trending counted: always in the trending order, otherwise only
      // when the paper is on topic and has measured signals.
      const byTrend = !hasTopics && t < 0;
      const counted = byTrend || (relevance[d] as number) >= config.onTopic;
      const trending = byTrend ? (this.trend[d] as number) : counted ? (this.signal[d] as number) : 0;
      if (byTrend || trending > 0) reasons.push(...entry.reasons);
      const a = author[d] as number;
      if (a >= 0) reasons.push(`by ${entry.paper.authors[a]}, whom you follow`);
      const score = scores[d] as number;
      return {
        entry,
        // Within its tier (the first tier's offset taken off): what `paperboy rank` shows.
        score: Math.fround(
          hasTopics && score >= ON_TOPIC_TIER - settings.dislike ? score - ON_TOPIC_TIER : score,
        ),
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
  private diversify(scores: Float64Array, size: number): number[] {
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

/** A learned term as applied: its weight × idf, its idf and postings. */
interface Weighted {
  w: number;
  idf: number;
  info: TermPostings;
}
/** The postings of a term no paper of the edition has. */
const NO_POSTINGS: TermPostings = { idf: 0, docs: new Int32Array(0), impacts: new Float64Array(0) };

/** A term's documents, their BM25F impacts, and its idf in the edition. */
interface TermPostings {
  idf: number;
  docs: Int32Array;
  impacts: Float64Array;
}

/** The documents a sparse score array holds a value for: listed once each (`seen`), `count` of them. */
interface Touched {
  docs: Int32Array;
  seen: Uint8Array;
  count: number;
}

/**
 * Topic readers' first tier (on topic, or by a followed author) is scored from here: above any
 * second-tier score (at most `cap` < 1) even after the largest dislike (0.5) and MMR's largest
 * redundancy penalty, so nothing a click does moves a paper across tiers.
 */
const ON_TOPIC_TIER = 2;
/** A weak topic match gains from likes up to just below `onTopic` (a clear match stays ahead). */
const WEAK_CEILING = 0.9999;
/** The reason of a paper the clicks alone brought, when no liked paper or word is close enough to name. */
export const LIKED_FALLBACK = 'like papers you liked';

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
function bestIndexes(scores: Float64Array, k: number): number[] {
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
