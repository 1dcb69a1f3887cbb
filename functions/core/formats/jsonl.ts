import * as z from 'zod';
import { compact, type Paper, PaperIdSchema, PaperSchema } from '../paper.ts';
import { cleanText, parseArxivId, titleId } from '../text.ts';
import { defaultIngestLimits, describeLimit, type IngestLimits } from './limits.ts';
import { decodeJson, notAnObject, type ParsedRecord, refusedRecord, rejected } from './records.ts';
import { exceedsJsonDepth, type Line, lineSplitter } from './split.ts';

/**
 * Paperboy's own paper shape, one JSON object a line (exports, hand-made files, `paperboy parse`
 * output). The id may be omitted (derived from the title) or carry a version; signals may omit
 * `observedAt` (the file's time is used). Text is normalized as for every other source.
 *
 * What a line may set is a paper's own description: id, version, title, abstract, authors, date,
 * links, keywords, categories, the arXiv fields, the AI summary, organization, signals. Not:
 * - `canonicalId`: set only by de-duplication, and a paper that has one is left out of editions.
 *   A line that carries one is rejected (naming the field), never stored.
 * - `source`: always `jsonl`, the format's own (it decides which source's fields win a merge).
 * - `sourceRank`: a rank on a curated listing (the page dump's order, "#1 on the trending page"),
 *   which a JSON Lines file does not have: its line order is no listing.
 * `source` and `sourceRank` are ignored rather than refused, so that `paperboy parse` output,
 * which prints them, ingests as it is. Other unknown fields are ignored too.
 */
const JsonlPaperSchema = PaperSchema.omit({ source: true, sourceRank: true, canonicalId: true }).extend({
  id: PaperIdSchema.optional(),
  links: PaperSchema.shape.links.default({}),
  authors: PaperSchema.shape.authors.default([]),
  abstract: PaperSchema.shape.abstract.default(''),
  signals: PaperSchema.shape.signals.partial({ observedAt: true }).default({}),
  canonicalId: z
    .never({ error: 'canonicalId is set by de-duplication, never by a file: remove it from the line' })
    .optional(),
});

/**
 * Parses JSON Lines of papers. A line longer than `maxLineChars` is rejected and the rest of it
 * skipped unread; one nested deeper than `maxJsonDepth` is rejected before it is parsed. Reading
 * goes on at the next line.
 */
export async function* parseJsonl(
  text: AsyncIterable<string>,
  observedAt: string,
  limits: IngestLimits = defaultIngestLimits,
): AsyncGenerator<ParsedRecord> {
  let index = 0;
  const splitter = lineSplitter(limits.maxLineChars);
  const records = function* (lines: Iterable<Line>): Generator<ParsedRecord> {
    for (const line of lines) {
      if ('tooLong' in line) {
        yield refusedRecord(
          index,
          `line ${line.number} (from character ${line.offset.toLocaleString('en-US')}) is longer than ${limits.maxLineChars.toLocaleString('en-US')} characters (${describeLimit('maxLineChars', limits.maxLineChars)}); skipped unread`,
        );
        index += 1;
        continue;
      }
      if (line.text.trim() === '') continue;
      yield lineRecord(index, line.text, line.number, observedAt, limits);
      index += 1;
    }
  };
  // A plain loop, not `yield*`: delegating to a synchronous generator from an asynchronous one
  // costs an asynchronous step per record again.
  for await (const chunk of text) {
    for (const record of records(splitter.lines(chunk))) yield record;
  }
  for (const record of records(splitter.end())) yield record;
}

function lineRecord(
  index: number,
  text: string,
  lineNumber: number,
  observedAt: string,
  limits: IngestLimits,
): ParsedRecord {
  if (exceedsJsonDepth(text, limits.maxJsonDepth)) {
    return refusedRecord(
      index,
      `line ${lineNumber} is nested deeper than ${limits.maxJsonDepth} arrays and objects (${describeLimit('maxJsonDepth', limits.maxJsonDepth)}); not parsed`,
    );
  }
  const decoded = decodeJson(index, text);
  if ('rejected' in decoded) return decoded.rejected;
  const value = decoded.value;
  const notObject = notAnObject(index, value);
  if (notObject) return notObject;
  // Without a title and a date a line cannot be a paper: the schema, whose failures cost more
  // than the rest of the record, runs only if the reasons are read (see ParsedRecord).
  const required = value as { title?: unknown; publishedAt?: unknown };
  if (typeof required.title !== 'string' || typeof required.publishedAt !== 'string') {
    return rejected(index, () => JsonlPaperSchema.safeParse(value));
  }
  const parsed = JsonlPaperSchema.safeParse(value);
  if (!parsed.success) return rejected(index, parsed);
  const raw = parsed.data;
  const title = cleanText(raw.title);
  const arxiv = raw.id ? parseArxivId(raw.id) : undefined;
  const paper = PaperSchema.safeParse(
    compact({
      ...raw,
      ...cleanPassedText(raw),
      id: arxiv?.id ?? raw.id ?? titleId(title),
      source: 'jsonl',
      version: raw.version ?? arxiv?.version,
      title,
      abstract: cleanText(raw.abstract),
      authors: raw.authors.map(cleanText).filter(Boolean),
      publishedAt: new Date(raw.publishedAt).toISOString(),
      signals: { ...raw.signals, observedAt: raw.signals.observedAt ?? observedAt },
    }),
  );
  return paper.success ? { index, paper: paper.data } : rejected(index, paper);
}

const OPTIONAL_TEXT = ['primaryCategory', 'aiSummary', 'organization', 'journalRef', 'comment'] as const;
const TEXT_LISTS = ['keywords', 'categories'] as const;

/**
 * The text fields a record passes through as written, normalized like every other text: only
 * those present, so that a record without them costs nothing (most have none).
 */
function cleanPassedText(raw: Pick<Paper, (typeof OPTIONAL_TEXT)[number] | (typeof TEXT_LISTS)[number]>) {
  const cleaned: Partial<Pick<Paper, (typeof OPTIONAL_TEXT)[number] | (typeof TEXT_LISTS)[number]>> = {};
  for (const name of OPTIONAL_TEXT) {
    const value = raw[name];
    if (value !== undefined) cleaned[name] = cleanText(value) || undefined;
  }
  for (const name of TEXT_LISTS) {
    if (raw[name].length > 0) cleaned[name] = raw[name].map(cleanText).filter(Boolean);
  }
  return cleaned;
}
