import { UnreadableFileError } from '../errors.ts';
import { cleanText, titleId } from '../text.ts';
import { defaultIngestLimits, describeLimit, type IngestLimits, LimitExceededError } from './limits.ts';
import { type ParsedRecord, toRecord } from './records.ts';
import { splitLines } from './split.ts';

/** Lines of the page's header, above the list: skipped. */
const BANNER = /^get trending papers/iu;
/** The page's button text, glued to the first title when the page was copied. */
const BUTTON = /^subscribe(?=\S)/iu;
/** A title is a line; an abstract is longer than its title and reads like a paragraph. */
const MAX_TITLE_CHARS = 400;
const MIN_ABSTRACT_CHARS = 80;

/**
 * The text of a papers listing page: banner lines, then for each paper a title line followed by
 * one abstract line. There are no ids, dates or votes: papers get title-derived ids, the file's
 * time as their date, and their position in the listing as `sourceRank`. A dump whose lines do
 * not pair up as title/abstract is reported at the first line that breaks the pattern, never guessed.
 * A line longer than `maxLineChars` refuses the file at once: skipping it would break the pairing.
 */
export async function* parsePageDump(
  text: AsyncIterable<string>,
  observedAt: string,
  limits: IngestLimits = defaultIngestLimits,
): AsyncGenerator<ParsedRecord> {
  let inHeader = true;
  let title: { text: string; line: number } | undefined;
  let index = 0;
  for await (const raw of splitLines(text, limits.maxLineChars)) {
    const lineNumber = raw.number;
    if ('tooLong' in raw) {
      throw new LimitExceededError(
        'maxLineChars',
        limits.maxLineChars,
        `line ${lineNumber} (from character ${raw.offset.toLocaleString('en-US')}) is longer than ${limits.maxLineChars.toLocaleString('en-US')} characters (${describeLimit('maxLineChars', limits.maxLineChars)}); a page dump cannot skip a line without breaking its title/abstract pairs`,
      );
    }
    const line = raw.text.trim();
    if (line === '') continue;
    if (inHeader && BANNER.test(line)) continue;
    if (inHeader) {
      inHeader = false;
      if (!title) {
        title = { text: line.replace(BUTTON, ''), line: lineNumber };
        continue;
      }
    }
    if (!title) {
      if (line.length > MAX_TITLE_CHARS) {
        throw new UnreadableFileError(
          `line ${lineNumber} should be a title but reads like an abstract (${line.length} characters): the dump's lines do not pair up as title/abstract`,
        );
      }
      title = { text: line, line: lineNumber };
      continue;
    }
    if (line.length < MIN_ABSTRACT_CHARS || line.length <= title.text.length) {
      throw new UnreadableFileError(
        `line ${lineNumber} should be the abstract of "${quote(title.text)}" (line ${title.line}) but is too short to be one: the dump's lines do not pair up as title/abstract`,
      );
    }
    const cleanTitle = cleanText(title.text);
    yield toRecord(index, {
      id: titleId(cleanTitle),
      title: cleanTitle,
      abstract: cleanText(line),
      authors: [],
      publishedAt: observedAt,
      source: 'page-dump',
      links: {},
      keywords: [],
      categories: [],
      sourceRank: index,
      signals: { observedAt },
    });
    index += 1;
    title = undefined;
  }
  if (title) {
    throw new UnreadableFileError(
      `the dump ends with a title and no abstract ("${quote(title.text)}", line ${title.line}): its lines do not pair up`,
    );
  }
}

/** The start of a line, for an error message: it is shown in terminals and reports, so cleaned first. */
function quote(line: string): string {
  return cleanText(line).slice(0, 60);
}
