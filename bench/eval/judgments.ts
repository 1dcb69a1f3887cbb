import { readFile, writeFile } from 'node:fs/promises';
import type { Judgments } from './metrics.ts';

/** A pooled candidate of one query and its hand grade (null until judged). */
export interface Judged {
  id: string;
  title: string;
  /** 0 off topic, 1 related, 2 squarely on topic. */
  grade: number | null;
  /** The systems whose lists (or word match) brought it into the pool. */
  from: string[];
}

export type Half = 'tuning' | 'test';

/** One corpus's judgments file (bench/eval/judgments/<corpus>.json). */
export interface JudgmentsFile {
  corpus: string;
  files: string[];
  papers: number;
  judged: string;
  pooling: string;
  grades: Record<string, string>;
  split: { rule: string; tuning: string[]; test: string[] };
  queries: Record<string, Judged[]>;
}

export function judgmentsUrl(corpus: string): URL {
  return new URL(`./judgments/${corpus}.json`, import.meta.url);
}

export async function readJudgments(corpus: string): Promise<JudgmentsFile> {
  return JSON.parse(await readFile(judgmentsUrl(corpus), 'utf8')) as JudgmentsFile;
}

export async function writeJudgments(file: JudgmentsFile): Promise<void> {
  await writeFile(judgmentsUrl(file.corpus), `${JSON.stringify(file, null, 2)}\n`);
}

/** A query's grades by paper id, unjudged candidates counted as off topic. */
export function gradesOf(pool: readonly Judged[]): Judgments {
  return Object.fromEntries(pool.map((j) => [j.id, j.grade ?? 0]));
}

export function halfOf(file: JudgmentsFile, query: string): Half {
  return file.split.tuning.includes(query) ? 'tuning' : 'test';
}
