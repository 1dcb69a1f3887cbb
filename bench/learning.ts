/**
 * Measured learning (issue 11, point 6): simulated readers with hidden interests receive 20 daily
 * editions of generated papers, chosen by the send path's own selection (`EditionSelector`), and
 * click "more like this" on delivered papers of their interests and "fewer like this" on the
 * others, with noise; their profiles change through the product's own `applyVote`. The same
 * readers, editions and days without learning are the baseline, in the same run.
 *
 * - Papers: 8 themes, each with its own vocabulary of made-up words (so nothing here was typed
 *   to match the product's analyzer), beside a generic vocabulary every paper uses; a fifth of
 *   the papers also touch a second theme. 150 new papers a day, random upvotes.
 * - Readers: 300, each with 1–3 hidden themes, and NO topics (they start empty: without
 *   learning they get the trending order, the product's choice for a reader without topics).
 * - Clicks: each delivered paper is clicked with probability 0.2; a click is "more" when the
 *   paper's main theme is one of the reader's, else "fewer", and 10 % of clicks are the wrong one.
 * - Judgments: gain 2 when the paper's main theme is one of the reader's, 1 when its second one
 *   is, else 0. nDCG@10 of the delivered digest against the ideal 10 of that day's papers.
 *
 * The seed of the themes, papers and readers decides everything. `learningConfig` and
 * `selectionConfig.learned` were tuned with TUNING_SEED (`npx tsx bench/learning.ts --tuning`);
 * the bench reports REPORT_SEED, never looked at while tuning.
 */
import { applyVote, type LearnedProfile, paperTerms } from '../functions/core/learning.ts';
import type { Paper } from '../functions/core/paper.ts';
import { rankTrending } from '../functions/core/ranking.ts';
import { EditionSelector, type ReaderProfile } from '../functions/core/selection.ts';

export const TUNING_SEED = 1;
export const REPORT_SEED = 20261127;

const THEMES = 8;
const THEME_WORDS = 40;
const PAPERS_PER_DAY = 150;
const READERS = 300;
const DAYS = 20;
const DIGEST = 10;
const CLICK_PROBABILITY = 0.2;
const WRONG_CLICK = 0.1;
const GENERIC =
  'model models learning method methods data results performance framework training task tasks network networks approach analysis evaluation large improve efficient novel problem problems experiments baseline general setting algorithm system systems'.split(
    ' ',
  );

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    // xorshift32
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

interface SimPaper {
  paper: Paper;
  theme: number;
  second: number;
}

/** Made-up words of 2–4 syllables: each theme's vocabulary, disjoint from the others. */
function vocabularies(random: () => number): string[][] {
  const syllables = 'ka lo mi re tu sa ve no bi da po ri xe fu ga zo le ti mu ne'.split(' ');
  const taken = new Set<string>();
  return Array.from({ length: THEMES }, () => {
    const words: string[] = [];
    while (words.length < THEME_WORDS) {
      const n = 2 + Math.floor(random() * 3);
      let word = '';
      for (let i = 0; i < n; i += 1) word += syllables[Math.floor(random() * syllables.length)];
      if (!taken.has(word)) {
        taken.add(word);
        words.push(word);
      }
    }
    return words;
  });
}

function makePapers(seed: number, vocab: string[][], day: number, random: () => number): SimPaper[] {
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)] as T;
  // Zipf-like use of a theme's words: a few are its common ones.
  const themeWord = (t: number) => (vocab[t] as string[])[Math.floor(THEME_WORDS * random() ** 2)] as string;
  const text = (main: number, second: number, words: number, share: number) =>
    Array.from({ length: words }, () => {
      const r = random();
      if (r < share) return themeWord(second >= 0 && random() < 0.35 ? second : main);
      return pick(GENERIC);
    }).join(' ');
  const published = new Date(Date.UTC(2026, 10, 1 + day, 6)).toISOString();
  return Array.from({ length: PAPERS_PER_DAY }, (_, i) => {
    const theme = Math.floor(random() * THEMES);
    const second = random() < 0.2 ? (theme + 1 + Math.floor(random() * (THEMES - 1))) % THEMES : -1;
    const paper: Paper = {
      id: `s${seed}-d${day}-${i}`,
      title: text(theme, second, 8, 0.5),
      abstract: `${text(theme, second, 80, 0.25)}.`,
      authors: [`Author ${i}`],
      publishedAt: published,
      source: 'hf-daily',
      links: {},
      keywords: [themeWord(theme), themeWord(theme)],
      categories: [],
      signals: { upvotes: Math.floor(random() ** 3 * 200), observedAt: published },
    };
    return { paper, theme, second };
  });
}

function gain(paper: SimPaper, interests: ReadonlySet<number>): number {
  if (interests.has(paper.theme)) return 2;
  return paper.second >= 0 && interests.has(paper.second) ? 1 : 0;
}

function ndcgAt10(gains: readonly number[], ideal: readonly number[]): number {
  const dcg = (list: readonly number[]) =>
    list.slice(0, 10).reduce((sum, g, i) => sum + (2 ** g - 1) / Math.log2(i + 2), 0);
  const best = dcg([...ideal].sort((a, b) => b - a));
  return best > 0 ? dcg(gains) / best : 0;
}

export interface LearningFigures {
  seed: number;
  readers: number;
  days: number;
  /** Mean nDCG@10 per day, with and without learning. */
  withLearning: number[];
  without: number[];
  votes: number;
  /** Mean profile size at the end (votes kept, liked terms, disliked terms). */
  profile: { votes: number; liked: number; disliked: number };
}

/** Runs the simulation for one seed (deterministic). */
export function simulateLearning(seed: number): LearningFigures {
  const random = rng(seed);
  const vocab = vocabularies(random);
  const readers = Array.from({ length: READERS }, () => {
    const count = 1 + Math.floor(random() * 3);
    const interests = new Set<number>();
    while (interests.size < count) interests.add(Math.floor(random() * THEMES));
    return { interests, profile: undefined as LearnedProfile | undefined, received: new Set<string>() };
  });
  const baselineReceived = readers.map(() => new Set<string>());
  const withLearning: number[] = [];
  const without: number[] = [];
  let votes = 0;
  const clicks = rng(seed ^ 0x5bd1e995);
  for (let day = 0; day < DAYS; day += 1) {
    const papers = makePapers(seed, vocab, day, random);
    const byId = new Map(papers.map((p) => [p.paper.id, p]));
    const now = new Date(Date.UTC(2026, 10, 1 + day, 7));
    const selector = new EditionSelector(
      rankTrending(
        papers.map((p) => p.paper),
        now,
      ),
    );
    let sumWith = 0;
    let sumWithout = 0;
    readers.forEach((reader, r) => {
      const ideal = papers.map((p) => gain(p, reader.interests));
      const base: ReaderProfile = {
        topics: [],
        authors: [],
        exclude: [],
        digestSize: DIGEST,
        sent: new Set(),
      };
      // Without learning: the same reader, no profile.
      const plain = selector.choose({ ...base, sent: baselineReceived[r] as Set<string> }, 'daily');
      sumWithout += ndcgAt10(
        plain.map((c) => gain(byId.get(c.entry.paper.id) as SimPaper, reader.interests)),
        ideal,
      );
      // With learning: their profile so far.
      const chosen = selector.choose({ ...base, sent: reader.received, learned: reader.profile }, 'daily');
      sumWith += ndcgAt10(
        chosen.map((c) => gain(byId.get(c.entry.paper.id) as SimPaper, reader.interests)),
        ideal,
      );
      for (const c of chosen) {
        reader.received.add(c.entry.paper.id);
        if (clicks() >= CLICK_PROBABILITY) continue;
        const sim = byId.get(c.entry.paper.id) as SimPaper;
        let more = reader.interests.has(sim.theme);
        if (clicks() < WRONG_CLICK) more = !more;
        reader.profile = applyVote(
          reader.profile,
          { paperId: sim.paper.id, vote: more ? 'more' : 'fewer', terms: paperTerms(sim.paper) },
          now,
        ).profile;
        votes += 1;
      }
    });
    withLearning.push(sumWith / readers.length);
    without.push(sumWithout / readers.length);
  }
  const mean = (f: (p: LearnedProfile) => number) =>
    readers.reduce((sum, r) => sum + (r.profile ? f(r.profile) : 0), 0) / readers.length;
  return {
    seed,
    readers: READERS,
    days: DAYS,
    withLearning,
    without,
    votes,
    profile: {
      votes: mean((p) => p.votes.length),
      liked: mean((p) => p.liked.length),
      disliked: mean((p) => p.disliked.length),
    },
  };
}

if (process.argv[1]?.endsWith('learning.ts')) {
  const seed = process.argv.includes('--tuning') ? TUNING_SEED : REPORT_SEED;
  const figures = simulateLearning(seed);
  const f = (n: number | undefined) => (n ?? 0).toFixed(3);
  console.log(
    `seed ${seed}: day 1 ${f(figures.withLearning[0])} / ${f(figures.without[0])}; day 20 ${f(figures.withLearning.at(-1))} / ${f(figures.without.at(-1))}; lift ${((figures.withLearning.at(-1) ?? 0) / (figures.without.at(-1) ?? 1)).toFixed(2)}; votes ${figures.votes}`,
  );
  console.log(figures.withLearning.map(f).join(' '));
}
