import type { RankedPaper } from './ranking.ts';
import type { EditionMode } from './schedule-policy.ts';

/** The ranked candidates of one day, from which every reader's digest is chosen. */
export interface Edition {
  /** The edition's day, `YYYY-MM-DD` in the configured time zone. */
  date: string;
  createdAt: string;
  /** `daily`: readers get papers published since `freshSince`; `week`: the best of the week. */
  mode: EditionMode;
  freshSince: string;
  /** Candidates in trending order, with score parts and reasons. */
  entries: RankedPaper[];
  /** The topics most papers of the edition are about (their keywords), most frequent first. */
  topics?: string[];
}

/** An edition without its candidates: what lists and pages show. */
export type EditionSummary = Omit<Edition, 'entries'> & { entryCount: number };

/** How many topics an edition keeps as suggestions, and from how many of its best papers. */
const TOPICS = 12;
const TOPIC_SOURCE_PAPERS = 100;

/**
 * The topics an edition is about: the keywords of its best papers (sources such as the daily
 * papers give them), those shared by two papers or more, counted case-insensitively, most
 * frequent first, each in its most common spelling.
 */
export function editionTopics(entries: readonly RankedPaper[]): string[] {
  const counts = new Map<string, { count: number; spellings: Map<string, number> }>();
  for (const { paper } of entries.slice(0, TOPIC_SOURCE_PAPERS)) {
    for (const word of new Set(
      paper.keywords.map((w) => w.trim()).filter((w) => w.length >= 3 && w.length <= 40),
    )) {
      const key = word.toLowerCase();
      const entry = counts.get(key) ?? { count: 0, spellings: new Map<string, number>() };
      entry.count += 1;
      entry.spellings.set(word, (entry.spellings.get(word) ?? 0) + 1);
      counts.set(key, entry);
    }
  }
  return [...counts.values()]
    .filter((c) => c.count >= 2)
    .sort((a, b) => b.count - a.count)
    .slice(0, TOPICS)
    .map((c) => [...c.spellings].sort((a, b) => b[1] - a[1])[0]?.[0] as string);
}
