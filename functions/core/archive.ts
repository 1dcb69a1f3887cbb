import * as z from 'zod';
import { buildDigestView, type DigestPaper, type DigestView, dateLabel } from './digest.ts';
import type { Edition } from './edition.ts';
import { NotFoundError } from './errors.ts';
import { singleLine } from './text.ts';

/** How many papers an edition's page (and its feed entry) shows: its first, in trending order. */
export const PAGE_PAPERS = 30;
/** How many titles the archive's index shows for each edition. */
export const TOP_TITLES = 3;
/** Editions per page of the archive's index. */
export const ARCHIVE_PAGE_SIZE = 20;

/**
 * What an edition's page shows, made once when the edition is made and stored beside it, so
 * that pages and feeds never read the edition's candidates (about 780 KB) nor rank anything.
 * The cards are the email's view model ({@link DigestPaper}), with the edition's own reasons.
 */
export interface EditionPage {
  date: string;
  mode: Edition['mode'];
  createdAt: string;
  /** Candidates the edition holds (its size). */
  entryCount: number;
  /** `Trending papers` or `The week's best papers`. */
  heading: string;
  dateLabel: string;
  /** `30 new papers; today's top: …`. */
  summary: string;
  papers: DigestPaper[];
}

/** One line of the archive's index: an edition's date, size and top titles. */
export interface EditionListing {
  date: string;
  mode: Edition['mode'];
  entryCount: number;
  /** The first titles of its page; empty for an edition made before pages were stored. */
  topTitles: string[];
}

/**
 * The page of an edition: its first {@link PAGE_PAPERS} candidates, each with the reasons the
 * edition gave it, as the same view model as an email (links checked, values cut to size).
 */
export function buildEditionPage(edition: Edition): EditionPage {
  const items = edition.entries.slice(0, PAGE_PAPERS).map((entry) => ({ entry, reasons: entry.reasons }));
  const view: DigestView = buildDigestView(edition, items, {
    webViewUrl: '',
    footerLinks: [],
    postalAddress: '',
  });
  return {
    date: edition.date,
    mode: edition.mode,
    createdAt: edition.createdAt,
    entryCount: edition.entries.length,
    heading: view.heading,
    dateLabel: view.dateLabel,
    summary: view.summary,
    papers: view.papers,
  };
}

/** The index line of a page. */
export function listingOf(page: EditionPage): EditionListing {
  return {
    date: page.date,
    mode: page.mode,
    entryCount: page.entryCount,
    topTitles: page.papers.slice(0, TOP_TITLES).map((p) => p.title),
  };
}

/**
 * A page of the archive's index, newest first; `next` is the `before` of the page of older
 * editions, `newer` the `after` of the page of newer ones (when the page was asked by `after`).
 */
export interface ArchivePage {
  listings: EditionListing[];
  next?: string;
  newer?: string;
}

/** Where edition pages live (docs/data-model.md: the edition's `PAGE` and `LISTING` items). */
export interface EditionPages {
  /** Stores an edition's page and its index line; the same page stored twice changes nothing. */
  put(page: EditionPage): Promise<void>;
  get(date: string): Promise<EditionPage | undefined>;
  /**
   * Editions newest first, made before `before` (a date) if given: every edition, made before
   * pages were stored or after (those before show no titles). With `after` instead: the `limit`
   * editions just newer than that date (still listed newest first), the page before an older one.
   */
  list(limit: number, before?: string, after?: string): Promise<ArchivePage>;
}

/** The archive's cursors: `?before=` (older editions) or `?after=` (newer ones), a date. */
export const ArchiveQuery = z
  .object({
    before: z.iso.date({ message: 'before must be a date, YYYY-MM-DD' }).optional(),
    after: z.iso.date({ message: 'after must be a date, YYYY-MM-DD' }).optional(),
  })
  .refine((q) => !(q.before && q.after), { message: 'give before or after, not both', path: ['after'] });

/**
 * The page of one edition.
 * 1. Read the stored page (one small item).
 * 2. An edition made before pages were stored has none: build it from the edition's candidates
 *    (as this route always did), without storing it: a GET writes nothing. Re-running `rank` for
 *    that day stores it (see `rankEdition`).
 * 3. No edition that day: a 404.
 */
export async function editionPage(
  date: string,
  deps: { pages: EditionPages; editions: { get(date: string): Promise<Edition | undefined> } },
): Promise<EditionPage> {
  const stored = await deps.pages.get(date);
  if (stored) return stored;
  const edition = await deps.editions.get(date);
  if (!edition) throw new NotFoundError(`There is no edition for ${date}.`);
  return buildEditionPage(edition);
}

/** A short, plain label for an edition, in feeds and on the index. */
export function editionTitle(listing: Pick<EditionListing, 'date' | 'mode'>): string {
  return `${listing.mode === 'week' ? "The week's best papers" : 'Trending papers'}, ${dateLabel(listing.date)}`;
}

/** What {@link TopicSchema} accepts, as its error and docs/operations.md say it. */
export const TOPIC_RULE =
  "topic must start with a letter or digit, and hold only letters (accents included), digits, spaces and - + . , ' / & #";

/**
 * A topic as a feed takes it: a person's words, one line (control characters removed, white
 * space collapsed), in Unicode NFC (so "café" typed as e + a combining accent is "café"), then
 * 2–80 characters: a letter or digit first, then letters with their marks, digits, spaces and
 * `- + . , ' / & #` (no markup).
 */
export const TopicSchema = z
  .string({ message: 'topic is required' })
  .max(200, 'topic must be at most 80 characters')
  .transform((text) => singleLine(text).normalize('NFC'))
  .pipe(
    z
      .string()
      .min(2, 'topic must be at least 2 characters')
      .max(80, 'topic must be at most 80 characters')
      .regex(/^[\p{L}\p{N}][\p{L}\p{M}\p{N} .,'+#&/-]*$/u, TOPIC_RULE),
  );
export const TopicQuery = z.object({ topic: TopicSchema.optional() });
