import { UnreadableFileError } from '../errors.ts';
import type { Paper } from '../paper.ts';
import type { RejectedRecord } from '../parse-result.ts';
import { parseArxivAtom } from './arxiv-atom.ts';
import { parseArxivRss } from './arxiv-rss.ts';
import { parseHfDaily } from './hf-daily.ts';
import { parseJsonl } from './jsonl.ts';
import { type IngestLimits, ingestLimits } from './limits.ts';
import { parsePageDump } from './page-dump.ts';
import type { Format, ParsedRecord } from './records.ts';

const PARSERS: Record<
  Format,
  (text: AsyncIterable<string>, observedAt: string, limits: IngestLimits) => AsyncGenerator<ParsedRecord>
> = {
  'hf-daily': parseHfDaily,
  'arxiv-api': parseArxivAtom,
  'arxiv-rss': parseArxivRss,
  'page-dump': parsePageDump,
  jsonl: parseJsonl,
};

/** How much of the file's start is read to recognise its format. */
const PEEK_CHARS = 4096;
/** The root element's name (prefix dropped), read at the given position. */
const ROOT_NAME = /<(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)/uy;
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
    const root = xmlRoot(text);
    if (root === 'feed') return 'arxiv-api';
    if (root === 'rss') return 'arxiv-rss';
    throw new UnreadableFileError(
      root ? `an XML document with root <${root}> is not a supported format` : 'not well-formed XML',
    );
  }
  return 'page-dump';
}

/**
 * The name of the root element after the prolog (XML declaration, processing instructions,
 * comments, a DOCTYPE), or undefined. A scan rather than one regular expression: a prolog pattern
 * with lazy parts under a repetition backtracks exponentially on a head of repeated `<?a?>`.
 */
function xmlRoot(text: string): string | undefined {
  let at = 0;
  for (;;) {
    while (at < text.length && isXmlSpace(text.charCodeAt(at))) at += 1;
    let end: number;
    if (text.startsWith('<?', at)) end = endOf(text, '?>', at + 2);
    else if (text.startsWith('<!--', at)) end = endOf(text, '-->', at + 4);
    else if (text.startsWith('<!DOCTYPE', at)) end = doctypeEnd(text, at + 9);
    else break;
    if (end < 0) return undefined;
    at = end;
  }
  ROOT_NAME.lastIndex = at;
  return ROOT_NAME.exec(text)?.[1];
}

/** The position after `close`, searched from `from`, or -1. */
function endOf(text: string, close: string, from: number): number {
  const at = text.indexOf(close, from);
  return at < 0 ? -1 : at + close.length;
}

/** The position after a DOCTYPE's `>` (past an internal subset in brackets), or -1. */
function doctypeEnd(text: string, from: number): number {
  let at = from;
  while (at < text.length && text[at] !== '>' && text[at] !== '[') at += 1;
  if (text[at] === '[') {
    // The subset ends at the first `]` followed, after white space, by `>`.
    for (let close = text.indexOf(']', at); close >= 0; close = text.indexOf(']', close + 1)) {
      let after = close + 1;
      while (after < text.length && isXmlSpace(text.charCodeAt(after))) after += 1;
      if (text[after] === '>') return after + 1;
    }
    return -1;
  }
  return at < text.length ? at + 1 : -1;
}

function isXmlSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

export interface OpenedPapers {
  format: Format;
  records: AsyncGenerator<ParsedRecord>;
}

export interface OpenPapersOptions {
  /** When the file's signals were observed (its upload time), ISO 8601. */
  observedAt: string;
  /** The format, when known; otherwise it is detected from the content. */
  format?: Format;
  /** Limits to parse with; those left out are `defaultIngestLimits`. */
  limits?: Partial<IngestLimits>;
}

/**
 * Opens a file's text as a stream of records: detects the format from its first few kilobytes
 * (unless `format` is given) and parses the rest as it arrives, within `limits` (a record past
 * one is rejected with the limit in its reason; a file past one throws LimitExceededError).
 */
export async function openPapers(
  text: AsyncIterable<string>,
  options: OpenPapersOptions,
): Promise<OpenedPapers> {
  const limits = ingestLimits(options.limits);
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
  return { format, records: PARSERS[format](replay(), options.observedAt, limits) };
}

/** Everything a whole file yields, in memory: for small files, tests and the CLI's summary. */
export async function collectPapers(
  text: AsyncIterable<string> | string,
  options: OpenPapersOptions,
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
