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

/**
 * The characters a paper id may hold: ASCII letters and digits, and the punctuation of the ids
 * real sources use: arXiv ids (`2401.01234`, `hep-th/9901001`), title-derived ids (`t-…`), DOIs
 * (`10.1103/PhysRevB.85.115117`, `10.1002/(SICI)1097-4636(199706)35;2-P`) and short web
 * addresses (`https://openreview.net/forum?id=AbC_1`). No white space of any kind (the CLI and
 * digests print an id on one line: a line break in one forges lines), no quotes, angle brackets,
 * backslashes or `#` (the table's key separator), nothing outside ASCII (no look-alike letters,
 * no invisible characters). It starts with a letter or a digit.
 */
export const MAX_ID_CHARS = 64;
const ID_CHARACTERS = 'letters, digits and . _ ~ - / : ( ) ; + ? = & %';
const ID = /^[A-Za-z0-9][A-Za-z0-9._~\-/:();+?=&%]*$/u;
const ID_CHARACTER = /^[A-Za-z0-9._~\-/:();+?=&%]$/u;

/** Why a candidate id is not one, or undefined when it is; the reason names the first bad character. */
export function idProblem(id: string): string | undefined {
  if (id.length === 0) return 'the id is empty';
  if (id.length > MAX_ID_CHARS) return `the id is longer than ${MAX_ID_CHARS} characters`;
  if (ID.test(id)) return undefined;
  const characters = [...id];
  const at = characters.findIndex((c) => !ID_CHARACTER.test(c));
  if (at < 0) return 'the id must start with a letter or a digit';
  const bad = characters[at] as string;
  const code = `U+${(bad.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
  // Only a visible ASCII character is quoted: the reason goes to terminals and reports.
  const shown = /^[\x21-\x7e]$/u.test(bad) && bad !== '"' ? `"${bad}" (${code})` : code;
  return `the id holds ${shown} at character ${at + 1}: an id is ${ID_CHARACTERS} only (an arXiv id, a DOI, a web address)`;
}

/**
 * A paper id, checked rather than cleaned: an id that changed silently would be another paper's,
 * so one that holds a forbidden character (a control, a line break, a space) is refused.
 */
export const PaperIdSchema = z.string().superRefine((id, ctx) => {
  const problem = idProblem(id);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

export const SOURCES = ['arxiv-api', 'arxiv-rss', 'hf-daily', 'jsonl', 'page-dump'] as const;
export type Source = (typeof SOURCES)[number];

/** Paperboy's own paper shape: what every parser produces and what the table stores. */
export const PaperSchema = z.object({
  /** arXiv id without version (`2401.01234`, `hep-th/9901001`), a title-derived `t-…` id, or a file's own id (JSON Lines). */
  id: PaperIdSchema,
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
  /**
   * Set on a near-duplicate (a journal copy of a conference paper, say): the paper it stands for.
   * Set only by de-duplication (`functions/core/dedup.ts`), never taken from a file: a paper that
   * has it is left out of editions.
   */
  canonicalId: PaperIdSchema.optional(),
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
