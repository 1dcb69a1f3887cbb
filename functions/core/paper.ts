import * as z from 'zod';
import { stripControl } from './text.ts';

/** Engagement counts as a source reported them at one moment. */
export const SignalsSchema = z.object({
  upvotes: z.number().int().nonnegative().optional(),
  stars: z.number().int().nonnegative().optional(),
  comments: z.number().int().nonnegative().optional(),
  /** When these counts were observed (ISO 8601). Older observations never overwrite newer ones. */
  observedAt: z.iso.datetime({ offset: true }),
});
export type Signals = z.infer<typeof SignalsSchema>;

/**
 * Every string of a paper comes from outside: control and bidi characters are removed before any
 * other check, whichever parser built it, so that none reaches the table, a digest or a terminal.
 */
const text = () => z.string().overwrite(stripControl);
const https = z.url({ protocol: /^https$/u, message: 'must be an https URL' }).overwrite(stripControl);

export const SOURCES = ['arxiv-api', 'arxiv-rss', 'hf-daily', 'jsonl', 'page-dump'] as const;
export type Source = (typeof SOURCES)[number];

/** Paperboy's own paper shape: what every parser produces and what the table stores. */
export const PaperSchema = z.object({
  /** arXiv id without version (`2401.01234`, `hep-th/9901001`) or a title-derived `t-…` id. */
  id: text().min(1).max(64),
  version: z.number().int().positive().optional(),
  title: text().min(1, 'title is empty').max(1000),
  abstract: text().max(20_000),
  authors: z.array(text().min(1)).max(5000),
  publishedAt: z.iso.datetime({ offset: true }),
  source: z.enum(SOURCES),
  links: z.object({
    abstract: https.optional(),
    pdf: https.optional(),
    code: https.optional(),
    project: https.optional(),
    thumbnail: https.optional(),
    doi: https.optional(),
  }),
  keywords: z.array(text()).default([]),
  categories: z.array(text()).default([]),
  primaryCategory: text().optional(),
  aiSummary: text().optional(),
  organization: text().optional(),
  journalRef: text().optional(),
  comment: text().optional(),
  /** arXiv listing announcement: `new`, `cross`, `replace`, `replace-cross`. */
  announceType: z.enum(['new', 'cross', 'replace', 'replace-cross']).optional(),
  /** Position in a curated listing (the page dump's order), 0 first. */
  sourceRank: z.number().int().nonnegative().optional(),
  /** Set on a near-duplicate (a journal copy of a conference paper, say): the paper it stands for. */
  canonicalId: text().optional(),
  signals: SignalsSchema,
});
export type Paper = z.infer<typeof PaperSchema>;

/** The calendar day (UTC) a paper belongs to, used to find candidates for an edition. */
export function paperDay(paper: Pick<Paper, 'publishedAt'>): string {
  return new Date(paper.publishedAt).toISOString().slice(0, 10);
}

/** Drops keys whose value is undefined, so optional fields are absent rather than undefined. */
export function compact<T extends Record<string, unknown>>(record: T): T {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as T;
}
