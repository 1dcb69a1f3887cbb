import { describe, expect, it } from 'vitest';
import { ExpiredTokenError, InvalidTokenError, NotFoundError } from '../../../functions/core/errors.ts';
import {
  applyVote,
  type LearnedProfile,
  LearnedProfileSchema,
  learningConfig,
  paperTerms,
  parseLearnedProfile,
  summarizeLearned,
} from '../../../functions/core/learning.ts';
import { LinkBuilder } from '../../../functions/core/links.ts';
import type { Paper } from '../../../functions/core/paper.ts';
import { rankTrending } from '../../../functions/core/ranking.ts';
import { EditionSelector, type ReaderProfile, selectionConfig } from '../../../functions/core/selection.ts';
import type { Subscriber } from '../../../functions/core/subscriber.ts';
import { feedbackBinding, signToken } from '../../../functions/core/tokens.ts';
import { recordVote, resetLearned, voteTarget } from '../../../functions/core/votes.ts';
import {
  FixedClock,
  MemoryLearnedProfiles,
  MemoryLedger,
  MemoryPapers,
  MemoryPersonalData,
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

describe('reading a stored profile', () => {
  const good = profileOf([
    [papers[0] as Paper, 'more'],
    [papers[1] as Paper, 'fewer'],
  ]) as LearnedProfile;
  // Each mutation of a valid item, one field at a time: what a hand edit or another version writes.
  const long = 'x'.repeat(65);
  const term = good.liked[0] as LearnedProfile['liked'][number];
  const vote = good.votes[0] as LearnedProfile['votes'][number];
  const variants: [string, unknown][] = [
    ['valid', good],
    ['with the item keys', { ...good, PK: 'SUB#a', SK: 'LEARNED' }],
    ['empty', { votes: [], liked: [], disliked: [], updatedAt: '', version: 0 }],
    ['null', null],
    ['an array', [good]],
    ['a string', 'garbage'],
    ['votes a string', { ...good, votes: 'garbage' }],
    ['votes missing', { ...good, votes: undefined }],
    ['201 votes', { ...good, votes: Array(201).fill(vote) }],
    ['200 votes', { ...good, votes: Array(200).fill(vote) }],
    ['a vote null', { ...good, votes: [null] }],
    ['vote maybe', { ...good, votes: [{ ...vote, vote: 'maybe' }] }],
    ['paperId empty', { ...good, votes: [{ ...vote, paperId: '' }] }],
    ['paperId long', { ...good, votes: [{ ...vote, paperId: long }] }],
    ['paperId a number', { ...good, votes: [{ ...vote, paperId: 7 }] }],
    ['at long', { ...good, votes: [{ ...vote, at: 'x'.repeat(41) }] }],
    ['vote terms 65', { ...good, votes: [{ ...vote, terms: Array(65).fill(term) }] }],
    ['vote terms 64', { ...good, votes: [{ ...vote, terms: Array(64).fill(term) }] }],
    ['term w negative', { ...good, liked: [{ ...term, w: -0.1 }] }],
    ['term w -0', { ...good, liked: [{ ...term, w: -0 }] }],
    ['term w NaN', { ...good, liked: [{ ...term, w: Number.NaN }] }],
    ['term w Infinity', { ...good, liked: [{ ...term, w: Number.POSITIVE_INFINITY }] }],
    ['term w a string', { ...good, liked: [{ ...term, w: '1' }] }],
    ['term t empty', { ...good, disliked: [{ ...term, t: '' }] }],
    ['term s long', { ...good, disliked: [{ ...term, s: long }] }],
    ['term s missing', { ...good, disliked: [{ t: term.t, w: term.w }] }],
    ['term extra key', { ...good, liked: [{ ...term, extra: 1 }] }],
    ['liked 201', { ...good, liked: Array(201).fill(term) }],
    ['liked an object', { ...good, liked: { 0: term } }],
    ['updatedAt long', { ...good, updatedAt: 'x'.repeat(41) }],
    ['updatedAt a number', { ...good, updatedAt: 5 }],
    ['version 1.5', { ...good, version: 1.5 }],
    ['version -1', { ...good, version: -1 }],
    ['version huge', { ...good, version: 2 ** 60 }],
    ['version a string', { ...good, version: '3' }],
    ['version missing', { ...good, version: undefined }],
  ];

  it('the hand-written check agrees with the zod schema on every variant (accepts, rejects, output)', () => {
    let accepted = 0;
    for (const [name, value] of variants) {
      const zod = LearnedProfileSchema.safeParse(value);
      const hand = parseLearnedProfile(value);
      expect({ name, result: hand }).toEqual({ name, result: zod.success ? zod.data : undefined });
      if (hand) accepted += 1;
    }
    // Both kinds are exercised.
    expect(accepted).toBeGreaterThan(4);
    expect(accepted).toBeLessThan(variants.length - 20);
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

  it('counts similar liked papers exactly as a cosine with each of them does, for every candidate', () => {
    const learned = profileOf([
      ...retrieval.slice(0, 3).map((p) => [p, 'more'] as [Paper, 'more']),
      [robotics[0] as Paper, 'more'],
      [robotics[1] as Paper, 'fewer'],
      [papers.find((p) => themeOf(p.id) === 'speech') as Paper, 'more'],
    ]) as LearnedProfile;
    const interest = selector.interests(reader({ learned })).find((i) => i.kind === 'learned');
    const vectors = learned.votes
      .filter((v) => v.vote === 'more')
      .map((v) => selector.index.termVector(v.terms, v.paperId));
    let similarSeen = 0;
    for (let doc = 0; doc < selector.entries.length; doc += 1) {
      const expected = vectors.filter(
        (v) => selector.index.similarityToVector(doc, v) >= selectionConfig.learned.similarFrom,
      ).length;
      const reason = interest?.reason(doc) ?? '';
      if (expected > 0) {
        similarSeen += 1;
        expect(reason).toBe(`similar to ${expected} ${expected === 1 ? 'paper' : 'papers'} you liked`);
      } else expect(reason).not.toMatch(/^similar to/u);
    }
    expect(similarSeen).toBeGreaterThan(5);
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

describe('a reader with topics: on-topic papers first, then what they liked (two tiers)', () => {
  // Strongly and weakly on topic ("retrieval" in the title, among many other words: relevance
  // below `onTopic`), and robotics papers that trend and that the reader liked.
  const robo = [
    'robot grasping',
    'legged locomotion',
    'manipulation policy',
    'robot navigation',
    'dexterous hands',
  ];
  const corpus: Paper[] = [];
  for (let i = 0; i < 10; i += 1) {
    const a = robo[i % 5] as string;
    const b = robo[(i + 2) % 5] as string;
    corpus.push(
      {
        ...paper(`robotics-${i}`, 10, { upvotes: 300 }),
        title: `${a} with ${b} for model ${i}`,
        abstract: `We study ${a} and ${b}. Our model improves ${a}.`,
        keywords: [a],
      },
      {
        ...paper(`strong-${i}`, 10, { upvotes: 1 }),
        title: `Dense retrieval ${i} for passage ranking`,
        abstract: `Dense retrieval and retrieval augmented generation for passage ranking ${i}.`,
        keywords: ['retrieval'],
      },
      {
        ...paper(`weak-${i}`, 10, { upvotes: 1 }),
        title: `Speech synthesis with voice conversion, acoustic models and a retrieval step ${i}`,
        abstract: `We study speech synthesis and acoustic models; a retrieval step picks the voice ${i}.`,
        keywords: ['speech synthesis'],
      },
    );
  }
  const selector = new EditionSelector(rankTrending(corpus, NOW));
  const topic = selector.index.topic('retrieval');
  const topicRelevance = (c: { entry: { paper: Paper } }) =>
    topic.scores[selector.entries.findIndex((e) => e.paper.id === c.entry.paper.id)] as number;
  const liked = profileOf(
    corpus
      .filter((p) => p.id.startsWith('robotics'))
      .slice(0, 4)
      .map((p) => [p, 'more'] as [Paper, 'more']),
  );

  it('every paper on their topic, weak matches included, comes before any paper the clicks alone bring', () => {
    const chosen = selector.choose(
      reader({ topics: ['retrieval'], learned: liked, digestSize: 30 }),
      'daily',
    );
    const onTopic = chosen.map((c) => topicRelevance(c) >= selectionConfig.relevanceFloor);
    // The weak matches are there (below onTopic), and so are the liked-alike robotics papers.
    expect(
      chosen.some((c) => c.entry.paper.id.startsWith('weak') && topicRelevance(c) < selectionConfig.onTopic),
    ).toBe(true);
    expect(chosen.some((c) => c.entry.paper.id.startsWith('robotics'))).toBe(true);
    // No off-topic paper above an on-topic one.
    const lastOnTopic = onTopic.lastIndexOf(true);
    const firstOff = onTopic.indexOf(false);
    expect(firstOff).toBeGreaterThan(lastOnTopic);
    // The clicks take no on-topic paper's place: the same on-topic papers as without clicks.
    const plain = selector.choose(reader({ topics: ['retrieval'], digestSize: 30 }), 'daily');
    const ids = (list: typeof chosen) =>
      list
        .filter((c) => topicRelevance(c) >= selectionConfig.relevanceFloor)
        .map((c) => c.entry.paper.id)
        .sort();
    expect(ids(chosen)).toEqual(ids(plain));
  });

  it('with fewer places than on-topic papers, the clicks bring nothing in', () => {
    const chosen = selector.choose(
      reader({ topics: ['retrieval'], learned: liked, digestSize: 12 }),
      'daily',
    );
    expect(chosen.every((c) => topicRelevance(c) >= selectionConfig.relevanceFloor)).toBe(true);
  });

  it('“fewer like this” moves an on-topic paper down within the on-topic papers, never below the liked-alike ones', () => {
    const strong = corpus.filter((p) => p.id.startsWith('strong'));
    const both = profileOf([
      ...corpus
        .filter((p) => p.id.startsWith('robotics'))
        .slice(0, 4)
        .map((p) => [p, 'more'] as [Paper, 'more']),
      [strong[0] as Paper, 'fewer'],
      [strong[1] as Paper, 'fewer'],
    ]);
    const chosen = selector.choose(reader({ topics: ['retrieval'], learned: both, digestSize: 30 }), 'daily');
    const onTopic = chosen.map((c) => topicRelevance(c) >= selectionConfig.relevanceFloor);
    expect(onTopic.indexOf(false)).toBeGreaterThan(onTopic.lastIndexOf(true));
    // The disliked side lowered the strong matches' scores (within the on-topic tier).
    const likedOnly = selector.choose(
      reader({ topics: ['retrieval'], learned: liked, digestSize: 30 }),
      'daily',
    );
    const scoreOf = (list: typeof chosen, id: string) =>
      list.find((c) => c.entry.paper.id === id)?.score ?? 0;
    expect(scoreOf(chosen, 'strong-2')).toBeLessThan(scoreOf(likedOnly, 'strong-2') - 0.2);
  });

  it('a paper the clicks alone bring always has a reason, even when no liked paper or word is close enough to name', () => {
    // A profile whose liked words the edition does not have, but one: "locomotion", low in the vector.
    const locomotion = paperTerms({ title: 'legged locomotion', abstract: '', keywords: [] }).find(
      (t) => t.s === 'locomotion',
    ) as { t: string; w: number; s: string };
    const madeUp = Array.from({ length: 12 }, (_, i) => ({
      t: `zqx${'abcdefghijkl'[i]}word`,
      w: 1,
      s: `zqx${i}`,
    }));
    const odd: LearnedProfile = {
      votes: [{ paperId: 'elsewhere-1', vote: 'more', at: NOW.toISOString(), terms: madeUp }],
      liked: [...madeUp, { ...locomotion, w: 0.9 }],
      disliked: [],
      updatedAt: NOW.toISOString(),
      version: 1,
    };
    const chosen = selector.choose(reader({ topics: ['retrieval'], learned: odd, digestSize: 30 }), 'daily');
    const byClicks = chosen.filter((c) => topicRelevance(c) < selectionConfig.relevanceFloor);
    expect(byClicks.length).toBeGreaterThan(0);
    for (const c of byClicks) expect(c.reasons).toContain('like papers you liked');
    for (const c of chosen) expect(c.reasons.join('').trim()).not.toBe('');
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

  /** Feedback tokens of the reader for papers, as a digest carries them. */
  async function tokensFor(ids: readonly string[], at = NOW) {
    const links = await new LinkBuilder(base, testTokenKeys).feedback('sub1', 'signup1', ids, at);
    return new Map(
      ids.map((id) => [id, new URL(links.get(id)?.more as string).searchParams.get('token') as string]),
    );
  }

  it('votes fired at once by one reader all land (a lost race waits and tries again), none is lost', async () => {
    const { deps } = await setup();
    const ids = papers.slice(0, 16).map((p) => p.id);
    const tokens = await tokensFor(ids);
    const results = await Promise.allSettled([
      ...ids.map((id) => recordVote(tokens.get(id) as string, id, 'more', deps)),
      ...ids.slice(0, 4).map((id) => recordVote(tokens.get(id) as string, id, 'fewer', deps)),
    ]);
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const stored = await deps.learned.get('sub1');
    expect(new Set(stored?.votes.map((v) => v.paperId))).toEqual(new Set(ids));
    expect(stored?.votes).toHaveLength(16);
  });

  it('a stored item that fails the schema counts as none: the vote replaces it, with a WARN', async () => {
    for (const version of [7, null]) {
      const { deps, token } = await setup();
      const warnings: string[] = [];
      deps.learned.unreadable.set('sub1', version);
      const logged = { ...deps, log: { warn: (message: string) => warnings.push(message) } };
      expect(await recordVote(token, papers[0]?.id as string, 'more', logged)).toBe('recorded');
      expect(warnings).toEqual([expect.stringMatching(/unreadable/u)]);
      const stored = await deps.learned.load('sub1');
      expect(stored.unreadable).toBe(false);
      expect(stored.profile?.votes.map((v) => v.paperId)).toEqual([papers[0]?.id]);
      // The version only grows, past the unreadable item's own.
      expect(stored.version).toBe(version === null ? 1 : 8);
    }
  });

  it('an expired link for another paper is invalid (no fresh-link offer), for the right paper expired', async () => {
    const { deps } = await setup();
    const tokens = await tokensFor([papers[0]?.id as string], new Date(NOW.getTime() - 61 * 86_400_000));
    const expired = tokens.get(papers[0]?.id as string) as string;
    const other = voteTarget(expired, papers[1]?.id as string, deps);
    await expect(other).rejects.toThrow(InvalidTokenError);
    await expect(other).rejects.not.toThrow(ExpiredTokenError);
    await expect(voteTarget(expired, papers[0]?.id as string, deps)).rejects.toThrow(ExpiredTokenError);
  });

  it('a vote in flight while the reader is erased leaves no profile behind', async () => {
    const { deps, token } = await setup();
    const personal = new MemoryPersonalData(deps.subscribers, new MemoryLedger(), deps.learned);
    const load = deps.learned.load.bind(deps.learned);
    // The erasure runs between the vote's check of the reader and its write.
    deps.learned.load = async (id: string) => {
      const stored = await load(id);
      await personal.erase({
        id: 'sub1',
        status: 'erased',
        version: 2,
        erasedAt: NOW.toISOString(),
        updatedAt: NOW.toISOString(),
      });
      return stored;
    };
    await expect(recordVote(token, papers[0]?.id as string, 'more', deps)).rejects.toThrow(NotFoundError);
    expect(deps.learned.items.size).toBe(0);
  });

  it('a vote that read the profile before a reset never writes over what came after it', async () => {
    const { deps } = await setup();
    const [x, y, z] = papers.slice(0, 3).map((p) => p.id) as [string, string, string];
    const tokens = await tokensFor([x, y, z]);
    const preferences = new URL(
      await new LinkBuilder(base, testTokenKeys).preferences('sub1', 'signup1', NOW),
    ).searchParams.get('token') as string;
    expect(await recordVote(tokens.get(x) as string, x, 'more', deps)).toBe('recorded');
    const load = deps.learned.load.bind(deps.learned);
    let stale = true;
    // The vote on z reads {x}; before it writes, the reader resets and votes on y.
    deps.learned.load = async (id: string) => {
      const stored = await load(id);
      if (stale) {
        stale = false;
        await resetLearned(preferences, deps);
        await recordVote(tokens.get(y) as string, y, 'more', deps);
      }
      return stored;
    };
    expect(await recordVote(tokens.get(z) as string, z, 'more', deps)).toBe('recorded');
    // x was forgotten by the reset; y (after it) and z are kept.
    expect((await deps.learned.get('sub1'))?.votes.map((v) => v.paperId)).toEqual([y, z]);
  });

  it('stores nothing for a reader who unsubscribed', async () => {
    const { deps, token } = await setup();
    await deps.subscribers.replace({ ...active, status: 'unsubscribed', version: 2 }, 1);
    expect(await recordVote(token, papers[0]?.id as string, 'more', deps)).toBe('inactive');
    expect(deps.learned.items.size).toBe(0);
  });
});
