import type * as z from 'zod';
import { describeIssues } from '../errors.ts';
import { type Paper, PaperSchema } from '../paper.ts';
import { stripControl } from '../text.ts';

/** One record of a file: a paper, or the reasons it could not be one. */
export type ParsedRecord =
  | { index: number; paper: Paper }
  | { index: number; rejects: { field: string; reason: string }[] };

export const FORMATS = ['hf-daily', 'arxiv-api', 'arxiv-rss', 'page-dump', 'jsonl'] as const;
export type Format = (typeof FORMATS)[number];

/** Validates a candidate paper built by a format parser; its issues become the record's rejects. */
export function toRecord(index: number, candidate: unknown): ParsedRecord {
  const parsed = PaperSchema.safeParse(candidate);
  return parsed.success ? { index, paper: parsed.data } : rejected(index, parsed.error);
}

/** A record skipped as a whole (a limit it passes), with the reason. */
export function refusedRecord(index: number, reason: string): ParsedRecord {
  return { index, rejects: [{ field: '(root)', reason }] };
}

export function rejected(index: number, error: z.ZodError): ParsedRecord {
  return { index, rejects: describeIssues(error.issues).map((i) => ({ field: i.path, reason: i.message })) };
}

/** A record's JSON text decoded, or the record rejected for not being JSON. */
export function decodeJson(index: number, text: string): { value: unknown } | { rejected: ParsedRecord } {
  try {
    return { value: JSON.parse(text) };
  } catch (error) {
    return {
      rejected: {
        index,
        // The engine's message quotes the text around the error: it goes to reports and terminals.
        rejects: [{ field: '(root)', reason: `not valid JSON: ${stripControl((error as Error).message)}` }],
      },
    };
  }
}
