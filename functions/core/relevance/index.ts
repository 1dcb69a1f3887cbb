import { KNOWN_ACRONYMS } from './acronyms.ts';
import { definedAcronyms, stem, terms, words } from './analyze.ts';

/** The fields of a paper that relevance reads. */
export interface IndexedDoc {
  title: string;
  abstract: string;
  keywords: readonly string[];
}

/**
 * Relevance settings. BM25F over three fields, then phrase, acronym and corpus expansion.
 * All in one object so the evaluation (npm run bench) tunes one place.
 */
export const relevanceConfig = {
  k1: 1.2,
  b: 0.75,
  fieldWeights: { title: 3, keywords: 2, abstract: 1 },
  /** Weight of an acronym's long form terms (and of the acronym for a long-form topic). */
  expansionWeight: 0.8,
  /** Bonus per idf unit when the topic's words stand together, in the title / the abstract. */
  phraseBonus: { title: 0.8, abstract: 0.4 },
  /** Pseudo-relevance feedback: terms taken from the best few matches, at a low weight. */
  feedback: { docs: 5, terms: 8, weight: 0.25 },
  /** Terms kept per paper for the similarity used by diversification. */
  vectorTerms: 24,
  /** Up to this many documents, every pair's similarity is tabled on first use (2,000² bytes = 4 MB). */
  similarityTableMax: 2000,
};
export type RelevanceConfig = typeof relevanceConfig;

/** A topic matched against the corpus: per document relevance in [0, 1]. */
export interface TopicMatch {
  topic: string;
  scores: Float32Array;
}

interface Postings {
  docs: number[];
  impacts: number[];
}

/**
 * The edition's candidates, analyzed once: per-term BM25F impacts, title and abstract term
 * sequences (phrases), term vectors (similarity), and the acronyms the corpus defines. Topic
 * matches are cached, so many subscribers with the same topic cost one scoring.
 */
export class RelevanceIndex {
  readonly size: number;
  private readonly postings = new Map<string, Postings>();
  private readonly titleTerms: string[][];
  private readonly abstractTerms: string[][];
  /** Per document: its top terms as sorted term ids, with weights scaled to a unit vector. */
  private readonly vectors: { ids: Int32Array; weights: Float32Array; terms: Map<string, number> }[];
  private readonly termIds = new Map<string, number>();
  private readonly acronyms = new Map<string, string[]>();
  private readonly topics = new Map<string, TopicMatch>();
  private readonly wordDocs = new Map<string, Uint8Array>();

  constructor(
    docs: readonly IndexedDoc[],
    private readonly config = relevanceConfig,
  ) {
    this.size = docs.length;
    this.titleTerms = docs.map((d) => terms(d.title));
    this.abstractTerms = docs.map((d) => terms(d.abstract));
    const keywordTerms = docs.map((d) => terms(d.keywords.join(' ')));

    // Weighted term frequencies per document, and document frequencies.
    const { fieldWeights, k1, b } = config;
    const tfs: Map<string, number>[] = [];
    const lengths: number[] = [];
    const df = new Map<string, number>();
    for (let d = 0; d < docs.length; d += 1) {
      const tf = new Map<string, number>();
      const add = (list: string[], weight: number) => {
        for (const term of list) tf.set(term, (tf.get(term) ?? 0) + weight);
      };
      add(this.titleTerms[d] as string[], fieldWeights.title);
      add(keywordTerms[d] as string[], fieldWeights.keywords);
      add(this.abstractTerms[d] as string[], fieldWeights.abstract);
      tfs.push(tf);
      lengths.push([...tf.values()].reduce((a, v) => a + v, 0));
      for (const term of tf.keys()) df.set(term, (df.get(term) ?? 0) + 1);
    }
    const avgLength = lengths.reduce((a, v) => a + v, 0) / Math.max(1, lengths.length);
    this.idfs = new Map(
      [...df].map(([term, n]) => [term, Math.log(1 + (docs.length - n + 0.5) / (n + 0.5))]),
    );

    this.vectors = [];
    for (let d = 0; d < docs.length; d += 1) {
      const tf = tfs[d] as Map<string, number>;
      const norm = 1 - b + (b * (lengths[d] as number)) / avgLength;
      const weighted: [string, number][] = [];
      for (const [term, f] of tf) {
        const idf = this.idf(term);
        const impact = (idf * (f * (k1 + 1))) / (f + k1 * norm);
        let list = this.postings.get(term);
        if (!list) {
          list = { docs: [], impacts: [] };
          this.postings.set(term, list);
        }
        list.docs.push(d);
        list.impacts.push(impact);
        weighted.push([term, f * idf]);
      }
      weighted.sort((x, y) => y[1] - x[1]);
      const top = weighted.slice(0, config.vectorTerms);
      const length = Math.hypot(...top.map(([, w]) => w)) || 1;
      const byId = top
        .map(([term, w]) => [this.termId(term), w / length] as const)
        .sort((x, y) => x[0] - y[0]);
      this.vectors.push({
        ids: Int32Array.from(byId, ([id]) => id),
        weights: Float32Array.from(byId, ([, w]) => w),
        terms: new Map(top),
      });
    }

    for (const [acronym, longForm] of Object.entries(KNOWN_ACRONYMS))
      this.acronyms.set(acronym, longForm.split(' '));
    for (const doc of docs) {
      for (const [acronym, longForm] of definedAcronyms(`${doc.title}. ${doc.abstract}`))
        this.acronyms.set(acronym, longForm);
    }
  }

  private readonly idfs: Map<string, number>;

  idf(term: string): number {
    return this.idfs.get(term) ?? Math.log(1 + (this.size + 0.5) / 0.5);
  }

  /** Relevance of every document to a free-text topic, in [0, 1]; cached per topic. */
  topic(topic: string): TopicMatch {
    const key = topic.trim().toLowerCase();
    let match = this.topics.get(key);
    if (!match) {
      match = { topic: topic.trim(), scores: this.scoreTopic(key) };
      this.topics.set(key, match);
    }
    return match;
  }

  /**
   * Every pair's similarity, in 1/255 steps (a diversity penalty needs no finer), built on first
   * use: 1,000 candidates make a 1 MB table that stays in cache, where a table of floats would not.
   */
  private similarities?: Uint8Array;

  /** Cosine similarity of two documents' term vectors, in [0, 1]. */
  similarity(a: number, b: number): number {
    if (this.size > this.config.similarityTableMax) return this.computeSimilarity(a, b);
    this.similarities ??= this.similarityTable();
    return (this.similarities[a * this.size + b] as number) / 255;
  }

  private similarityTable(): Uint8Array {
    const table = new Uint8Array(this.size * this.size);
    for (let a = 0; a < this.size; a += 1) {
      table[a * this.size + a] = 255;
      for (let b = a + 1; b < this.size; b += 1) {
        const value = Math.round(this.computeSimilarity(a, b) * 255);
        table[a * this.size + b] = value;
        table[b * this.size + a] = value;
      }
    }
    return table;
  }

  /** Cosine of two unit vectors: a merge of their sorted term ids. */
  private computeSimilarity(a: number, b: number): number {
    const x = this.vectors[a];
    const y = this.vectors[b];
    if (!x || !y) return 0;
    let dot = 0;
    let i = 0;
    let j = 0;
    while (i < x.ids.length && j < y.ids.length) {
      const xi = x.ids[i] as number;
      const yj = y.ids[j] as number;
      if (xi === yj) dot += (x.weights[i++] as number) * (y.weights[j++] as number);
      else if (xi < yj) i += 1;
      else j += 1;
    }
    return dot;
  }

  private termId(term: string): number {
    let id = this.termIds.get(term);
    if (id === undefined) {
      id = this.termIds.size;
      this.termIds.set(term, id);
    }
    return id;
  }

  /** Documents whose title, keywords or abstract contain the word (any form of it). */
  containing(word: string): Uint8Array {
    const term = stem(word.toLowerCase());
    let mask = this.wordDocs.get(term);
    if (!mask) {
      mask = new Uint8Array(this.size);
      for (const d of this.postings.get(term)?.docs ?? []) mask[d] = 1;
      this.wordDocs.set(term, mask);
    }
    return mask;
  }

  private scoreTopic(topic: string): Float32Array {
    const { config } = this;
    const topicWords = words(topic);
    const query = new Map<string, number>();
    const phrases: string[][] = [];
    const original = topicWords.map(stem);
    for (const term of original) query.set(term, Math.max(query.get(term) ?? 0, 1));
    if (original.length >= 2) phrases.push(original);

    // Acronyms both ways: "RAG" also looks for its long form, the long form also for "RAG".
    for (const word of topicWords) {
      const longForm = this.acronyms.get(word) ?? this.acronyms.get(word.replace(/s$/u, ''));
      if (longForm && longForm.length > 1) {
        const expanded = longForm.map((w) => stem(w));
        for (const term of expanded) query.set(term, Math.max(query.get(term) ?? 0, config.expansionWeight));
        phrases.push(expanded);
      }
    }
    const joined = original.join(' ');
    for (const [acronym, longForm] of this.acronyms) {
      if (longForm.length > 1 && longForm.map((w) => stem(w)).join(' ') === joined) {
        query.set(acronym, Math.max(query.get(acronym) ?? 0, config.expansionWeight));
      }
    }

    const scores = new Float32Array(this.size);
    this.accumulate(scores, query);
    for (const phrase of phrases) {
      const bonus = phrase.reduce((sum, t) => sum + this.idf(t), 0) / phrase.length;
      for (let d = 0; d < this.size; d += 1) {
        if (containsRun(this.titleTerms[d] as string[], phrase))
          scores[d] = (scores[d] as number) + bonus * config.phraseBonus.title;
        else if (containsRun(this.abstractTerms[d] as string[], phrase)) {
          scores[d] = (scores[d] as number) + bonus * config.phraseBonus.abstract;
        }
      }
    }

    // Expansion from the corpus itself: the terms that mark the best matches, lightly weighted.
    const feedback = this.feedbackTerms(scores, query);
    if (feedback.size > 0) this.accumulate(scores, feedback);

    // Relative to the best match, but never above what a plain good match scores: a topic the
    // corpus hardly touches stays low, so the relevance floor can leave its papers out.
    const best = scores.reduce((m, s) => Math.max(m, s), 0);
    const goodMatch = original.reduce((sum, t) => sum + this.idf(t), 0) * (config.k1 + 1) * 0.35;
    const scale = Math.max(best, goodMatch, 1e-9);
    for (let d = 0; d < this.size; d += 1) scores[d] = Math.min(1, (scores[d] as number) / scale);
    return scores;
  }

  private accumulate(scores: Float32Array, query: Map<string, number>): void {
    for (const [term, weight] of query) {
      const list = this.postings.get(term);
      if (!list) continue;
      for (let i = 0; i < list.docs.length; i += 1) {
        const d = list.docs[i] as number;
        scores[d] = (scores[d] as number) + weight * (list.impacts[i] as number);
      }
    }
  }

  private feedbackTerms(scores: Float32Array, query: Map<string, number>): Map<string, number> {
    const { docs: take, terms: keep, weight } = this.config.feedback;
    const top = [...scores.keys()]
      .filter((d) => (scores[d] as number) > 0)
      .sort((a, b) => (scores[b] as number) - (scores[a] as number))
      .slice(0, take);
    if (top.length < 2) return new Map();
    const votes = new Map<string, number>();
    for (const d of top) {
      for (const [term, w] of this.vectors[d]?.terms ?? []) {
        if (!query.has(term) && (this.postings.get(term)?.docs.length ?? 0) > 1)
          votes.set(term, (votes.get(term) ?? 0) + w);
      }
    }
    const ranked = [...votes].sort((a, b) => b[1] - a[1]).slice(0, keep);
    const max = ranked[0]?.[1] ?? 1;
    return new Map(ranked.map(([term, v]) => [term, (weight * v) / max]));
  }
}

function containsRun(list: readonly string[], run: readonly string[]): boolean {
  outer: for (let i = 0; i + run.length <= list.length; i += 1) {
    for (let j = 0; j < run.length; j += 1) if (list[i + j] !== run[j]) continue outer;
    return true;
  }
  return false;
}
