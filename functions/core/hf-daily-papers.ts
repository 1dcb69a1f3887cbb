import { z } from 'zod';
import { describeIssues, UnreadableFileError } from './errors.ts';
import { type Paper, PaperSchema } from './paper.ts';
import type { ParseResult, RejectedRecord } from './parse-result.ts';
import { cleanText, httpsUrl, parseArxivId, titleId } from './text.ts';

const count = z.number().int().nonnegative();

/**
 * One item of Hugging Face's `/api/daily_papers` answer. Both the 2024 layout (no item-level
 * summary, no ai_* fields) and the current one parse; unknown fields are ignored.
 */
const HfItemSchema = z.object({
  paper: z.object({
    id: z.string().min(1),
    title: z.string().min(1),
    summary: z.string().default(''),
    authors: z.array(z.object({ name: z.string() })).default([]),
    // paper.publishedAt is the arXiv date; the item-level one is shifted by the US-Eastern offset.
    publishedAt: z.iso.datetime({ offset: true }),
    upvotes: count.optional(),
    ai_summary: z.string().optional(),
    ai_keywords: z.array(z.string()).optional(),
    githubRepo: z.string().nullish(),
    githubStars: count.nullish(),
    projectPage: z.string().nullish(),
    organization: z.object({ fullname: z.string().optional(), name: z.string() }).nullish(),
  }),
  thumbnail: z.string().nullish(),
  numComments: count.optional(),
});
type HfItem = z.infer<typeof HfItemSchema>;

/** True when a decoded JSON value looks like a daily papers answer (used by format detection). */
export function isHfDailyPapers(value: unknown): value is unknown[] {
  return (
    Array.isArray(value) &&
    (value.length === 0 || (typeof value[0] === 'object' && value[0] !== null && 'paper' in value[0]))
  );
}

/**
 * Parses a daily papers JSON document. A file that is not JSON, or not an array, is unreadable as a
 * whole; a bad item is rejected with its index and reason while every good item is kept.
 *
 * @param observedAt when the file's signals were observed (the object's upload time).
 */
export function parseHfDailyPapers(text: string, observedAt: string): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UnreadableFileError(`not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  if (!Array.isArray(value)) {
    throw new UnreadableFileError('expected a JSON array of daily papers items');
  }
  const papers: Paper[] = [];
  const rejects: RejectedRecord[] = [];
  value.forEach((raw, index) => {
    const item = HfItemSchema.safeParse(raw);
    if (!item.success) {
      for (const issue of describeIssues(item.error.issues)) {
        rejects.push({ index, field: issue.path, reason: issue.message });
      }
      return;
    }
    const paper = PaperSchema.safeParse(toPaper(item.data, observedAt));
    if (!paper.success) {
      for (const issue of describeIssues(paper.error.issues)) {
        rejects.push({ index, field: issue.path, reason: issue.message });
      }
      return;
    }
    papers.push(paper.data);
  });
  return { format: 'hf-daily', papers, rejects };
}

function toPaper(item: HfItem, observedAt: string): unknown {
  const { paper } = item;
  const title = cleanText(paper.title);
  const arxiv = parseArxivId(paper.id);
  const id = arxiv?.id ?? titleId(title);
  const abstractUrl = arxiv ? `https://arxiv.org/abs/${arxiv.id}` : undefined;
  const code = paper.githubRepo ? httpsUrl(paper.githubRepo) : undefined;
  return {
    id,
    ...(arxiv?.version ? { version: arxiv.version } : {}),
    title,
    abstract: cleanText(paper.summary),
    authors: paper.authors.map((a) => cleanText(a.name)).filter(Boolean),
    publishedAt: new Date(paper.publishedAt).toISOString(),
    source: 'hf-daily',
    links: dropUndefined({
      abstract: abstractUrl,
      pdf: arxiv ? `https://arxiv.org/pdf/${arxiv.id}` : undefined,
      code,
      project: httpsUrl(paper.projectPage),
      thumbnail: httpsUrl(item.thumbnail),
    }),
    keywords: (paper.ai_keywords ?? []).map(cleanText).filter(Boolean),
    ...(paper.ai_summary ? { aiSummary: cleanText(paper.ai_summary) } : {}),
    ...(paper.organization ? { organization: paper.organization.fullname ?? paper.organization.name } : {}),
    signals: dropUndefined({
      upvotes: paper.upvotes,
      stars: paper.githubStars ?? undefined,
      comments: item.numComments,
      observedAt,
    }),
  };
}

function dropUndefined<T extends Record<string, unknown>>(record: T): Partial<T> {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as Partial<T>;
}
