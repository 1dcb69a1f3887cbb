import { z } from 'zod';

/** Engagement counts as a source reported them at one moment. */
export const SignalsSchema = z.object({
  upvotes: z.number().int().nonnegative().optional(),
  stars: z.number().int().nonnegative().optional(),
  comments: z.number().int().nonnegative().optional(),
  /** When these counts were observed (ISO 8601). Older observations never overwrite newer ones. */
  observedAt: z.iso.datetime({ offset: true }),
});
export type Signals = z.infer<typeof SignalsSchema>;

const https = z.url({ protocol: /^https$/u });

/** Paperboy's own paper shape: what every parser produces and what the table stores. */
export const PaperSchema = z.object({
  /** arXiv id without version (`2401.01234`, `hep-th/9901001`) or a title-derived `t-…` id. */
  id: z.string().min(1).max(64),
  version: z.number().int().positive().optional(),
  title: z.string().min(1).max(1000),
  abstract: z.string().max(20_000),
  authors: z.array(z.string().min(1)).max(2000),
  publishedAt: z.iso.datetime({ offset: true }),
  source: z.enum(['hf-daily', 'arxiv-api', 'arxiv-rss', 'page-dump', 'jsonl']),
  links: z.object({
    abstract: https.optional(),
    pdf: https.optional(),
    code: https.optional(),
    project: https.optional(),
    thumbnail: https.optional(),
  }),
  keywords: z.array(z.string()).default([]),
  aiSummary: z.string().optional(),
  organization: z.string().optional(),
  signals: SignalsSchema,
});
export type Paper = z.infer<typeof PaperSchema>;

/** The calendar day (UTC) a paper belongs to, used to find candidates for an edition. */
export function paperDay(paper: Pick<Paper, 'publishedAt'>): string {
  return new Date(paper.publishedAt).toISOString().slice(0, 10);
}
