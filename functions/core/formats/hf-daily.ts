import * as z from 'zod';
import { compact } from '../paper.ts';
import { cleanText, httpsUrl, parseArxivId, titleId } from '../text.ts';
import { defaultIngestLimits, type IngestLimits } from './limits.ts';
import { decodeJson, notAnObject, type ParsedRecord, refusedRecord, rejected, toRecord } from './records.ts';
import { type JsonElement, jsonArraySplitter } from './split.ts';

const count = z.number().int().nonnegative();

/**
 * One item of Hugging Face's `/api/daily_papers` answer. Both the 2024 layout (no item-level
 * summary, no ai_* fields) and the current one parse; unknown fields are ignored.
 */
const HfItemSchema = z.object({
  paper: z.object({
    id: z.string().min(1, 'id is empty'),
    title: z.string().min(1, 'title is empty'),
    summary: z.string().default(''),
    authors: z.array(z.object({ name: z.string() })).default([]),
    // paper.publishedAt is the arXiv date; the item-level one is shifted by the US-Eastern offset.
    publishedAt: z.iso.datetime({ offset: true }),
    upvotes: count.optional(),
    ai_summary: z.string().nullish(),
    ai_keywords: z.array(z.string()).nullish(),
    githubRepo: z.string().nullish(),
    githubStars: count.nullish(),
    projectPage: z.string().nullish(),
    organization: z.object({ fullname: z.string().optional(), name: z.string() }).nullish(),
  }),
  thumbnail: z.string().nullish(),
  numComments: count.optional(),
});
type HfItem = z.infer<typeof HfItemSchema>;

/**
 * Parses a daily papers JSON array, one item at a time. An item longer than `maxJsonElementChars`
 * or nested deeper than `maxJsonDepth` is rejected unread; the items after it are read.
 */
export async function* parseHfDaily(
  text: AsyncIterable<string>,
  observedAt: string,
  limits: IngestLimits = defaultIngestLimits,
): AsyncGenerator<ParsedRecord> {
  const splitter = jsonArraySplitter(limits);
  for await (const chunk of text) {
    for (const element of splitter.elements(chunk)) yield elementRecord(element, observedAt);
  }
  splitter.end();
}

function elementRecord(element: JsonElement, observedAt: string): ParsedRecord {
  const { index } = element;
  if ('refused' in element) return refusedRecord(index, element.refused);
  const decoded = decodeJson(index, element.text);
  return 'rejected' in decoded ? decoded.rejected : hfItemRecord(index, decoded.value, observedAt);
}

/** One decoded daily papers item as a record (validation and normalization). */
export function hfItemRecord(index: number, value: unknown, observedAt: string): ParsedRecord {
  const notObject = notAnObject(index, value);
  if (notObject) return notObject;
  // Without its `paper` object an item cannot be a paper: the schema runs only if the reasons are
  // read (see ParsedRecord), so that a file of `{}` items costs little.
  const paper = (value as { paper?: unknown }).paper;
  if (typeof paper !== 'object' || paper === null)
    return rejected(index, () => HfItemSchema.safeParse(value));
  const item = HfItemSchema.safeParse(value);
  return item.success ? toRecord(index, toPaper(item.data, observedAt)) : rejected(index, item);
}

function toPaper(item: HfItem, observedAt: string): unknown {
  const { paper } = item;
  const title = cleanText(paper.title);
  const arxiv = parseArxivId(paper.id);
  return compact({
    id: arxiv?.id ?? titleId(title),
    version: arxiv?.version,
    title,
    abstract: cleanText(paper.summary),
    authors: paper.authors.map((a) => cleanText(a.name)).filter(Boolean),
    publishedAt: new Date(paper.publishedAt).toISOString(),
    source: 'hf-daily',
    links: compact({
      abstract: arxiv ? `https://arxiv.org/abs/${arxiv.id}` : undefined,
      pdf: arxiv ? `https://arxiv.org/pdf/${arxiv.id}` : undefined,
      code: httpsUrl(paper.githubRepo),
      project: httpsUrl(paper.projectPage),
      thumbnail: httpsUrl(item.thumbnail),
    }),
    keywords: (paper.ai_keywords ?? []).map(cleanText).filter(Boolean),
    aiSummary: paper.ai_summary ? cleanText(paper.ai_summary) || undefined : undefined,
    organization: paper.organization
      ? cleanText(paper.organization.fullname ?? paper.organization.name) || undefined
      : undefined,
    signals: compact({
      upvotes: paper.upvotes,
      stars: paper.githubStars ?? undefined,
      comments: item.numComments,
      observedAt,
    }),
  });
}
