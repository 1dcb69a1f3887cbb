import * as z from 'zod';
import type { Paper } from './paper.ts';
import { tokenize } from './relevance/analyze.ts';

/**
 * What Paperboy learns from a reader's "more like this" / "fewer like this" clicks: a bounded,
 * Rocchio-style profile (docs/ranking.md, "Learning from one click"). Each vote keeps the voted
 * paper's top terms; the liked and disliked vectors are the sums of those terms over the votes,
 * each capped to its best terms. Selection matches the vectors against the edition's index
 * (where the edition's idf weighs them), beside the reader's topics.
 */
export const learningConfig = {
  /** Votes kept (the oldest go first): bounds the item and what a reader's past weighs. */
  maxVotes: 60,
  /** Terms kept per voted paper, by field-weighted frequency. */
  termsPerPaper: 16,
  /** Terms kept per vector (liked, disliked). */
  maxTerms: 60,
  /** Field weights of a term in a voted paper: present in the title, in the keywords, per use in the abstract (up to 3). */
  fieldWeights: { title: 3, keywords: 2, abstract: 1 },
};
export type LearningConfig = typeof learningConfig;

export type Vote = 'more' | 'fewer';

/** A term of a paper or of a vector: its stem (what matching uses), weight, and a word as written. */
export interface LearnedTerm {
  /** The stem (the relevance index's unit of matching). */
  t: string;
  w: number;
  /** The word as a person reads it (lower case), for the preferences page and reasons. */
  s: string;
}

export interface VoteRecord {
  paperId: string;
  vote: Vote;
  /** ISO time of the vote. */
  at: string;
  /** The paper's top terms, unit length. */
  terms: LearnedTerm[];
}

/** A reader's learned profile, as stored (one item in their partition). */
export interface LearnedProfile {
  /** Oldest first, at most `maxVotes`, one per paper. */
  votes: VoteRecord[];
  /** Sum of the liked papers' terms, best first, at most `maxTerms`. */
  liked: LearnedTerm[];
  /** Sum of the disliked papers' terms, best first, at most `maxTerms`. */
  disliked: LearnedTerm[];
  updatedAt: string;
  /** Optimistic-lock version: every change increments it. */
  version: number;
}

const TermSchema = z.object({
  t: z.string().min(1).max(64),
  w: z.number().finite().nonnegative(),
  s: z.string().min(1).max(64),
});
/**
 * A stored profile, checked as it is read (an item changed by hand must not break a send): the
 * reference for {@link parseLearnedProfile}, which the read path uses (tested to agree with it).
 */
export const LearnedProfileSchema = z.object({
  votes: z
    .array(
      z.object({
        paperId: z.string().min(1).max(64),
        vote: z.enum(['more', 'fewer']),
        at: z.string().max(40),
        terms: z.array(TermSchema).max(64),
      }),
    )
    .max(200),
  liked: z.array(TermSchema).max(200),
  disliked: z.array(TermSchema).max(200),
  updatedAt: z.string().max(40),
  version: z.number().int().nonnegative(),
});

/**
 * The stored profile checked by hand, exactly as {@link LearnedProfileSchema} checks it (the
 * same limits; unknown keys, such as the item's keys, left out), without zod's cost: the send
 * path reads one per reader with a profile (zod took about 0.4 ms for a 40-vote profile; this
 * a small fraction of it, `npm run bench -- --only digests`). Undefined when it is not one.
 */
export function parseLearnedProfile(value: unknown): LearnedProfile | undefined {
  if (!isRecord(value)) return undefined;
  const { votes, liked, disliked, updatedAt, version } = value;
  if (!Array.isArray(votes) || votes.length > 200) return undefined;
  if (!isText(updatedAt, 0, 40)) return undefined;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 0) return undefined;
  const likedTerms = termsOf(liked, 200);
  const dislikedTerms = termsOf(disliked, 200);
  if (!likedTerms || !dislikedTerms) return undefined;
  const records: VoteRecord[] = [];
  for (const vote of votes) {
    if (!isRecord(vote)) return undefined;
    const { paperId, vote: side, at, terms } = vote;
    if (!isText(paperId, 1, 64) || (side !== 'more' && side !== 'fewer') || !isText(at, 0, 40))
      return undefined;
    const checked = termsOf(terms, 64);
    if (!checked) return undefined;
    records.push({ paperId, vote: side, at, terms: checked });
  }
  return { votes: records, liked: likedTerms, disliked: dislikedTerms, updatedAt, version };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isText(value: unknown, min: number, max: number): value is string {
  return typeof value === 'string' && value.length >= min && value.length <= max;
}

function termsOf(value: unknown, max: number): LearnedTerm[] | undefined {
  if (!Array.isArray(value) || value.length > max) return undefined;
  const terms: LearnedTerm[] = [];
  for (const term of value) {
    if (!isRecord(term)) return undefined;
    const { t, w, s } = term;
    if (!isText(t, 1, 64) || !isText(s, 1, 64)) return undefined;
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) return undefined;
    terms.push({ t, w, s });
  }
  return terms;
}

/** A vote as the API receives it (query or form), checked with zod. */
export const VoteSchema = z.enum(['more', 'fewer'], { message: 'vote must be "more" or "fewer"' });

/**
 * The terms that describe a paper: its words (stopwords out, numbers out), stemmed as the
 * relevance index stems them, weighted by where they stand — in the title, in the keywords, in
 * the abstract (up to three uses) — the best `termsPerPaper`, scaled to unit length.
 */
export function paperTerms(
  paper: Pick<Paper, 'title' | 'abstract' | 'keywords'>,
  config: LearningConfig = learningConfig,
): LearnedTerm[] {
  const weights = new Map<string, { w: number; s: string; first: number; abstract: number }>();
  let order = 0;
  const add = (text: string, field: 'title' | 'keywords' | 'abstract') => {
    const seen = new Set<string>();
    for (const token of tokenize(text)) {
      if (/^\d+$/u.test(token.word) || token.word.length < 3) continue;
      let entry = weights.get(token.stem);
      if (!entry) {
        entry = { w: 0, s: token.word, first: order++, abstract: 0 };
        weights.set(token.stem, entry);
      }
      if (field === 'abstract') {
        if (entry.abstract < 3) {
          entry.abstract += 1;
          entry.w += config.fieldWeights.abstract;
        }
      } else if (!seen.has(token.stem)) {
        entry.w += config.fieldWeights[field];
      }
      seen.add(token.stem);
    }
  };
  add(paper.title, 'title');
  add(paper.keywords.join(' ; '), 'keywords');
  add(paper.abstract, 'abstract');
  const top = [...weights.entries()]
    .sort((a, b) => b[1].w - a[1].w || a[1].first - b[1].first)
    .slice(0, config.termsPerPaper);
  const length = Math.hypot(...top.map(([, e]) => e.w)) || 1;
  return top.map(([t, e]) => ({ t, w: round(e.w / length), s: e.s.slice(0, 64) }));
}

/** What a vote did: the profile after it, and whether anything changed (the same vote twice changes nothing). */
export interface VoteOutcome {
  profile: LearnedProfile;
  changed: boolean;
}

/**
 * Records one vote (pure): the same vote on the same paper again changes nothing; another vote on
 * a paper replaces the earlier one (more → fewer); past `maxVotes` the oldest vote goes. The
 * vectors are then recomputed from the votes kept, so they never hold a vote that is gone.
 */
export function applyVote(
  before: LearnedProfile | undefined,
  vote: { paperId: string; vote: Vote; terms: readonly LearnedTerm[] },
  now: Date,
  config: LearningConfig = learningConfig,
): VoteOutcome {
  const votes = before?.votes ?? [];
  const earlier = votes.find((v) => v.paperId === vote.paperId);
  if (before && earlier?.vote === vote.vote) return { profile: before, changed: false };
  const kept = votes.filter((v) => v.paperId !== vote.paperId);
  kept.push({
    paperId: vote.paperId,
    vote: vote.vote,
    at: now.toISOString(),
    terms: vote.terms.slice(0, config.termsPerPaper).map((t) => ({ ...t })),
  });
  while (kept.length > config.maxVotes) kept.shift();
  return {
    profile: {
      votes: kept,
      liked: sumTerms(kept, 'more', config.maxTerms),
      disliked: sumTerms(kept, 'fewer', config.maxTerms),
      updatedAt: now.toISOString(),
      version: (before?.version ?? 0) + 1,
    },
    changed: true,
  };
}

/** The Rocchio centroid of one side: each paper's unit vector summed, the best `max` terms kept. */
function sumTerms(votes: readonly VoteRecord[], side: Vote, max: number): LearnedTerm[] {
  const sum = new Map<string, LearnedTerm>();
  for (const vote of votes) {
    if (vote.vote !== side) continue;
    for (const term of vote.terms) {
      const entry = sum.get(term.t);
      if (entry) entry.w += term.w;
      else sum.set(term.t, { ...term });
    }
  }
  return [...sum.values()]
    .sort((a, b) => b.w - a.w || (a.t < b.t ? -1 : 1))
    .slice(0, max)
    .map((t) => ({ ...t, w: round(t.w) }));
}

/** What the preferences page shows of a profile: counts, and the words that weigh most. */
export interface LearnedSummary {
  liked: number;
  disliked: number;
  likedWords: string[];
  dislikedWords: string[];
  /** Something is stored that cannot be read (the next vote or a reset replaces it). */
  unreadable?: boolean;
}

export function summarizeLearned(
  stored: LearnedProfile | { profile: LearnedProfile | undefined; unreadable: boolean } | undefined,
  words = 8,
): LearnedSummary {
  const profile = stored && 'votes' in stored ? stored : stored?.profile;
  const unreadable = stored !== undefined && 'unreadable' in stored && stored.unreadable;
  const count = (side: Vote) => profile?.votes.filter((v) => v.vote === side).length ?? 0;
  return {
    liked: count('more'),
    disliked: count('fewer'),
    likedWords: (profile?.liked ?? []).slice(0, words).map((t) => t.s),
    dislikedWords: (profile?.disliked ?? []).slice(0, words).map((t) => t.s),
    ...(unreadable ? { unreadable: true } : {}),
  };
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
