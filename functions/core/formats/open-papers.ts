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
/**
 * Binary data: a C0 control character other than tab, line feed and carriage return (NUL, BEL,
 * ESC, form feed…), written as such in the file. None of the formats can hold one: JSON must
 * escape it (`\u001b`, which is text, decoded and then cleaned like any other control), XML 1.0
 * forbids it, and the text of a web page has none. So one is a sign that the file is not text
 * (an archive, an image, UTF-16) or not what it claims (a terminal capture), and the file is
 * refused as binary data, wherever the character is: the first 4 KB are not special. Before
 * this rule, one in the first 4 KB refused the file while the same character later in a page
 * dump was silently removed. Other controls (DEL, C1, bidi) are characters of text, removed by
 * `cleanText`; so are the escaped ones.
 */
// BMP only, so no `u` flag: the scan runs over every character of every file, and is faster without.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const BINARY = /[\u0000-\u0008\u000B\u000C\u000E-\u001F]/;

/** The error for the binary character at `at` of `text`, whose line (from 1) and line start are given. */
function binaryData(text: string, at: number, where: { base: number; line: number; lineStart: number }) {
  const code = text.charCodeAt(at).toString(16).toUpperCase().padStart(4, '0');
  let { line, lineStart } = where;
  for (let lf = text.indexOf('\n'); lf >= 0 && lf < at; lf = text.indexOf('\n', lf + 1)) {
    line += 1;
    lineStart = where.base + lf + 1;
  }
  const offset = where.base + at;
  return new UnreadableFileError(
    `the file holds binary data, not text: control character U+${code} at line ${line}, column ${offset - lineStart + 1} (character ${offset.toLocaleString('en-US')})`,
  );
}

/**
 * Passes text through, refusing it (UnreadableFileError) at the first binary character (see
 * BINARY), wherever it is: the text before the character is passed on first, so that the records
 * that end before it are read, as when any file breaks part-way. Keeps the line count only to say where.
 */
async function* textOnly(chunks: AsyncIterable<string>): AsyncGenerator<string> {
  const where = { base: 0, line: 1, lineStart: 0 };
  for await (const chunk of chunks) {
    const at = chunk.search(BINARY);
    if (at >= 0) {
      if (at > 0) yield chunk.slice(0, at);
      throw binaryData(chunk, at, where);
    }
    for (let lf = chunk.indexOf('\n'); lf >= 0; lf = chunk.indexOf('\n', lf + 1)) {
      where.line += 1;
      where.lineStart = where.base + lf + 1;
    }
    where.base += chunk.length;
    yield chunk;
  }
}

/**
 * Recognises a format from the start of a file's text (never from its name):
 * `[` a daily papers array, `{` JSON Lines, `<feed` arXiv Atom, `<rss` arXiv RSS, other
 * printable text a page dump. Anything else is unreadable, binary data first (see BINARY: the
 * same rule refuses a binary character anywhere else in the file as it is read).
 */
export function detectFormat(head: string): Format {
  const binary = head.search(BINARY);
  if (binary >= 0) throw binaryData(head, binary, { base: 0, line: 1, lineStart: 0 });
  const text = head.replace(/^\uFEFF/u, '').trimStart();
  if (text === '') throw new UnreadableFileError('the file is empty');
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
 * one is rejected with the limit in its reason; a file past one throws LimitExceededError). A
 * binary character anywhere refuses the file (UnreadableFileError) when it is reached.
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
  return { format, records: PARSERS[format](textOnly(replay()), options.observedAt, limits) };
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
