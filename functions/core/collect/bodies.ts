import { createHash } from 'node:crypto';
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
  /**
   * SHA-256 (hex) of what the body says, whatever its order: the sorted papers as parsed (ids,
   * titles, upvotes, stars, every field ingestion stores; the fetch time left out) and the
   * number of records. Two answers listing the same papers in another order have the same
   * fingerprint; one changed upvote changes it.
   */
  fingerprint: string;
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
    const canonical: string[] = [];
    // The fetch time is in every paper (observedAt): left out, so that the same answer an hour later is the same.
    const timeless = (_key: string, value: unknown) => (value === observedAt ? '@fetched' : value);
    for await (const record of records) {
      count += 1;
      if ('paper' in record) {
        papers += 1;
        // Each paper's own digest, not its text: a 20 MB answer's papers are not held twice.
        canonical.push(createHash('sha256').update(JSON.stringify(record.paper, timeless)).digest('base64'));
      } else if (firstReject === undefined) {
        const [reason] = record.rejects;
        firstReject = reason ? `${reason.field}: ${reason.reason}` : 'not a valid record';
      }
    }
    if (expected === 'hf-daily' && count > 0 && papers === 0) {
      return refuse(`none of its ${count} items has the daily papers shape (item 0: ${firstReject})`);
    }
    const hash = createHash('sha256').update(`${format(expected)}\n${count}\n`);
    for (const line of canonical.sort()) hash.update(line).update('\n');
    return { ok: true, records: count, papers, fingerprint: hash.digest('hex') };
  } catch (error) {
    if (error instanceof UnreadableFileError) return refuse(stripControl(error.message));
    throw error;
  }
}

/** Fingerprints of different formats never match (`v1`: a change of this recipe is a new prefix). */
function format(expected: Format): string {
  return `paperboy-fingerprint-v1 ${expected}`;
}

/** The first characters of a body, for a message: one line, control characters removed. */
function describeStart(text: string): string {
  return JSON.stringify(stripControl(text.trimStart().slice(0, 40)));
}

async function* once(text: string): AsyncGenerator<string> {
  yield text;
}
