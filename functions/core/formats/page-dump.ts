import { UnreadableFileError } from '../errors.ts';
import { cleanText, titleId } from '../text.ts';
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
 */
export async function* parsePageDump(
  text: AsyncIterable<string>,
  observedAt: string,
): AsyncGenerator<ParsedRecord> {
  let lineNumber = 0;
  let inHeader = true;
  let title: { text: string; line: number } | undefined;
  let index = 0;
  for await (const raw of splitLines(text)) {
    lineNumber += 1;
    const line = raw.trim();
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
        `line ${lineNumber} should be the abstract of "${title.text.slice(0, 60)}" (line ${title.line}) but is too short to be one: the dump's lines do not pair up as title/abstract`,
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
      `the dump ends with a title and no abstract ("${title.text.slice(0, 60)}", line ${title.line}): its lines do not pair up`,
    );
  }
}
