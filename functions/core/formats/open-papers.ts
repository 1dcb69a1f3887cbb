import { UnreadableFileError } from '../errors.ts';
import type { Paper } from '../paper.ts';
import type { RejectedRecord } from '../parse-result.ts';
import { parseArxivAtom } from './arxiv-atom.ts';
import { parseArxivRss } from './arxiv-rss.ts';
import { parseHfDaily } from './hf-daily.ts';
import { parseJsonl } from './jsonl.ts';
import { parsePageDump } from './page-dump.ts';
import type { Format, ParsedRecord } from './records.ts';

const PARSERS: Record<
  Format,
  (text: AsyncIterable<string>, observedAt: string) => AsyncGenerator<ParsedRecord>
> = {
  'hf-daily': parseHfDaily,
  'arxiv-api': parseArxivAtom,
  'arxiv-rss': parseArxivRss,
  'page-dump': parsePageDump,
  jsonl: parseJsonl,
};

/** How much of the file's start is read to recognise its format. */
const PEEK_CHARS = 4096;
const XML_ROOT =
  /^(?:\s*(?:<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<!DOCTYPE[^>[]*(?:\[[\s\S]*?\])?\s*>))*\s*<(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)/u;
// Control characters other than tab, line feed and carriage return: not a text format.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const BINARY = /[\u0000-\u0008\u000B\u000C\u000E-\u001F]/u;

/**
 * Recognises a format from the start of a file's text (never from its name):
 * `[` a daily papers array, `{` JSON Lines, `<feed` arXiv Atom, `<rss` arXiv RSS, other
 * printable text a page dump. Anything else is unreadable.
 */
export function detectFormat(head: string): Format {
  const text = head.replace(/^\uFEFF/u, '').trimStart();
  if (text === '') throw new UnreadableFileError('the file is empty');
  if (BINARY.test(text)) throw new UnreadableFileError('the file holds binary data, not text');
  if (text.startsWith('[')) return 'hf-daily';
  if (text.startsWith('{')) return 'jsonl';
  if (text.startsWith('<')) {
    const root = XML_ROOT.exec(text)?.[1];
    if (root === 'feed') return 'arxiv-api';
    if (root === 'rss') return 'arxiv-rss';
    throw new UnreadableFileError(
      root ? `an XML document with root <${root}> is not a supported format` : 'not well-formed XML',
    );
  }
  return 'page-dump';
}

export interface OpenedPapers {
  format: Format;
  records: AsyncGenerator<ParsedRecord>;
}

/**
 * Opens a file's text as a stream of records: detects the format from its first few kilobytes
 * (unless `format` is given) and parses the rest as it arrives.
 */
export async function openPapers(
  text: AsyncIterable<string>,
  options: { observedAt: string; format?: Format },
): Promise<OpenedPapers> {
  const iterator = text[Symbol.asyncIterator]();
  const head: string[] = [];
  let peeked = 0;
  let done = false;
  while (peeked < PEEK_CHARS) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    head.push(next.value);
    peeked += next.value.length;
  }
  const format = options.format ?? detectFormat(head.join('').slice(0, PEEK_CHARS));
  async function* replay(): AsyncGenerator<string> {
    yield* head;
    if (done) return;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  }
  return { format, records: PARSERS[format](replay(), options.observedAt) };
}

/** Everything a whole file yields, in memory: for small files, tests and the CLI's summary. */
export async function collectPapers(
  text: AsyncIterable<string> | string,
  options: { observedAt: string; format?: Format },
): Promise<{ format: Format; papers: Paper[]; rejects: RejectedRecord[] }> {
  const source = typeof text === 'string' ? single(text) : text;
  const { format, records } = await openPapers(source, options);
  const papers: Paper[] = [];
  const rejects: RejectedRecord[] = [];
  for await (const record of records) {
    if ('paper' in record) papers.push(record.paper);
    else for (const reject of record.rejects) rejects.push({ index: record.index, ...reject });
  }
  return { format, papers, rejects };
}

async function* single(text: string): AsyncGenerator<string> {
  yield text;
}
