import { z } from 'zod';
import { compact, PaperSchema } from '../paper.ts';
import { cleanText, parseArxivId, titleId } from '../text.ts';
import { decodeJson, type ParsedRecord, rejected } from './records.ts';
import { splitLines } from './split.ts';

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

export async function* parseJsonl(
  text: AsyncIterable<string>,
  observedAt: string,
): AsyncGenerator<ParsedRecord> {
  let index = 0;
  for await (const line of splitLines(text)) {
    if (line.trim() === '') continue;
    const decoded = decodeJson(index, line);
    if ('rejected' in decoded) {
      yield decoded.rejected;
      index += 1;
      continue;
    }
    const parsed = JsonlPaperSchema.safeParse(decoded.value);
    if (!parsed.success) {
      yield rejected(index, parsed.error);
    } else {
      const raw = parsed.data;
      const title = cleanText(raw.title);
      const arxiv = raw.id ? parseArxivId(raw.id) : undefined;
      const paper = PaperSchema.safeParse(
        compact({
          ...raw,
          id: arxiv?.id ?? raw.id ?? titleId(title),
          version: raw.version ?? arxiv?.version,
          title,
          abstract: cleanText(raw.abstract),
          authors: raw.authors.map(cleanText).filter(Boolean),
          publishedAt: new Date(raw.publishedAt).toISOString(),
          signals: { ...raw.signals, observedAt: raw.signals.observedAt ?? observedAt },
        }),
      );
      yield paper.success ? { index, paper: paper.data } : rejected(index, paper.error);
    }
    index += 1;
  }
}
