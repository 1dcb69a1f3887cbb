import { fileURLToPath } from 'node:url';
import { loadPapers } from '../../functions/cli/rank.ts';
import type { Paper } from '../../functions/core/paper.ts';
import { SHARED_DATA } from '../../test/support/shared-data.ts';

/** A corpus of the relevance evaluation: real sample files, loaded as `paperboy rank` loads them. */
export interface Corpus {
  name: string;
  files: string[];
}

export const CORPORA: readonly Corpus[] = [
  // The seed page: 235 titles and abstracts of one listing page, no ids, dates or signals.
  { name: 'seed-page', files: ['hf-papers-page.txt'] },
  // Every other real sample, merged: arXiv API and RSS entries (no signals) and two days of
  // Hugging Face daily papers (upvotes, stars, comments), so trending has something to say.
  {
    name: 'samples',
    files: [
      'arxiv-api-2026-search-10.xml',
      'arxiv-api-2016-idlist-1.xml',
      'arxiv-rss-2026-4items.xml',
      'hf-daily-papers-2026-06-12.json',
      'hf-daily-papers-2024-10-25.json',
    ],
  },
];

export function corpusPaths(corpus: Corpus): string[] {
  return corpus.files.map((name) => fileURLToPath(new URL(name, SHARED_DATA)));
}

export function loadCorpus(corpus: Corpus): Promise<Paper[]> {
  return loadPapers(corpusPaths(corpus));
}
