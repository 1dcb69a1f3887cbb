import * as z from 'zod';
import { compact, type Paper, PaperSchema } from '../paper.ts';
import { cleanText, parseArxivId, titleId } from '../text.ts';
import { defaultIngestLimits, describeLimit, type IngestLimits } from './limits.ts';
import { decodeJson, type ParsedRecord, refusedRecord, rejected } from './records.ts';
import { exceedsJsonDepth, splitLines } from './split.ts';

/**
 * Paperboy's own paper shape, one JSON object a line (exports, hand-made files). The id may be
 * omitted (derived from the title) or carry a version; signals may omit `observedAt` (the file's
 * time is used). Text is normalized as for every other source.
 */
const JsonlPaperSchema = PaperSchema.extend({
  id: z.string().min(1).max(64).optional(),
  source: PaperSchema.shape.source.default('jsonl'),
  links: PaperSchema.shape.links.default({}),
  authors: PaperSchema.shape.authors.default([]),
  abstract: PaperSchema.shape.abstract.default(''),
  signals: PaperSchema.shape.signals.partial({ observedAt: true }).default({}),
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
  for await (const line of splitLines(text, limits.maxLineChars)) {
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
  const parsed = JsonlPaperSchema.safeParse(decoded.value);
  if (!parsed.success) return rejected(index, parsed.error);
  const raw = parsed.data;
  const title = cleanText(raw.title);
  const arxiv = raw.id ? parseArxivId(raw.id) : undefined;
  const paper = PaperSchema.safeParse(
    compact({
      ...raw,
      ...cleanPassedText(raw),
      id: arxiv?.id ?? raw.id ?? titleId(title),
      version: raw.version ?? arxiv?.version,
      title,
      abstract: cleanText(raw.abstract),
      authors: raw.authors.map(cleanText).filter(Boolean),
      publishedAt: new Date(raw.publishedAt).toISOString(),
      signals: { ...raw.signals, observedAt: raw.signals.observedAt ?? observedAt },
    }),
  );
  return paper.success ? { index, paper: paper.data } : rejected(index, paper.error);
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
