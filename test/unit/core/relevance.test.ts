import { describe, expect, it } from 'vitest';
import { ndcgAt, precisionAt, topK } from '../../../bench/eval/metrics.ts';
import { evaluateRelevance } from '../../../bench/eval/relevance.ts';
import { definedAcronyms, terms } from '../../../functions/core/relevance/analyze.ts';
import { RelevanceIndex } from '../../../functions/core/relevance/index.ts';
import { hasSharedData, sharedDataSkipReason } from '../../support/shared-data.ts';

const doc = (title: string, abstract = '', keywords: string[] = []) => ({ title, abstract, keywords });

describe('analysis', () => {
  it('stems word forms and drops stopwords', () => {
    expect(terms('The quantized models and quantization of a model')).toEqual([
      'quantiz',
      'model',
      'quantiz',
      'model',
    ]);
  });

  it('finds acronyms a text defines', () => {
    expect(
      definedAcronyms(
        'We study parameter-efficient transfer learning (PETL) and self-supervised learning (SSL).',
      ),
    ).toEqual(
      new Map([
        ['petl', ['parameter', 'efficient', 'transfer', 'learning']],
        ['ssl', ['self', 'supervised', 'learning']],
      ]),
    );
  });
});

describe('RelevanceIndex', () => {
  const index = new RelevanceIndex([
    doc('Retrieval augmented generation for question answering', 'We ground answers in retrieved passages.'),
    doc('State space models for long sequences', 'Selective state space models scale linearly.'),
    doc('A model of space and state in robots', 'Robots keep a state of the space around them.'),
    doc(
      'Parameter-efficient transfer learning of audio transformers',
      'Parameter-efficient transfer learning (PETL) adapts models.',
    ),
    doc('Adapters for speech', 'We compare PETL methods for speech.'),
    doc('Unrelated', 'Protein folding kinetics.'),
  ]);
  const best = (topic: string) => topK(index.topic(topic).scores, 3);

  it('expands a known acronym into its long form', () => {
    expect(best('RAG')[0]).toBe(0);
  });

  it('rewards the phrase over the scattered words', () => {
    expect(best('state space models').slice(0, 2)).toEqual([1, 2]);
  });

  it('uses acronyms the corpus defines itself, both ways', () => {
    expect(best('parameter-efficient transfer learning')).toContain(4); // says only "PETL"
  });

  it('keeps a topic the corpus hardly touches below the floor', () => {
    expect(Math.max(...index.topic('galaxy formation').scores)).toBe(0);
  });

  it('measures similarity as a cosine: 1 for a paper with itself, more for near-duplicates than for strangers', () => {
    const near = new RelevanceIndex([
      doc(
        'Trained rank pruning for deep networks',
        'We prune the rank of deep networks while training them.',
      ),
      doc(
        'TRP: trained rank pruning for deep networks',
        'Rank pruning while training deep networks, the journal version.',
      ),
      doc('Protein folding kinetics', 'Folding kinetics of proteins in cells.'),
    ]);
    expect(near.similarity(0, 0)).toBeCloseTo(1, 2);
    expect(near.similarity(0, 1)).toBeGreaterThan(0.3);
    expect(near.similarity(0, 1)).toBeLessThanOrEqual(1);
    expect(near.similarity(0, 1)).toBeCloseTo(near.similarity(1, 0), 5);
    expect(near.similarity(0, 2)).toBeLessThan(0.05);
  });

  it('computes nDCG and precision as defined', () => {
    const judged = { a: 2, b: 1, c: 0 };
    expect(ndcgAt(2, ['a', 'b'], judged)).toBeCloseTo(1);
    expect(ndcgAt(2, ['b', 'a'], judged)).toBeCloseTo((1 + 3 / Math.log2(3)) / (3 + 1 / Math.log2(3)));
    expect(precisionAt(2, ['a', 'c'], judged)).toBe(0.5);
  });
});

if (!hasSharedData) console.warn(sharedDataSkipReason);

describe.skipIf(!hasSharedData)('evaluation on the seed page (hand judgments in test/fixtures)', () => {
  it('beats plain BM25 on short topic queries, on average', async () => {
    const figures = await evaluateRelevance();
    expect(figures.length).toBeGreaterThanOrEqual(5);
    const mean = (pick: (f: (typeof figures)[number]) => number) =>
      figures.reduce((s, f) => s + pick(f), 0) / figures.length;
    expect(mean((f) => f.paperboy.ndcg)).toBeGreaterThan(mean((f) => f.bm25.ndcg));
    expect(mean((f) => f.paperboy.precision)).toBeGreaterThanOrEqual(mean((f) => f.bm25.precision));
  });
});
