import { UnreadableFileError } from '../errors.ts';
import { detectFormat, openPapers } from '../formats/open-papers.ts';
import type { Format } from '../formats/records.ts';
import { stripControl } from '../text.ts';

/** What a body holds when it is what its source promises. */
export interface BodyContents {
  ok: true;
  /** Records in it (items, entries), valid or not: a full page means there may be a next one. */
  records: number;
  /** Records that are valid papers. */
  papers: number;
}

const FORMAT_NAMES: Record<Format, string> = {
  'hf-daily': 'a Hugging Face daily papers JSON array',
  'arxiv-api': 'an arXiv API Atom feed',
  'arxiv-rss': 'an arXiv RSS feed',
  'page-dump': 'a page dump',
  jsonl: 'JSON Lines',
};

/**
 * Checks that a fetched body is what its source promises, with the ingestion's own parsers (so
 * that what is written is what ingestion will read): strict UTF-8, the expected format by content
 * (an HTML error page, a JSON object, an empty body are not), read to the end (a truncated JSON
 * array, an arXiv API error feed are not). A daily papers array none of whose items is a paper
 * has changed shape: refused too. A body that is refused is recorded as an error, never written.
 */
export async function inspectBody(
  body: Uint8Array,
  expected: Format,
  observedAt: string,
): Promise<BodyContents | { ok: false; reason: string }> {
  const refuse = (reason: string) => ({
    ok: false as const,
    reason: `not ${FORMAT_NAMES[expected]}: ${reason}`,
  });
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return refuse('the body is not UTF-8 text');
  }
  try {
    const found = detectFormat(text.slice(0, 4096));
    if (found !== expected)
      return refuse(`it reads as ${FORMAT_NAMES[found]} (starts ${describeStart(text)})`);
    const { records } = await openPapers(once(text), { observedAt, format: expected });
    let count = 0;
    let papers = 0;
    let firstReject: string | undefined;
    for await (const record of records) {
      count += 1;
      if ('paper' in record) papers += 1;
      else if (firstReject === undefined) {
        const [reason] = record.rejects;
        firstReject = reason ? `${reason.field}: ${reason.reason}` : 'not a valid record';
      }
    }
    if (expected === 'hf-daily' && count > 0 && papers === 0) {
      return refuse(`none of its ${count} items has the daily papers shape (item 0: ${firstReject})`);
    }
    return { ok: true, records: count, papers };
  } catch (error) {
    if (error instanceof UnreadableFileError) return refuse(stripControl(error.message));
    throw error;
  }
}

/** The first characters of a body, for a message: one line, control characters removed. */
function describeStart(text: string): string {
  return JSON.stringify(stripControl(text.trimStart().slice(0, 40)));
}

async function* once(text: string): AsyncGenerator<string> {
  yield text;
}
