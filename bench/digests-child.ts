/**
 * Chooses digests for many readers with random topic profiles from 1,000 candidates, in its own
 * process (one core) so its peak RSS is its own. Modes: `index` (the product: the edition is
 * prepared once, then each reader's choice reuses it) and `scratch` (the baseline: every
 * reader's scoring starts from the raw candidates). Prints {readers, ms, peakRssMb, chosen}.
 */
import { readFile } from 'node:fs/promises';
import { collectPapers } from '../functions/core/formats/open-papers.ts';
import type { Paper } from '../functions/core/paper.ts';
import { rankTrending } from '../functions/core/ranking.ts';
import { relevanceConfig } from '../functions/core/relevance/index.ts';
import { EditionSelector, type ReaderProfile, selectionConfig } from '../functions/core/selection.ts';
import { synthetic } from './generate.ts';

const [mode, readersArg] = process.argv.slice(2) as ['index' | 'scratch', string];
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

let chosen = 0;
const start = performance.now();
if (mode === 'index') {
  const selector = new EditionSelector(entries);
  for (const p of profiles) chosen += selector.choose(p, 'week').length;
} else {
  // The naive way: every reader's papers scored from the raw candidates (no shared index, no
  // shared similarity table: similarities computed as MMR asks for them).
  const scratch = { ...relevanceConfig, similarityTableMax: 0 };
  for (const p of profiles)
    chosen += new EditionSelector(entries, () => true, selectionConfig, scratch).choose(p, 'week').length;
}
const ms = performance.now() - start;
console.log(JSON.stringify({ readers, ms, chosen, peakRssMb: process.resourceUsage().maxRSS / 1024 }));
