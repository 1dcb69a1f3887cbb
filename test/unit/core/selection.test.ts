import { describe, expect, it } from 'vitest';
import type { Paper } from '../../../functions/core/paper.ts';
import { rankTrending } from '../../../functions/core/ranking.ts';
import { EditionSelector, type ReaderProfile } from '../../../functions/core/selection.ts';
import { NOW, paper } from '../../support/papers.ts';

const make = (
  id: string,
  title: string,
  abstract: string,
  extra: Partial<Paper> = {},
  upvotes = 1,
): Paper => ({
  ...paper(id, 5, { upvotes }),
  title,
  abstract,
  ...extra,
});

const corpus = [
  make(
    'hot',
    'Scaling laws for language models',
    'We fit scaling laws to language model training runs.',
    {},
    500,
  ),
  make(
    'rag1',
    'Retrieval augmented generation with long contexts',
    'Retrieval augmented generation grounds answers in retrieved passages.',
    {},
    3,
  ),
  make(
    'rag2',
    'Retrieval-augmented generation for code',
    'Retrieval augmented generation helps code models use repositories.',
    {},
    2,
  ),
  make(
    'rag2b',
    'Retrieval-augmented generation for code, again',
    'Retrieval augmented generation helps code models use repositories.',
    {},
    2,
  ),
  make(
    'speech',
    'Streaming speech recognition',
    'A speech recognizer that streams audio with low latency.',
    { authors: ['Ana Berg'] },
    1,
  ),
  make(
    'quant',
    'Four-bit quantization of transformers',
    'Quantization of transformer weights to four bits.',
    {},
    40,
  ),
];
const entries = rankTrending(corpus, NOW);
const selector = new EditionSelector(entries);
const profile = (over: Partial<ReaderProfile> = {}): ReaderProfile => ({
  topics: [],
  authors: [],
  exclude: [],
  digestSize: 3,
  sent: new Set(),
  ...over,
});
const ids = (p: Partial<ReaderProfile>, mode: 'daily' | 'week' = 'daily') =>
  selector.choose(profile(p), mode).map((c) => c.entry.paper.id);

describe('EditionSelector', () => {
  it('gives readers without topics the trending order', () => {
    expect(ids({})[0]).toBe('hot');
  });

  it('gives topic readers what matches, acronyms included, and leaves out what is below the floor', () => {
    const chosen = ids({ topics: ['RAG'] });
    expect(chosen.slice(0, 2).sort()).toEqual(['rag1', 'rag2']);
    expect(chosen).not.toContain('speech');
    const reasons = selector.choose(profile({ topics: ['RAG'] }), 'daily')[0]?.reasons;
    expect(reasons).toContain('matches “RAG”');
  });

  it('avoids near-identical papers in a row (diversity)', () => {
    const chosen = ids({ topics: ['retrieval augmented generation'], digestSize: 2 });
    expect(chosen).toContain('rag1');
    expect(chosen.filter((id) => id.startsWith('rag2'))).toHaveLength(1);
  });

  it('lifts followed authors and says so, even off-topic', () => {
    const chosen = selector.choose(profile({ topics: ['RAG'], authors: ['ana berg'] }), 'daily');
    const speech = chosen.find((c) => c.entry.paper.id === 'speech');
    expect(speech?.reasons).toContain('by Ana Berg, whom you follow');
  });

  it('removes papers with an excluded word, in any form', () => {
    expect(ids({ exclude: ['quantized'], digestSize: 6 })).not.toContain('quant');
  });

  it('never chooses a paper the reader already received, and is empty when nothing is new', () => {
    expect(ids({ sent: new Set(['hot']) })).not.toContain('hot');
    expect(ids({ sent: new Set(corpus.map((p) => p.id)) })).toEqual([]);
  });

  it('keeps daily digests to new papers; the week mode reaches older ones', () => {
    const old = {
      ...make('old', 'Retrieval augmented generation survey', 'A survey of retrieval augmented generation.'),
      publishedAt: '2026-11-20T00:00:00.000Z',
    };
    const withOld = new EditionSelector(
      rankTrending([...corpus, old], NOW),
      (e) => e.paper.publishedAt >= '2026-11-25T00:00:00.000Z',
    );
    const daily = withOld
      .choose(profile({ topics: ['RAG'], digestSize: 5 }), 'daily')
      .map((c) => c.entry.paper.id);
    const week = withOld
      .choose(profile({ topics: ['RAG'], digestSize: 5 }), 'week')
      .map((c) => c.entry.paper.id);
    expect(daily).not.toContain('old');
    expect(week).toContain('old');
  });
});
