/**
 * Chooses digests for many readers with random topic profiles from 1,000 candidates, in its own
 * process (one core) so its peak RSS is its own. Half the readers also have a learned profile
 * (5–40 "more / fewer like this" votes on random candidates, through `applyVote`). Modes:
 * `index` (the product: the edition is prepared once, then each reader's choice reuses it, their
 * learned profile applied), `index-plain` (the same readers without learned profiles: the cost of
 * applying them is the difference), `minisearch` (the honest peer: MiniSearch answers each
 * reader's topics from one index built once; no learning, no diversity) and `scratch` (every
 * reader's scoring starts from the raw candidates). Prints {readers, ms, peakRssMb, chosen, learned}.
 */
import { readFile } from 'node:fs/promises';
import MiniSearch from 'minisearch';
import { keys } from '../functions/adapters/dynamo-keys.ts';
import { collectPapers } from '../functions/core/formats/open-papers.ts';
import {
  applyVote,
  type LearnedProfile,
  LearnedProfileSchema,
  paperTerms,
  parseLearnedProfile,
} from '../functions/core/learning.ts';
import type { Paper } from '../functions/core/paper.ts';
import { rankTrending } from '../functions/core/ranking.ts';
import { relevanceConfig } from '../functions/core/relevance/index.ts';
import { EditionSelector, type ReaderProfile, selectionConfig } from '../functions/core/selection.ts';
import { synthetic } from './generate.ts';

const [mode, readersArg] = process.argv.slice(2) as [
  'index' | 'index-plain' | 'minisearch' | 'scratch',
  string,
];
const readers = Number(readersArg);
const observedAt = '2026-11-27T00:00:00.000Z';

// 1,000 candidates: the real seed page and daily papers, topped up with generated ones.
const shared = new URL('../../shared/data/', import.meta.url);
const real: Paper[] = [];
for (const name of [
  'hf-papers-page.txt',
  'hf-daily-papers-2026-06-12.json',
  'hf-daily-papers-2024-10-25.json',
]) {
  const text = await readFile(new URL(name, shared), 'utf8').catch(() => '');
  if (text) real.push(...(await collectPapers(text, { observedAt })).papers);
}
const candidates: Paper[] = [...real];
for (let i = 0; candidates.length < 1000; i += 1) {
  const s = synthetic(i);
  candidates.push({
    id: `9${s.id}${i}`,
    title: s.title,
    abstract: s.abstract,
    authors: s.authors,
    publishedAt: s.published,
    source: 'hf-daily',
    links: {},
    keywords: [],
    categories: [],
    signals: { upvotes: s.upvotes, observedAt },
  });
}
const entries = rankTrending(candidates, new Date(observedAt));

// Random reader profiles, reproducible.
const TOPICS = [
  'LoRA',
  'PEFT',
  'PINN',
  'state space models',
  'model merging',
  'reduced order models',
  'hyperparameter optimization',
  'diffusion sampling',
  'RAG',
  'retrieval',
  'speech',
  'quantization',
  'pruning',
  'reinforcement learning',
  'agents',
  'vision transformer',
  'ViT',
  'LLM',
  'code generation',
  'robotics',
  'graph neural networks',
  'optimization',
  'scaling laws',
  'neural operators',
  'Gaussian processes',
  'benchmark',
  'multimodal',
  'compression',
  'distillation',
  'mixture of experts',
  'attention',
  'memory',
  'reasoning',
  'video generation',
  'audio',
  'federated learning',
  'uncertainty quantification',
  'inverse problems',
  'low-rank',
  'tokenization',
];
let seed = 42;
const random = () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
  return seed / 2 ** 31;
};
const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)] as T;
const profile = (): ReaderProfile => {
  const topicCount = random() < 0.2 ? 0 : 1 + Math.floor(random() * 3);
  const sent = new Set<string>();
  for (let i = Math.floor(random() * 20); i > 0; i -= 1) sent.add(pick(candidates).id);
  return {
    topics: Array.from({ length: topicCount }, () => pick(TOPICS)),
    authors:
      random() < 0.3
        ? [pick(pick(candidates).authors.length ? candidates : real).authors[0] ?? 'Nobody']
        : [],
    exclude: random() < 0.2 ? [pick(['survey', 'benchmark', 'medical', 'quantum'])] : [],
    digestSize: 5 + Math.floor(random() * 11),
    sent,
  };
};
const profiles = Array.from({ length: readers }, profile);

// Learned profiles for half the readers, built by the product's own vote path (pure), made
// before the clock starts: the send path reads them with the reader, it does not build them.
const termsOf = new Map<string, ReturnType<typeof paperTerms>>();
const learnedProfile = (): LearnedProfile | undefined => {
  let learned: LearnedProfile | undefined;
  const now = new Date(observedAt);
  for (let v = 5 + Math.floor(random() * 36); v > 0; v -= 1) {
    const paper = pick(candidates);
    let terms = termsOf.get(paper.id);
    if (!terms) {
      terms = paperTerms(paper);
      termsOf.set(paper.id, terms);
    }
    learned = applyVote(
      learned,
      { paperId: paper.id, vote: random() < 0.7 ? 'more' : 'fewer', terms },
      now,
    ).profile;
  }
  return learned;
};
// 2,000 distinct profiles shared out (100,000 of them held at once would measure the bench's
// memory, not a send function's, which holds one job's readers).
const pool = Array.from({ length: 2000 }, learnedProfile);
let learnedCount = 0;
for (const p of profiles) {
  if (random() < 0.5) {
    p.learned = pick(pool);
    learnedCount += 1;
  }
}
if (mode === 'index-plain') for (const p of profiles) p.learned = undefined;

let chosen = 0;
const start = performance.now();
// CPU time too: on a shared machine, wall time counts other processes' turns.
const cpuStart = process.cpuUsage();
if (mode === 'index') {
  const selector = new EditionSelector(entries);
  for (const p of profiles) chosen += selector.choose(p, 'week').length;
} else if (mode === 'index-plain') {
  const selector = new EditionSelector(entries);
  for (const p of profiles) chosen += selector.choose(p, 'week').length;
} else if (mode === 'minisearch') {
  // The honest peer: one MiniSearch index of the edition, built once; each reader's topics
  // searched (a topic's results cached, as the product caches a topic's match), merged by best
  // score, their received and excluded papers left out; no topics: the trending order.
  const search = new MiniSearch<{ id: number; title: string; abstract: string }>({
    fields: ['title', 'abstract'],
    searchOptions: { boost: { title: 2 } },
  });
  search.addAll(entries.map((e, id) => ({ id, title: e.paper.title, abstract: e.paper.abstract })));
  const cache = new Map<string, { id: number; score: number }[]>();
  const excluded = new Map<string, Set<number>>();
  for (const p of profiles) {
    const blocked = new Set<number>();
    for (const word of p.exclude) {
      let set = excluded.get(word);
      if (!set) {
        set = new Set(search.search(word).map((r) => r.id as number));
        excluded.set(word, set);
      }
      for (const id of set) blocked.add(id);
    }
    const best = new Map<number, number>();
    for (const topic of p.topics) {
      let results = cache.get(topic);
      if (!results) {
        results = search.search(topic).map((r) => ({ id: r.id as number, score: r.score }));
        cache.set(topic, results);
      }
      for (const r of results) if (r.score > (best.get(r.id) ?? 0)) best.set(r.id, r.score);
    }
    const list =
      p.topics.length > 0
        ? [...best.entries()].sort((a, b) => b[1] - a[1]).map(([id]) => id)
        : entries.map((_, id) => id);
    let taken = 0;
    for (const id of list) {
      if (taken === p.digestSize) break;
      if (blocked.has(id) || p.sent.has((entries[id] as (typeof entries)[number]).paper.id)) continue;
      taken += 1;
    }
    chosen += taken;
  }
} else {
  // The naive way: every reader's papers scored from the raw candidates (no shared index, no
  // shared similarity table: similarities computed as MMR asks for them).
  const scratch = { ...relevanceConfig, similarityTableMax: 0 };
  for (const p of profiles)
    chosen += new EditionSelector(entries, () => true, selectionConfig, scratch).choose(p, 'week').length;
}
const ms = performance.now() - start;
const cpu = process.cpuUsage(cpuStart);
const cpuMs = (cpu.user + cpu.system) / 1000;

// The send path checks each stored profile as it reads it: the hand-written check the product
// uses beside the zod schema it agrees with, on the pool's profiles as stored items (µs each).
const check = (parse: (item: unknown) => unknown) => {
  const items = pool.slice(0, 200).map((p) => ({ ...keys.learned('x'), ...structuredClone(p) }));
  for (const item of items) parse(item);
  const rounds = 20;
  const t0 = process.cpuUsage();
  for (let r = 0; r < rounds; r += 1) for (const item of items) if (!parse(item)) throw new Error('rejected');
  const used = process.cpuUsage(t0);
  return (used.user + used.system) / (rounds * items.length);
};
const checkUs =
  mode === 'index'
    ? {
        hand: check(parseLearnedProfile),
        zod: check((item) => LearnedProfileSchema.safeParse(item).success),
      }
    : undefined;
console.log(
  JSON.stringify({
    readers,
    ms,
    cpuMs,
    chosen,
    learned: mode === 'index' || mode === 'scratch' ? learnedCount : 0,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    ...(checkUs ? { checkUs } : {}),
  }),
);
