import { createReadStream } from 'node:fs';
import { decodeText } from '../adapters/text-decoding.ts';
import { isSameWork, mergePaper, titleKey } from '../core/dedup.ts';
import { collectPapers } from '../core/formats/open-papers.ts';
import type { Paper } from '../core/paper.ts';
import { rankTrending } from '../core/ranking.ts';
import { type ChosenPaper, EditionSelector } from '../core/selection.ts';

export interface RankOptions {
  topics: string[];
  authors: string[];
  exclude: string[];
  limit: number;
  asOf?: Date;
}

export interface RankedLine {
  rank: number;
  id: string;
  title: string;
  score: number;
  parts: ChosenPaper['entry']['parts'] & { trending: number; relevance: number };
  reasons: string[];
}

/**
 * Ranks the papers of local files for one reader's profile, exactly as a digest is chosen, and
 * touches no store: files are parsed by the ingestion parsers, the same paper from several
 * files is merged, near-duplicates are collapsed, and papers are ranked as of the newest one's
 * date (so an old file ranks as it would have on its day).
 */
export async function rankFiles(
  files: readonly string[],
  options: RankOptions,
): Promise<{ lines: RankedLine[]; papers: number }> {
  return rankPapers(await loadPapers(files), options);
}

/** The distinct papers of local files: parsed, the same paper merged, near-duplicates collapsed. */
export async function loadPapers(files: readonly string[]): Promise<Paper[]> {
  const papers = new Map<string, Paper>();
  for (const file of files) {
    const { papers: parsed } = await collectPapers(decodeText(createReadStream(file)), {
      observedAt: new Date().toISOString(),
    });
    for (const paper of parsed) {
      const earlier = papers.get(paper.id);
      papers.set(paper.id, earlier ? mergePaper(earlier, paper) : paper);
    }
  }
  return collapseNearDuplicates([...papers.values()]);
}

/**
 * One reader's list from loaded papers: the trending edition as of the newest paper, then the
 * digest choice. The relevance evaluation (bench/eval) calls this, so it measures what
 * `paperboy rank` shows and what a digest holds.
 */
export function rankPapers(
  distinct: readonly Paper[],
  options: RankOptions,
): { lines: RankedLine[]; papers: number } {
  const newest =
    distinct
      .map((p) => p.publishedAt)
      .sort()
      .at(-1) ?? new Date().toISOString();
  const asOf = options.asOf ?? new Date(newest);
  const selector = new EditionSelector(rankTrending(distinct, asOf));
  const chosen = selector.choose(
    {
      topics: options.topics,
      authors: options.authors,
      exclude: options.exclude,
      digestSize: options.limit,
      sent: new Set(),
    },
    'week',
  );
  return {
    papers: distinct.length,
    lines: chosen.map((c, i) => ({
      rank: i + 1,
      id: c.entry.paper.id,
      title: c.entry.paper.title,
      score: round(c.score),
      parts: {
        ...roundAll({ ...c.entry.parts }),
        trending: round(c.trending),
        relevance: round(c.relevance),
      },
      reasons: c.reasons,
    })),
  };
}

function collapseNearDuplicates(papers: Paper[]): Paper[] {
  const byKey = new Map<string, Paper[]>();
  const kept: Paper[] = [];
  for (const paper of papers) {
    const key = titleKey(paper.title);
    const same = byKey.get(key)?.find((other) => isSameWork(other, paper));
    if (same) continue;
    byKey.set(key, [...(byKey.get(key) ?? []), paper]);
    kept.push(paper);
  }
  return kept;
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

function roundAll<T extends object>(record: T): T {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, round(v as number)])) as T;
}
