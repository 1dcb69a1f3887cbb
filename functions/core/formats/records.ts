import type * as z from 'zod';
import { describeIssues } from '../errors.ts';
import { type Paper, PaperSchema } from '../paper.ts';
import { stripControl } from '../text.ts';

/** Why a record could not be a paper: the field (`(root)` for the whole record) and the reason. */
export interface RejectReason {
  field: string;
  reason: string;
}

/**
 * One record of a file: a paper, or the reasons it could not be one. The reasons of a record
 * that failed validation are worked out when `rejects` is first read, not before: describing a
 * schema's issues is most of the cost of a rejected record (a file of 16 million `{}` lines took
 * two minutes), and a reader that keeps only the first reasons and counts the rest never pays it.
 */
export type ParsedRecord =
  | { index: number; paper: Paper }
  | { index: number; readonly rejects: RejectReason[] };

export const FORMATS = ['hf-daily', 'arxiv-api', 'arxiv-rss', 'page-dump', 'jsonl'] as const;
export type Format = (typeof FORMATS)[number];

/** Validates a candidate paper built by a format parser; its issues become the record's rejects. */
export function toRecord(index: number, candidate: unknown): ParsedRecord {
  const parsed = PaperSchema.safeParse(candidate);
  return parsed.success ? { index, paper: parsed.data } : rejected(index, parsed);
}

/** A record skipped as a whole (a limit it passes), with the reason. */
export function refusedRecord(index: number, reason: string): ParsedRecord {
  return { index, rejects: [{ field: '(root)', reason }] };
}

/**
 * A record that failed validation, from the failed `safeParse` result, or from a function that
 * validates it again when the reasons are wanted (for a record a cheap check already found
 * invalid: the schema then never runs unless its reasons are read). The error is not read here:
 * zod builds it (and its issues) on first read, and the reasons are built only when `rejects` is read.
 */
export function rejected(
  index: number,
  failure: { readonly error?: z.ZodError } | (() => { readonly error?: z.ZodError }),
): ParsedRecord {
  return new LazyRejects(index, failure);
}

/** A getter on a class, not in an object literal: one shape for all, and nothing built per record. */
class LazyRejects {
  #failure: { readonly error?: z.ZodError } | (() => { readonly error?: z.ZodError }) | undefined;
  #reasons: RejectReason[] | undefined;
  constructor(
    readonly index: number,
    failure: { readonly error?: z.ZodError } | (() => { readonly error?: z.ZodError }),
  ) {
    this.#failure = failure;
  }
  get rejects(): RejectReason[] {
    if (!this.#reasons) {
      const failure = typeof this.#failure === 'function' ? this.#failure() : this.#failure;
      const issues = failure?.error?.issues ?? [];
      this.#reasons = issues.length
        ? describeIssues(issues).map((i) => ({ field: i.path, reason: i.message }))
        : [{ field: '(root)', reason: 'not a valid record' }];
      this.#failure = undefined;
    }
    return this.#reasons;
  }
}

/**
 * The reason a decoded JSON value cannot be a record because it is not an object, or undefined
 * when it is one. Found before the schema runs: an array of numbers (`[1,1,1,…]`) or a file of
 * `null` lines is rejected at the cost of a `typeof`, with no schema issues built.
 */
export function notAnObject(index: number, value: unknown): ParsedRecord | undefined {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return undefined;
  const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
  return { index, rejects: [{ field: '(root)', reason: `expected an object, got ${kind}` }] };
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
