import { ConfigError, UnreadableFileError } from '../errors.ts';

/**
 * Every bound ingestion enforces, in one place. Each is checked while the file streams, before
 * the thing it bounds is built, so that time and memory stay linear in the input whatever its
 * shape. Defaults sit far above any real file (an arXiv entry has about 20 elements, a daily
 * papers item about 5 KB). Past a limit, one record is rejected with the limit in its reason when
 * the format can skip to the next record; otherwise the whole file is refused
 * ({@link LimitExceededError}, an UnreadableFileError: the file is quarantined).
 */
export interface IngestLimits {
  /** XML: deepest element nesting, the root being depth 1. Past it: the file is refused. */
  readonly maxXmlDepth: number;
  /** XML: elements in one record (an Atom entry, an RSS item), itself included. Past it: that record is rejected. */
  readonly maxXmlElementsPerRecord: number;
  /** XML: characters of one record, from its start tag to its end tag. Past it: that record is rejected. */
  readonly maxXmlRecordChars: number;
  /**
   * XML: characters of one token the XML reader must hold whole — a run of text, a tag with its
   * attributes, a CDATA section, a comment (comments in a row count as one). It cannot be skipped:
   * past it, the file is refused.
   */
  readonly maxXmlTokenChars: number;
  /**
   * XML: attributes on one start tag, namespace declarations included. The XML reader holds every
   * attribute of every open element until that element closes, so it cannot be skipped: past it,
   * the file is refused, at the attribute past the limit (before the rest of the tag is read).
   */
  readonly maxXmlAttributesPerElement: number;
  /**
   * XML: characters of the start tags of all open elements together (each element's name and its
   * attributes' names and values, namespace declarations included), the root's included. Bounds
   * what the XML reader holds while a record is open, whatever the nesting: past it, the file is refused.
   */
  readonly maxXmlOpenTagChars: number;
  /**
   * XML: namespace declarations (`xmlns`, `xmlns:p`) on all open elements together. The reader
   * keeps a table of them per open element and resolves every prefixed name through them: past
   * it, the file is refused.
   */
  readonly maxXmlNamespaceDeclarations: number;
  /**
   * Page dump and JSON Lines: characters of one line. Past it: that JSON Lines record is rejected
   * (the rest of the line is skipped unread); a page dump, which cannot re-pair its lines, is refused.
   */
  readonly maxLineChars: number;
  /** Daily papers JSON array: characters of one element. Past it: that element is rejected. */
  readonly maxJsonElementChars: number;
  /** JSON (an array element, a JSON Lines record): nesting of arrays and objects. Past it: that record is rejected. */
  readonly maxJsonDepth: number;
  /** Gzip: bytes once decompressed (a decompression bomb). Past it: the file is refused. */
  readonly maxDecompressedBytes: number;
  /** Ingest: the object's size in bytes, checked before a byte is read. Past it: the file is refused. */
  readonly maxFileBytes: number;
  /**
   * Ingest: when fewer milliseconds than this are left before the function is stopped, what is
   * parsed is stored and the file is quarantined as too slow to finish (split it and upload again).
   */
  readonly deadlineMarginMs: number;
}

/** The name of one limit, as messages and quarantine reports give it. */
export type IngestLimitName = keyof IngestLimits;

const KiB = 1024;
const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

/** The limits ingestion runs with unless told otherwise. */
export const defaultIngestLimits: IngestLimits = Object.freeze({
  maxXmlDepth: 64,
  maxXmlElementsPerRecord: 10_000,
  maxXmlRecordChars: 4 * MiB,
  maxXmlTokenChars: 1 * MiB,
  // A real feed has at most 5 attributes on an element, a few hundred characters of open start
  // tags and 5 namespace declarations (all on the root).
  maxXmlAttributesPerElement: 256,
  maxXmlOpenTagChars: 256 * KiB,
  maxXmlNamespaceDeclarations: 64,
  maxLineChars: 1 * MiB,
  maxJsonElementChars: 4 * MiB,
  maxJsonDepth: 64,
  maxDecompressedBytes: 4 * GiB,
  maxFileBytes: 2 * GiB,
  deadlineMarginMs: 30_000,
});

/**
 * The defaults with some limits replaced. A limit that is not a whole number of at least 1 (0
 * allowed for `deadlineMarginMs`) is a configuration mistake and throws a ConfigError naming it;
 * an infinite limit is allowed and means "no limit".
 */
export function ingestLimits(overrides: Partial<IngestLimits> = {}): IngestLimits {
  const limits: { -readonly [K in IngestLimitName]: number } = { ...defaultIngestLimits };
  for (const [name, value] of Object.entries(overrides) as [IngestLimitName, number | undefined][]) {
    if (value === undefined) continue;
    if (!(name in defaultIngestLimits)) throw new ConfigError(`unknown ingest limit ${name}`);
    // A margin of 0 is meaningful (use the function's time to the end); a size of 0 is not.
    const least = name === 'deadlineMarginMs' ? 0 : 1;
    if (!(value === Number.POSITIVE_INFINITY || (Number.isInteger(value) && value >= least))) {
      throw new ConfigError(`ingest limit ${name} must be a whole number of at least ${least}, got ${value}`);
    }
    limits[name] = value;
  }
  return Object.freeze(limits);
}

/**
 * A file refused because it passes one of the {@link IngestLimits}. It is an UnreadableFileError
 * (the file is quarantined) that carries which limit and its value, for the quarantine report.
 */
export class LimitExceededError extends UnreadableFileError {
  override name = 'LimitExceededError';
  constructor(
    readonly limit: IngestLimitName,
    readonly value: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** `limit maxLineChars = 1,048,576 characters, 1 MiB`: how every message names a limit and its value. */
export function describeLimit(name: IngestLimitName, value: number): string {
  const unit = UNITS.find(([suffix]) => name.endsWith(suffix))?.[1] ?? '';
  return `limit ${name} = ${value.toLocaleString('en-US')}${unit}${readable(name, value)}`;
}

const UNITS = [
  ['Chars', ' characters'],
  ['Bytes', ' bytes'],
  ['Ms', ' ms'],
  ['Depth', ' levels'],
  ['PerRecord', ' elements'],
  ['PerElement', ' attributes'],
  ['Declarations', ' declarations'],
] as const;

function readable(name: IngestLimitName, value: number): string {
  if (!Number.isFinite(value)) return '';
  if (name.endsWith('Ms')) return value >= 1000 && value % 100 === 0 ? `, ${value / 1000} s` : '';
  if (!(name.endsWith('Chars') || name.endsWith('Bytes'))) return '';
  for (const [unit, size] of [
    ['GiB', GiB],
    ['MiB', MiB],
    ['KiB', KiB],
  ] as const) {
    if (value >= size && value % (size / 4) === 0) return `, ${value / size} ${unit}`;
  }
  return '';
}
