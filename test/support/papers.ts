import type { Paper } from '../../functions/core/paper.ts';

export const NOW = new Date('2026-11-26T12:00:00Z');

/** A paper published `hoursAgo` before NOW, with the given signals. */
export function paper(id: string, hoursAgo: number, signals: Partial<Paper['signals']> = {}): Paper {
  return {
    id,
    title: `Paper ${id}`,
    abstract: 'Abstract.',
    authors: ['A. Author'],
    publishedAt: new Date(NOW.getTime() - hoursAgo * 3_600_000).toISOString(),
    source: 'hf-daily',
    links: { abstract: `https://arxiv.org/abs/${id}` },
    keywords: [],
    categories: [],
    signals: { observedAt: NOW.toISOString(), ...signals },
  };
}
