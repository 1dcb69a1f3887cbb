import { describe, expect, it } from 'vitest';
import { InvalidTokenError } from '../../../functions/core/errors.ts';
import {
  applyVote,
  type LearnedProfile,
  learningConfig,
  paperTerms,
  summarizeLearned,
} from '../../../functions/core/learning.ts';
import { LinkBuilder } from '../../../functions/core/links.ts';
import type { Paper } from '../../../functions/core/paper.ts';
import { rankTrending } from '../../../functions/core/ranking.ts';
import { EditionSelector, type ReaderProfile } from '../../../functions/core/selection.ts';
import type { Subscriber } from '../../../functions/core/subscriber.ts';
import { feedbackBinding, signToken } from '../../../functions/core/tokens.ts';
import { recordVote, voteTarget } from '../../../functions/core/votes.ts';
import {
  FixedClock,
  MemoryLearnedProfiles,
  MemoryPapers,
  MemorySubscribers,
  testKeys,
  testTokenKeys,
} from '../../support/memory-ports.ts';
import { NOW, paper } from '../../support/papers.ts';

/** Papers of three themes, each with its own words, and a few upvotes (trending favours robotics). */
const THEMES = {
  retrieval: ['dense retrieval', 'passage ranking', 'query expansion', 'retrieval augmented', 'reranking'],
  robotics: [
    'robot grasping',
    'legged locomotion',
    'manipulation policy',
    'robot navigation',
    'dexterous hands',
  ],
  speech: [
    'speech recognition',
    'speaker diarization',
    'speech synthesis',
    'acoustic model',
    'voice conversion',
  ],
} as const;
type Theme = keyof typeof THEMES;

function themed(theme: Theme, i: number, upvotes: number): Paper {
  const words = THEMES[theme];
  const a = words[i % words.length] as string;
  const b = words[(i + 2) % words.length] as string;
  return {
    ...paper(`${theme}-${i}`, 10, { upvotes }),
    title: `${a} with ${b} for model ${i}`,
    abstract: `We study ${a} and ${b}. Our model improves ${a} on standard benchmarks, and ${b} helps.`,
    keywords: [a],
  };
}

const papers: Paper[] = [];
for (let i = 0; i < 12; i += 1) {
  papers.push(themed('retrieval', i, 5), themed('robotics', i, 200 + i), themed('speech', i, 20));
}
const themeOf = (id: string) => id.split('-')[0] as Theme;

function profileOf(votes: [Paper, 'more' | 'fewer'][]): LearnedProfile | undefined {
  let learned: LearnedProfile | undefined;
  for (const [p, vote] of votes)
    learned = applyVote(learned, { paperId: p.id, vote, terms: paperTerms(p) }, NOW).profile;
  return learned;
}
const reader = (over: Partial<ReaderProfile> = {}): ReaderProfile => ({
  topics: [],
  authors: [],
  exclude: [],
  digestSize: 6,
  sent: new Set(),
  ...over,
});

describe('a paper’s terms', () => {
  it('are its telling words, stemmed as relevance stems them, title first, unit length, bounded', () => {
    const terms = paperTerms({
      title: 'Dense retrieval for passage ranking',
      abstract: `We study dense retrieval. ${'Words '.repeat(5)} 2024 results.`,
      keywords: ['reranking'],
    });
    expect(terms.length).toBeLessThanOrEqual(learningConfig.termsPerPaper);
    expect(terms.map((t) => t.s).slice(0, 2)).toEqual(['dense', 'retrieval']);
    expect(terms.find((t) => t.s === 'retrieval')?.t).toBe('retriev');
    expect(terms.some((t) => t.s === '2024')).toBe(false);
    expect(Math.hypot(...terms.map((t) => t.w))).toBeCloseTo(1, 2);
  });
});

describe('recording a vote (pure)', () => {
  const p = papers[0] as Paper;
  const q = papers[1] as Paper;
  it('the same vote twice changes nothing; another vote on the paper replaces the first', () => {
    const once = applyVote(undefined, { paperId: p.id, vote: 'more', terms: paperTerms(p) }, NOW);
    expect(once.changed).toBe(true);
    expect(once.profile.votes).toHaveLength(1);
    expect(once.profile.liked.length).toBeGreaterThan(0);
    const twice = applyVote(once.profile, { paperId: p.id, vote: 'more', terms: paperTerms(p) }, NOW);
    expect(twice.changed).toBe(false);
    expect(twice.profile).toBe(once.profile);
    const switched = applyVote(once.profile, { paperId: p.id, vote: 'fewer', terms: paperTerms(p) }, NOW);
    expect(switched.changed).toBe(true);
    expect(switched.profile.votes).toEqual([expect.objectContaining({ paperId: p.id, vote: 'fewer' })]);
    expect(switched.profile.liked).toEqual([]);
    expect(switched.profile.disliked.map((t) => t.t).sort()).toEqual(
      paperTerms(p)
        .map((t) => t.t)
        .sort(),
    );
    expect(switched.profile.version).toBe(2);
    const other = applyVote(switched.profile, { paperId: q.id, vote: 'more', terms: paperTerms(q) }, NOW);
    expect(summarizeLearned(other.profile)).toMatchObject({ liked: 1, disliked: 1 });
  });

  it('keeps at most maxVotes votes (the oldest go, and their terms with them) and maxTerms terms per vector', () => {
    let learned: LearnedProfile | undefined;
    const many = Array.from({ length: learningConfig.maxVotes + 15 }, (_, i) => ({
      ...paper(`p${i}`, 1),
      title: `unique${i}word alpha${i}term beta${i}thing gamma${i}`,
      abstract: `delta${i} epsilon${i} zeta${i}.`,
    }));
    for (const p2 of many)
      learned = applyVote(learned, { paperId: p2.id, vote: 'more', terms: paperTerms(p2) }, NOW).profile;
    expect(learned?.votes).toHaveLength(learningConfig.maxVotes);
    expect(learned?.votes[0]?.paperId).toBe('p15');
    expect(learned?.liked.length).toBe(learningConfig.maxTerms);
    expect(learned?.liked.some((t) => t.s === 'unique0word')).toBe(false);
    // The item stays small whatever the reader does.
    expect(Buffer.byteLength(JSON.stringify(learned))).toBeLessThan(60_000);
  });
});

describe('a learned profile in selection', () => {
  const selector = new EditionSelector(rankTrending(papers, NOW));
  const retrieval = papers.filter((p) => themeOf(p.id) === 'retrieval');
  const robotics = papers.filter((p) => themeOf(p.id) === 'robotics');

  it('without topics and without clicks: the trending order (robotics leads)', () => {
    const chosen = selector.choose(reader(), 'daily');
    expect(chosen.slice(0, 3).map((c) => themeOf(c.entry.paper.id))).toEqual([
      'robotics',
      'robotics',
      'robotics',
    ]);
  });

  it('a reader without topics who liked retrieval papers gets retrieval papers, saying why', () => {
    const learned = profileOf([
      [retrieval[0] as Paper, 'more'],
      [retrieval[1] as Paper, 'more'],
    ]);
    const chosen = selector.choose(reader({ learned }), 'daily');
    expect(chosen.map((c) => themeOf(c.entry.paper.id))).toEqual(Array(6).fill('retrieval'));
    // The voted papers are never sent again.
    expect(chosen.map((c) => c.entry.paper.id)).not.toContain(retrieval[0]?.id);
    expect(chosen[0]?.reasons[0]).toMatch(/^similar to [12] papers? you liked$/u);
  });

  it('counts the liked papers that are actually similar', () => {
    const learned = profileOf([
      [retrieval[0] as Paper, 'more'],
      [retrieval[5] as Paper, 'more'],
      [robotics[0] as Paper, 'more'],
    ]);
    const chosen = selector.choose(reader({ learned, digestSize: 30 }), 'daily');
    const twin = chosen.find((c) => c.entry.paper.id === 'retrieval-10');
    // retrieval-10 shares its words with retrieval-0 and retrieval-5, not with the robotics paper.
    expect(twin?.reasons).toContain('similar to 2 papers you liked');
  });

  it('“fewer like this” pushes papers like the disliked ones down', () => {
    const before = selector.choose(reader({ digestSize: 12 }), 'daily');
    const learned = profileOf([
      [robotics[0] as Paper, 'fewer'],
      [robotics[1] as Paper, 'fewer'],
    ]);
    const after = selector.choose(reader({ learned, digestSize: 12 }), 'daily');
    const count = (list: typeof before) =>
      list.filter((c) => themeOf(c.entry.paper.id) === 'robotics').length;
    expect(count(before)).toBeGreaterThan(6);
    expect(count(after)).toBeLessThan(count(before) / 2);
  });

  it('a reader with topics: what they liked never passes a paper clearly on their topic', () => {
    const learned = profileOf(robotics.slice(0, 4).map((p) => [p, 'more'] as [Paper, 'more']));
    const chosen = selector.choose(
      reader({ topics: ['speech recognition'], learned, digestSize: 12 }),
      'daily',
    );
    const firstRobot = chosen.findIndex((c) => themeOf(c.entry.paper.id) === 'robotics');
    const onTopic = chosen.filter((c) => c.relevance >= 0.5 && themeOf(c.entry.paper.id) === 'speech');
    expect(onTopic.length).toBeGreaterThan(0);
    expect(firstRobot).toBeGreaterThan(0);
    // Every clearly on-topic speech paper comes before the first paper brought by the clicks.
    for (const c of onTopic) expect(chosen.indexOf(c)).toBeLessThan(firstRobot);
    // And the liked ones do come in, below, saying why.
    expect(chosen[firstRobot]?.reasons.join(' ')).toMatch(/you liked/u);
  });
});

describe('the vote use case', () => {
  const clock = new FixedClock(NOW);
  const base = 'https://papers.example.org/';
  const active: Subscriber = {
    id: 'sub1',
    email: 'ana@example.org',
    status: 'active',
    topics: [],
    authors: [],
    exclude: [],
    frequency: 'daily',
    digestSize: 10,
    signupId: 'signup1',
    version: 1,
    createdAt: NOW.toISOString(),
    updatedAt: NOW.toISOString(),
  };
  async function setup() {
    const subscribers = new MemorySubscribers(clock);
    await subscribers.create(active);
    const deps = {
      subscribers,
      keys: testTokenKeys,
      clock,
      learned: new MemoryLearnedProfiles(),
      papers: new MemoryPapers(papers),
    };
    const links = await new LinkBuilder(base, testTokenKeys).feedback(
      'sub1',
      'signup1',
      [papers[0]?.id as string],
      NOW,
    );
    const token = new URL(links.get(papers[0]?.id as string)?.more as string).searchParams.get(
      'token',
    ) as string;
    return { deps, token };
  }

  it('records once, ignores the same vote again, replaces it with the other vote', async () => {
    const { deps, token } = await setup();
    const id = papers[0]?.id as string;
    expect(await recordVote(token, id, 'more', deps)).toBe('recorded');
    const first = await deps.learned.get('sub1');
    expect(await recordVote(token, id, 'more', deps)).toBe('unchanged');
    expect(await deps.learned.get('sub1')).toEqual(first);
    expect(await recordVote(token, id, 'fewer', deps)).toBe('recorded');
    expect((await deps.learned.get('sub1'))?.votes).toEqual([
      expect.objectContaining({ paperId: id, vote: 'fewer' }),
    ]);
  });

  it('a link for paper A cannot vote on paper B, and no other kind of token can vote', async () => {
    const { deps, token } = await setup();
    await expect(recordVote(token, papers[1]?.id as string, 'more', deps)).rejects.toThrow(InvalidTokenError);
    const confirm = signToken(
      { purpose: 'confirm', subscriberId: 'sub1', binding: 'signup1', expiresAt: 0 },
      testKeys,
    );
    await expect(recordVote(confirm, papers[0]?.id as string, 'more', deps)).rejects.toThrow(
      /another purpose/u,
    );
    // A preferences token bound the way a feedback token is still is not one.
    const preferences = signToken(
      {
        purpose: 'preferences',
        subscriberId: 'sub1',
        binding: feedbackBinding('signup1', papers[0]?.id as string),
        expiresAt: 0,
      },
      testKeys,
    );
    await expect(recordVote(preferences, papers[0]?.id as string, 'more', deps)).rejects.toThrow(
      /another purpose/u,
    );
    // A feedback link of an earlier sign-up stops working.
    const old = signToken(
      {
        purpose: 'feedback',
        subscriberId: 'sub1',
        binding: feedbackBinding('signup0', papers[0]?.id as string),
        expiresAt: 0,
      },
      testKeys,
    );
    await expect(voteTarget(old, papers[0]?.id as string, deps)).rejects.toThrow(InvalidTokenError);
    expect(deps.learned.items.size).toBe(0);
  });

  it('stores nothing for a reader who unsubscribed', async () => {
    const { deps, token } = await setup();
    await deps.subscribers.replace({ ...active, status: 'unsubscribed', version: 2 }, 1);
    expect(await recordVote(token, papers[0]?.id as string, 'more', deps)).toBe('inactive');
    expect(deps.learned.items.size).toBe(0);
  });
});
