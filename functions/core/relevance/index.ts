import { KNOWN_ACRONYMS } from './acronyms.ts';
import { definedAcronyms, type FieldTerms, fieldTerms, stem, type Token, tokenize } from './analyze.ts';

/** The fields of a paper that relevance reads. */
export interface IndexedDoc {
  title: string;
  abstract: string;
  keywords: readonly string[];
}

/**
 * Relevance settings, in one object so that the evaluation (`npm run bench -- --only relevance`)
 * tunes one place. docs/ranking.md explains each step.
 */
export const relevanceConfig = {
  /** BM25F over three fields. */
  k1: 1.2,
  b: 0.75,
  fieldWeights: { title: 3, keywords: 2, abstract: 1 },
  /**
   * A word that matches only through its Porter stem ("operators" ~ "operations", "general" ~
   * "generation") counts this much; the same word or its plural counts fully.
   */
  stemOnlyWeight: 0.6,
  /** Weight of an acronym's long form (and of the acronym for a long-form topic). */
  expansionWeight: 0.8,
  /**
   * Per-word idf gating for topics of several words: a paper's match is multiplied by
   * min(1, s / full)^exponent, s being the idf share of the topic's words it has, so that
   * "model merging" does not let in every paper that says "model" while a paper with the topic's
   * telling word ("merging") keeps its match.
   */
  coverage: { full: 0.35, exponent: 2 },
  /**
   * Bonus per idf unit when the topic's words stand together in the title / the abstract: in
   * order and adjacent counts fully, in any order within `slack` extra words counts `unordered`.
   */
  proximity: { title: 0.8, abstract: 0.4, unordered: 0.6, slack: 2 },
  /**
   * Expansion from the corpus itself (pseudo-relevance feedback weighted by specificity): the
   * best `docs` matches (those within `minShare` of the best) vote for the terms they share
   * (in at least `minDocs` of them) in proportion to how much more often the terms occur among
   * them than in the edition; the `terms` best are added at up to `weight`.
   */
  feedback: { docs: 8, minShare: 0.4, minDocs: 2, minLift: 2, terms: 10, weight: 0.35 },
  /** A topic's scores are relative to its best match, never above what this share of a full match scores. */
  goodMatchShare: 0.35,
  /** Terms kept per paper for the similarity used by diversification. */
  vectorTerms: 24,
  /** Up to this many documents, every pair's similarity is tabled on first use (2,000² bytes = 4 MB). */
  similarityTableMax: 2000,
  /**
   * Bounds of what the index memoizes per topic (scores, explanations) and per word (document
   * masks): topics come from anonymous feed URLs too, so past either bound every memo is dropped
   * and refilled. Far above the distinct topics of a real edition's readers.
   */
  memo: { topics: 20_000, bytes: 64 * 2 ** 20 },
};
export type RelevanceConfig = typeof relevanceConfig;

/** Where in a paper a topic matched. */
export type Field = 'title' | 'keywords' | 'abstract';

/** Why a paper matches a topic, for the reasons a digest shows. */
export interface MatchExplanation {
  /** `phrase`: the topic's words (or an acronym's long form) together; `words`: some of them; `related`: only terms the corpus associates with the topic. */
  kind: 'phrase' | 'words' | 'related';
  /** What matched, as the paper writes it, by field (title first). */
  parts: { field: Field; text: string[] }[];
}

/** A topic matched against the corpus: per document relevance in [0, 1]. */
export interface TopicMatch {
  topic: string;
  scores: Float32Array;
  /** The corpus's own terms added by feedback, best first (stems). */
  expansions: readonly string[];
}

interface Postings {
  docs: number[];
  impacts: number[];
}

/** One word of a topic (or a hyphenated group) and the ways a paper can say it. */
interface Concept {
  idf: number;
  /** Each way: its terms (all needed), its weight; `light` marks the topic's own word forms. */
  ways: { terms: string[]; lights: (string | undefined)[]; weight: number }[];
}

interface TopicQuery {
  concepts: Concept[];
  /** Runs of stems whose standing together earns the proximity bonus. */
  phrases: string[][];
  /** The topic's own terms in order (what a reason quotes when they stand together). */
  words: string[];
  /** Every term of every way (feedback leaves them out). */
  own: Set<string>;
}

/**
 * The edition's candidates, analyzed once: per-term BM25F impacts, light word forms, field
 * term sequences (phrases), bags of terms (feedback), term vectors (similarity), and the acronyms
 * the corpus defines. Topic matches are cached, so many subscribers with the same topic cost one
 * scoring.
 */
export class RelevanceIndex {
  readonly size: number;
  private readonly postings = new Map<string, Postings>();
  /** Documents by light word form (sorted), to tell a sure word match from a stem-only one. */
  private readonly lightDocs = new Map<string, number[]>();
  private readonly fields: { title: FieldTerms; abstract: FieldTerms; keywords: FieldTerms }[];
  /** Per document: every term id with its field-weighted frequency (for feedback). */
  private readonly bags: { ids: Int32Array; weights: Float32Array }[] = [];
  /** Per document: its top terms as sorted term ids, with weights scaled to a unit vector. */
  private readonly vectors: { ids: Int32Array; weights: Float32Array }[] = [];
  private readonly termIds = new Map<string, number>();
  private readonly termNames: string[] = [];
  private readonly df = new Map<string, number>();
  private readonly acronyms = new Map<string, string[]>();
  private readonly topics = new Map<string, TopicMatch & { query: TopicQuery }>();
  private readonly explanations = new Map<string, Map<number, MatchExplanation | null>>();
  private readonly wordDocs = new Map<string, Uint8Array>();
  /** Bytes held by `topics`, `explanations` and `wordDocs` (estimated), against `config.memo`. */
  private memoBytes = 0;
  /** The fields of the papers explained so far, as written (a digest explains few papers). */
  private readonly tokenized = new Map<
    number,
    { field: Field; text: string; tokens: Token[]; stems: string[] }[]
  >();

  constructor(
    private readonly docs: readonly IndexedDoc[],
    private readonly config = relevanceConfig,
  ) {
    this.size = docs.length;
    for (const [acronym, longForm] of Object.entries(KNOWN_ACRONYMS))
      this.acronyms.set(acronym, longForm.split(' '));
    for (const doc of docs) {
      for (const [acronym, longForm] of definedAcronyms(`${doc.title}. ${doc.abstract}`))
        this.acronyms.set(acronym, longForm);
    }
    // An acronym's long form in a paper counts as the acronym: "low-rank adaptation" is a
    // mention of "LoRA" (added to the bag of terms, not to the word order phrases read).
    const longForms = new Map<string, { acronym: string; stems: string[] }[]>();
    for (const [acronym, longForm] of this.acronyms) {
      if (longForm.length < 2) continue;
      const stems = longForm.map((w) => stem(w));
      const list = longForms.get(stems[0] as string);
      if (list) list.push({ acronym, stems });
      else longForms.set(stems[0] as string, [{ acronym, stems }]);
    }
    const analyze = (text: string): FieldTerms => {
      const field = fieldTerms(text);
      field.stems.forEach((term, i) => {
        for (const { acronym, stems } of longForms.get(term) ?? []) {
          if (stems.every((s, j) => field.stems[i + j] === s)) field.compounds.push(acronym);
        }
      });
      return field;
    };
    this.fields = docs.map((d) => ({
      title: analyze(d.title),
      abstract: analyze(d.abstract),
      keywords: analyze(d.keywords.join(' ; ')),
    }));

    // Weighted term frequencies per document, and document frequencies.
    const { fieldWeights, k1, b } = config;
    const tfs: Map<string, number>[] = [];
    const lengths: number[] = [];
    for (let d = 0; d < docs.length; d += 1) {
      const tf = new Map<string, number>();
      const lights = new Set<string>();
      for (const name of ['title', 'keywords', 'abstract'] as const) {
        const field = this.fields[d]?.[name] as FieldTerms;
        const weight = fieldWeights[name];
        for (const term of field.stems) tf.set(term, (tf.get(term) ?? 0) + weight);
        for (const term of field.compounds) tf.set(term, (tf.get(term) ?? 0) + weight);
        for (const light of field.lights) lights.add(light);
      }
      for (const light of lights) {
        const list = this.lightDocs.get(light);
        if (list) list.push(d);
        else this.lightDocs.set(light, [d]);
      }
      tfs.push(tf);
      lengths.push([...tf.values()].reduce((a, v) => a + v, 0));
      for (const term of tf.keys()) this.df.set(term, (this.df.get(term) ?? 0) + 1);
    }
    const avgLength = lengths.reduce((a, v) => a + v, 0) / Math.max(1, lengths.length);

    for (let d = 0; d < docs.length; d += 1) {
      const tf = tfs[d] as Map<string, number>;
      const norm = 1 - b + (b * (lengths[d] as number)) / avgLength;
      const weighted: [number, number][] = [];
      const bag: [number, number][] = [];
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
        const id = this.termId(term);
        bag.push([id, f]);
        weighted.push([id, f * idf]);
      }
      this.bags.push({
        ids: Int32Array.from(bag, ([id]) => id),
        weights: Float32Array.from(bag, ([, f]) => f),
      });
      weighted.sort((x, y) => y[1] - x[1]);
      const top = weighted.slice(0, config.vectorTerms);
      const length = Math.hypot(...top.map(([, w]) => w)) || 1;
      top.sort((x, y) => x[0] - y[0]);
      this.vectors.push({
        ids: Int32Array.from(top, ([id]) => id),
        weights: Float32Array.from(top, ([, w]) => w / length),
      });
    }
  }

  /** Idf by term, memoized: learned profiles ask for the same terms reader after reader. */
  private readonly idfs = new Map<string, number>();

  idf(term: string): number {
    let value = this.idfs.get(term);
    if (value === undefined) {
      const n = this.df.get(term) ?? 0;
      value = Math.log(1 + (this.size - n + 0.5) / (n + 0.5));
      // Only the corpus's own terms: a topic's unknown words would grow it without bound.
      if (n > 0 && this.idfs.size < 1_000_000) this.idfs.set(term, value);
    }
    return value;
  }

  /** Relevance of every document to a free-text topic, in [0, 1]; cached per topic. */
  topic(topic: string): TopicMatch {
    const key = topic.trim().toLowerCase();
    let match = this.topics.get(key);
    if (!match) {
      const query = this.parse(topic);
      match = { topic: topic.trim(), query, ...this.scoreTopic(query) };
      this.remember(match.scores.byteLength + 2 * key.length + 256);
      this.topics.set(key, match);
    }
    return match;
  }

  /** Counts `bytes` about to be memoized; past a bound, drops every per-topic and per-word memo first. */
  private remember(bytes: number): void {
    const { topics, bytes: max } = this.config.memo;
    if (this.memoBytes + bytes > max || this.topics.size >= topics) {
      this.topics.clear();
      this.explanations.clear();
      this.wordDocs.clear();
      this.memoBytes = 0;
    }
    this.memoBytes += bytes;
  }

  /** How many topics are memoized (for tests of the bound). */
  get memoizedTopics(): number {
    return this.topics.size;
  }

  /**
   * What of a topic a paper has and where, as the paper writes it; null when nothing. Computed
   * for the few papers a digest shows, and cached per topic.
   */
  explain(topic: string, doc: number): MatchExplanation | null {
    const match = this.topic(topic) as TopicMatch & { query: TopicQuery };
    let cache = this.explanations.get(match.topic.toLowerCase());
    if (!cache) {
      cache = new Map();
      this.explanations.set(match.topic.toLowerCase(), cache);
    }
    let found = cache.get(doc);
    if (found === undefined) {
      found = this.computeExplanation(match, doc);
      this.remember(256);
      cache.set(doc, found);
    }
    return found;
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
      id = this.termNames.length;
      this.termIds.set(term, id);
      this.termNames.push(term);
    }
    return id;
  }

  /**
   * A term's documents and their BM25F impacts (the arrays themselves: read, never change), or
   * undefined when no document has it: lets a caller score a bag of terms over only the
   * documents it touches (a learned profile, reader after reader).
   */
  postingsOf(
    term: string,
  ): { readonly docs: readonly number[]; readonly impacts: readonly number[] } | undefined {
    return this.postings.get(term);
  }

  /** A document's term vector (its top tf-idf terms by id, unit length), as {@link similarityToVector} reads it. */
  vectorOf(doc: number): { readonly ids: Int32Array; readonly weights: Float32Array } | undefined {
    return this.vectors[doc];
  }

  /** BM25F's k1 + 1: a full match's impact per unit of idf (a term's most, whatever its frequency). */
  get fullImpact(): number {
    return this.config.k1 + 1;
  }

  /**
   * A bag of terms (a paper a reader voted on) as a unit vector over this edition's terms,
   * weighted by its idf, for {@link similarityToVector}: made once, compared with many papers.
   */
  termVector(
    terms: readonly { t: string; w: number }[],
    /** The paper's id: a paper many readers voted on is made a vector once (its terms are its own). */
    key?: string,
  ): { ids: Int32Array; weights: Float32Array } {
    const cached = key === undefined ? undefined : this.termVectors.get(key);
    if (cached) return cached;
    const found: [number, number][] = [];
    let norm = 0;
    for (const { t, w } of terms) {
      const weight = w * this.idf(t);
      norm += weight * weight;
      const id = this.termIds.get(t);
      if (id !== undefined) found.push([id, weight]);
    }
    found.sort((a, b) => a[0] - b[0]);
    const length = Math.sqrt(norm) || 1;
    const vector = {
      ids: Int32Array.from(found, ([id]) => id),
      weights: Float32Array.from(found, ([, w]) => w / length),
    };
    if (key !== undefined && this.termVectors.size < 50_000) this.termVectors.set(key, vector);
    return vector;
  }

  private readonly termVectors = new Map<string, { ids: Int32Array; weights: Float32Array }>();

  /** A term's id in this edition, or -1 when no paper has it (for {@link hasTopTerm}). */
  termIdOf(term: string): number {
    return this.termIds.get(term) ?? -1;
  }

  /** Whether a term (by id) is among a document's top terms (its similarity vector). */
  hasTopTerm(doc: number, id: number): boolean {
    const ids = this.vectors[doc]?.ids;
    if (!ids || id < 0) return false;
    let lo = 0;
    let hi = ids.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const at = ids[mid] as number;
      if (at === id) return true;
      if (at < id) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }

  /**
   * Cosine similarity of a document's term vector (its top tf-idf terms) and a {@link termVector}:
   * how alike a candidate and a paper the reader voted on are, whether or not that paper is in
   * the edition.
   */
  similarityToVector(doc: number, y: { ids: Int32Array; weights: Float32Array }): number {
    const x = this.vectors[doc];
    if (!x) return 0;
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

  /** Documents whose title, keywords or abstract contain the word (any form of it). */
  containing(word: string): Uint8Array {
    const term = stem(word.toLowerCase());
    let mask = this.wordDocs.get(term);
    if (!mask) {
      mask = new Uint8Array(this.size);
      for (const d of this.postings.get(term)?.docs ?? []) mask[d] = 1;
      this.remember(mask.byteLength + 2 * term.length);
      this.wordDocs.set(term, mask);
    }
    return mask;
  }

  /** The topic's words as concepts, each with the ways a paper may say it. */
  private parse(topic: string): TopicQuery {
    const { expansionWeight } = this.config;
    const tokens = tokenize(topic);
    const concepts: Concept[] = [];
    const phrases: string[][] = [];
    const main: string[] = [];
    for (let i = 0; i < tokens.length; i += 1) {
      // A hyphenated group is one concept: joined ("hyper-parameter" → "hyperparameter") or in parts.
      const group: Token[] = [tokens[i] as Token];
      while ((tokens[i] as Token).hyphenNext && tokens[i + 1]) group.push(tokens[++i] as Token);
      const ways: Concept['ways'] = [
        { terms: group.map((t) => t.stem), lights: group.map((t) => t.light), weight: 1 },
      ];
      if (group.length > 1) {
        const joined = stem(group.map((t) => t.word).join(''));
        if (this.df.has(joined)) ways.push({ terms: [joined], lights: [undefined], weight: 1 });
        phrases.push(group.map((t) => t.stem));
      }
      main.push(...group.map((t) => t.stem));
      // Acronyms both ways: "RAG" also looks for its long form.
      if (group.length === 1) {
        const word = (group[0] as Token).word;
        // An acronym typed in lower case ("odes") is found as the papers write it ("ODEs" → "ode").
        for (const raw of new Set([word, word.replace(/s$/u, '')])) {
          if (raw !== (group[0] as Token).stem && this.acronyms.has(raw) && this.df.has(raw))
            ways.push({ terms: [raw], lights: [undefined], weight: 1 });
        }
        const longForm = this.acronyms.get(word) ?? this.acronyms.get(word.replace(/s$/u, ''));
        if (longForm && longForm.length > 1) {
          const expanded = longForm.map((w) => stem(w));
          ways.push({ terms: expanded, lights: expanded.map(() => undefined), weight: expansionWeight });
        }
      }
      const idf = Math.max(...ways.map((w) => w.terms.reduce((s, t) => s + this.idf(t), 0) / w.terms.length));
      concepts.push({ idf, ways });
    }
    if (main.length >= 2) phrases.push(main);

    // …and the long form also looks for the acronym ("state space models" → "SSM"): a paper
    // that says only "SSM" has every concept of the topic.
    const joined = main.join(' ');
    for (const [acronym, longForm] of this.acronyms) {
      if (longForm.length > 1 && longForm.map((w) => stem(w)).join(' ') === joined && this.df.has(acronym)) {
        for (const concept of concepts)
          concept.ways.push({ terms: [acronym], lights: [undefined], weight: expansionWeight });
      }
    }
    const own = new Set(concepts.flatMap((c) => c.ways.flatMap((w) => w.terms)));
    return { concepts, phrases, words: main, own };
  }

  private scoreTopic(query: TopicQuery): { scores: Float32Array; expansions: string[] } {
    const { config } = this;
    const n = this.size;
    const scores = new Float32Array(n);
    if (query.concepts.length === 0) return { scores, expansions: [] };

    // First pass: BM25F per concept, the best of its ways (a way of several words scores their
    // mean, so "low-rank adaptation" counts as much as "LoRA"); a stem-only match discounted.
    for (const concept of query.concepts) {
      const best = new Float32Array(n);
      for (const way of concept.ways) {
        const sum = new Float32Array(n);
        const found = new Uint8Array(n);
        way.terms.forEach((term, i) => {
          const list = this.postings.get(term);
          if (!list) return;
          const light = way.lights[i];
          const sure = light ? this.mask(light) : undefined;
          for (let j = 0; j < list.docs.length; j += 1) {
            const d = list.docs[j] as number;
            const form = !sure || sure[d] ? 1 : config.stemOnlyWeight;
            sum[d] = (sum[d] as number) + form * (list.impacts[j] as number);
            found[d] = (found[d] as number) + 1;
          }
        });
        // A way of several words counts only when the paper has them all.
        const all = way.terms.length;
        const scale = way.weight / all;
        for (let d = 0; d < n; d += 1) {
          const value = found[d] === all ? (sum[d] as number) * scale : 0;
          if (value > (best[d] as number)) best[d] = value;
        }
      }
      for (let d = 0; d < n; d += 1) scores[d] = (scores[d] as number) + (best[d] as number);
    }

    // Gating: the idf share of the topic's concepts a paper has, so that a common word alone
    // counts for little. A paper with a long-form topic's acronym has them all.
    if (query.concepts.length > 1) {
      const coverage = this.coverage(query);
      const { full, exponent } = config.coverage;
      for (let d = 0; d < n; d += 1)
        scores[d] = (scores[d] as number) * Math.min(1, (coverage[d] as number) / full) ** exponent;
    }

    // Proximity: the topic's words together (in order, or near each other) in title or abstract.
    for (const phrase of query.phrases) {
      const bonus = phrase.reduce((sum, t) => sum + this.idf(t), 0) / phrase.length;
      const candidates = this.docsWithAll(phrase);
      for (const d of candidates) {
        const fields = this.fields[d] as (typeof this.fields)[number];
        const title = nearness(fields.title.stems, phrase, config.proximity);
        const abstract = nearness(fields.abstract.stems, phrase, config.proximity);
        const best = Math.max(title * config.proximity.title, abstract * config.proximity.abstract);
        scores[d] = (scores[d] as number) + bonus * best;
      }
    }

    // Expansion from the corpus itself: terms the best matches share, weighted by specificity.
    const expansions = this.feedbackTerms(scores, query);
    for (const [term, weight] of expansions) {
      const list = this.postings.get(term);
      if (!list) continue;
      for (let i = 0; i < list.docs.length; i += 1) {
        const d = list.docs[i] as number;
        scores[d] = (scores[d] as number) + weight * (list.impacts[i] as number);
      }
    }

    // Relative to the best match, but never above what a plain good match scores: a topic the
    // corpus hardly touches stays low, so the relevance floor can leave its papers out.
    const best = scores.reduce((m, s) => Math.max(m, s), 0);
    const full = query.concepts.reduce((sum, c) => sum + c.idf, 0) * (config.k1 + 1);
    const scale = Math.max(best, full * config.goodMatchShare, 1e-9);
    for (let d = 0; d < n; d += 1) scores[d] = Math.min(1, (scores[d] as number) / scale);
    return { scores, expansions: [...expansions.keys()] };
  }

  /** Per document, the idf-weighted share of the topic's concepts it has (a stem-only word counts less). */
  private coverage(query: TopicQuery): Float32Array {
    const n = this.size;
    const total = query.concepts.reduce((sum, c) => sum + c.idf, 0) || 1;
    const coverage = new Float32Array(n);
    for (const concept of query.concepts) {
      const has = new Float32Array(n);
      for (const way of concept.ways) {
        const present = new Float32Array(n).fill(way.weight);
        way.terms.forEach((term, i) => {
          const docs = this.mask(term, 'stem');
          const light = way.lights[i];
          const sure = light ? this.mask(light) : undefined;
          for (let d = 0; d < n; d += 1) {
            if (!docs[d]) present[d] = 0;
            else if (sure && !sure[d]) present[d] = (present[d] as number) * this.config.stemOnlyWeight;
          }
        });
        for (let d = 0; d < n; d += 1)
          if ((present[d] as number) > (has[d] as number)) has[d] = present[d] as number;
      }
      for (let d = 0; d < n; d += 1)
        coverage[d] = (coverage[d] as number) + (concept.idf * (has[d] as number)) / total;
    }
    return coverage;
  }

  /** Documents with a term (`stem`) or a light word form, as a 0/1 mask (cached). */
  private mask(key: string, kind: 'light' | 'stem' = 'light'): Uint8Array {
    const cacheKey = `${kind}:${key}`;
    let mask = this.wordDocs.get(cacheKey);
    if (!mask) {
      mask = new Uint8Array(this.size);
      const docs = kind === 'light' ? this.lightDocs.get(key) : this.postings.get(key)?.docs;
      for (const d of docs ?? []) mask[d] = 1;
      this.remember(mask.byteLength + 2 * cacheKey.length);
      this.wordDocs.set(cacheKey, mask);
    }
    return mask;
  }

  private docsWithAll(terms: readonly string[]): number[] {
    const lists = terms.map((t) => this.postings.get(t)?.docs ?? []);
    lists.sort((a, b) => a.length - b.length);
    const [first, ...rest] = lists;
    const sets = rest.map((list) => new Set(list));
    return (first ?? []).filter((d) => sets.every((s) => s.has(d)));
  }

  /**
   * Pseudo-relevance feedback weighted by specificity: the best matches vote for the terms they
   * share, each term's vote being its (match-weighted) share among them times the log of how
   * much more often it occurs among them than in the whole edition. Terms found in fewer than
   * `minDocs` of them, in only one paper of the edition, or in the topic itself do not count.
   */
  private feedbackTerms(scores: Float32Array, query: TopicQuery): Map<string, number> {
    const { docs: take, minShare, minDocs, minLift, terms: keep, weight } = this.config.feedback;
    const best = scores.reduce((m, s) => Math.max(m, s), 0);
    if (best <= 0 || weight <= 0) return new Map();
    const top = bestDocs(scores, take, minShare * best);
    if (top.length < minDocs) return new Map();
    const mass = top.reduce((sum, d) => sum + (scores[d] as number), 0);
    const share = new Map<number, number>();
    const count = new Map<number, number>();
    for (const d of top) {
      const bag = this.bags[d] as (typeof this.bags)[number];
      const p = (scores[d] as number) / mass;
      for (let i = 0; i < bag.ids.length; i += 1) {
        const id = bag.ids[i] as number;
        share.set(id, (share.get(id) ?? 0) + p);
        count.set(id, (count.get(id) ?? 0) + 1);
      }
    }
    const votes: [string, number][] = [];
    for (const [id, inTop] of share) {
      const term = this.termNames[id] as string;
      const df = this.df.get(term) ?? 0;
      const inF = count.get(id) ?? 0;
      if (inF < minDocs || df <= inF || query.own.has(term)) continue;
      const lift = inTop / (df / this.size);
      if (lift >= minLift) votes.push([term, inTop * Math.log(lift)]);
    }
    votes.sort((a, b) => b[1] - a[1]);
    const ranked = votes.slice(0, keep);
    const max = ranked[0]?.[1] ?? 1;
    return new Map(ranked.map(([term, v]) => [term, (weight * v) / max]));
  }

  private computeExplanation(
    match: TopicMatch & { query: TopicQuery },
    doc: number,
  ): MatchExplanation | null {
    const paper = this.docs[doc];
    if (!paper || !((match.scores[doc] ?? 0) > 0)) return null;
    const { query } = match;
    let fields = this.tokenized.get(doc);
    if (!fields) {
      fields = FIELD_ORDER.map((field) => {
        const text =
          field === 'title'
            ? paper.title
            : field === 'keywords'
              ? paper.keywords.join(' ; ')
              : paper.abstract;
        const tokens = tokenize(text);
        return { field, text, tokens, stems: tokens.map((t) => t.stem) };
      });
      this.tokenized.set(doc, fields);
    }
    // The first field where a run of terms stands together (any order, within one clause), as
    // the paper writes it.
    const find = (terms: readonly string[]) => {
      for (const { field, text, tokens, stems } of fields) {
        const span = nearestSpan(stems, terms, 0);
        const surface = span && surfaceOf(text, tokens, span);
        if (surface && !/[^\p{L}\p{M}\p{N}\s'’‐‑-]/u.test(surface)) return { field, text: surface };
      }
      return undefined;
    };

    // The whole topic together.
    if (query.concepts.length > 1) {
      const whole = find(query.words);
      if (whole) return { kind: 'phrase', parts: [{ field: whole.field, text: [whole.text] }] };
    }
    // Otherwise each concept the paper has, in the first field that has it (any of its ways).
    const parts: MatchExplanation['parts'] = [];
    const add = (field: Field, text: string) => {
      const part = parts.find((p) => p.field === field);
      if (!part) parts.push({ field, text: [text] });
      else if (!part.text.some((t) => t.toLowerCase() === text.toLowerCase())) part.text.push(text);
    };
    for (const concept of query.concepts) {
      let best: { field: Field; text: string } | undefined;
      for (const way of concept.ways) {
        const found = find(way.terms);
        if (found && (!best || FIELD_ORDER.indexOf(found.field) < FIELD_ORDER.indexOf(best.field)))
          best = found;
      }
      if (best) add(best.field, best.text);
    }
    let kind: MatchExplanation['kind'] = 'words';
    if (parts.length === 0) {
      // Only terms the corpus associates with the topic.
      kind = 'related';
      for (const term of match.expansions) {
        const found = find([term]);
        if (found) add(found.field, found.text);
        if (parts.reduce((n, p) => n + p.text.length, 0) >= 2) break;
      }
    }
    if (parts.length === 0) return null;
    parts.sort((a, b) => FIELD_ORDER.indexOf(a.field) - FIELD_ORDER.indexOf(b.field));
    const single = query.concepts.length === 1 && kind === 'words';
    return { kind: single && (parts[0]?.text[0] ?? '').includes(' ') ? 'phrase' : kind, parts };
  }
}

const FIELD_ORDER: readonly Field[] = ['title', 'keywords', 'abstract'];

/** The indexes of the `k` best scores at least `min`, best first (ties in index order). */
function bestDocs(scores: Float32Array, k: number, min: number): number[] {
  const out: number[] = [];
  for (let d = 0; d < scores.length; d += 1) {
    const s = scores[d] as number;
    if (s < min || (out.length === k && s <= (scores[out[k - 1] as number] as number))) continue;
    let at = out.length;
    while (at > 0 && s > (scores[out[at - 1] as number] as number)) at -= 1;
    out.splice(at, 0, d);
    if (out.length > k) out.pop();
  }
  return out;
}

/**
 * How closely a field holds a phrase's terms: 1 when they stand in order side by side,
 * `unordered` when all stand within `slack` extra words of each other, else 0.
 */
function nearness(
  list: readonly string[],
  phrase: readonly string[],
  proximity: { unordered: number; slack: number },
): number {
  if (containsRun(list, phrase)) return 1;
  return nearestSpan(list, phrase, proximity.slack) ? proximity.unordered : 0;
}

/** The shortest window [start, end] of a list holding every term of a phrase, if within `slack` extra words. */
function nearestSpan(
  list: readonly string[],
  phrase: readonly string[],
  slack: number,
): [number, number] | undefined {
  const need = new Set(phrase);
  const limit = need.size + slack;
  let best: [number, number] | undefined;
  for (let start = 0; start < list.length; start += 1) {
    if (!need.has(list[start] as string)) continue;
    const seen = new Set<string>();
    for (let end = start; end < list.length && end - start < limit; end += 1) {
      const term = list[end] as string;
      if (need.has(term)) seen.add(term);
      if (seen.size === need.size) {
        if (!best || end - start < best[1] - best[0]) best = [start, end];
        break;
      }
    }
  }
  return best;
}

function containsRun(list: readonly string[], run: readonly string[]): boolean {
  outer: for (let i = 0; i + run.length <= list.length; i += 1) {
    for (let j = 0; j < run.length; j += 1) if (list[i + j] !== run[j]) continue outer;
    return true;
  }
  return false;
}

/** The text of a field between two tokens, as written (one line, stopwords between kept). */
function surfaceOf(text: string, tokens: readonly Token[], [from, to]: [number, number]): string {
  const start = (tokens[from] as Token).start;
  const end = (tokens[to] as Token).end;
  return text.slice(start, end).replace(/\s+/gu, ' ');
}
