import { SaxesParser, type SaxesTagNS } from 'saxes';
import { UnreadableFileError } from '../errors.ts';
import { stripControl } from '../text.ts';
import { defaultIngestLimits, describeLimit, type IngestLimits, LimitExceededError } from './limits.ts';

export const NS = {
  atom: 'http://www.w3.org/2005/Atom',
  arxiv: 'http://arxiv.org/schemas/atom',
  dc: 'http://purl.org/dc/elements/1.1/',
  none: '',
} as const;

/** An element under a record: namespace URI, local name, attributes, its own text and children. */
export interface XmlElement {
  uri: string;
  local: string;
  attributes: Record<string, string>;
  text: string;
  children: XmlElement[];
}

/** The first child with this namespace URI and local name. */
export function child(element: XmlElement, uri: string, local: string): XmlElement | undefined {
  return element.children.find((c) => c.uri === uri && c.local === local);
}

export function children(element: XmlElement, uri: string, local: string): XmlElement[] {
  return element.children.filter((c) => c.uri === uri && c.local === local);
}

/** The limits the XML reader enforces (see IngestLimits). */
export type XmlLimits = Pick<
  IngestLimits,
  | 'maxXmlDepth'
  | 'maxXmlElementsPerRecord'
  | 'maxXmlRecordChars'
  | 'maxXmlTokenChars'
  | 'maxXmlAttributesPerElement'
  | 'maxXmlOpenTagChars'
  | 'maxXmlNamespaceDeclarations'
>;

/** A record of the document: its tree, or why it was read without being kept. */
export type XmlRecord = { element: XmlElement } | { refused: string };

/**
 * Text goes to the XML reader in pieces of at most this many characters, so that the limits are
 * checked at least this often whatever the size of the chunks that arrive.
 */
const PIECE_CHARS = 64 * 1024;

/**
 * Streams an XML document and yields every element found at `recordPath` (namespace URI and
 * local name per level) as a small tree, as soon as it closes: memory holds one record. Names
 * are matched by namespace URI, never by prefix, so both arXiv namespace styles read the same.
 *
 * Unreadable files: a DTD that declares entities (the "billion laughs" expansion), malformed
 * XML, nesting deeper than `maxXmlDepth` (saxes's work per element grows with the depth, so the
 * reader is stopped at the first element past it, before that cost adds up), one token
 * (text, tag, CDATA, a run of comments) longer than `maxXmlTokenChars` (the reader holds a token
 * whole), and start tags past `maxXmlAttributesPerElement`, `maxXmlOpenTagChars` or
 * `maxXmlNamespaceDeclarations` (the reader holds the attributes and namespace declarations of
 * every open element until it closes: 60 nested tags of 1 MiB of attributes each took over a
 * gigabyte). Attributes are counted as the reader reads them, so a tag past a limit is refused
 * at the attribute that passes it, before the rest of the tag is held.
 * A record with more than `maxXmlElementsPerRecord` elements or `maxXmlRecordChars` characters
 * is read to its end without being kept, and comes out refused with the reason.
 */
export async function* streamXmlRecords(
  chunks: AsyncIterable<string>,
  recordPath: readonly { uri: string; local: string }[],
  onRoot?: (root: SaxesTagNS) => void,
  limits: XmlLimits = defaultIngestLimits,
): AsyncGenerator<XmlRecord> {
  const parser = new SaxesParser({ xmlns: true, position: true });
  const ready: XmlRecord[] = [];
  // The open elements from the root; only those inside a kept record keep text and children.
  const stack: XmlElement[] = [];
  // The record being read: where it started, how many elements it has, and why it is not kept.
  let record: { start: number; line: number; elements: number; refused?: string } | undefined;
  // Where the last token ended: everything after it is held by the reader.
  let tokenEnd = 0;
  let tokenLine = 1;
  // What the reader holds for the start tags of the open elements: characters and namespace
  // declarations, one entry per open element (for closing), with their totals; and the same
  // for the tag being read, whose attributes arrive before its opentag event.
  const heldChars: number[] = [];
  const heldDeclarations: number[] = [];
  let openTagChars = 0;
  let openDeclarations = 0;
  let tagAttributes = 0;
  let tagChars = 0;
  let tagDeclarations = 0;

  const where = () =>
    `line ${parser.line}, column ${parser.column + 1} (character ${parser.position.toLocaleString('en-US')})`;
  const onRecordPath = () =>
    stack.length === recordPath.length &&
    recordPath.every((step, i) => stack[i]?.uri === step.uri && stack[i]?.local === step.local);
  const refuse = (reason: string) => {
    if (!record || record.refused) return;
    record.refused = `the ${recordPath.at(-1)?.local} starting on line ${record.line} ${reason}; read to its end without being kept`;
    // Let go of what was kept of it.
    const root = stack[recordPath.length - 1];
    if (root) {
      root.children = [];
      root.text = '';
    }
  };
  const checkRecordSize = () => {
    if (record && !record.refused && parser.position - record.start > limits.maxXmlRecordChars) {
      refuse(
        `is longer than ${limits.maxXmlRecordChars.toLocaleString('en-US')} characters (${describeLimit('maxXmlRecordChars', limits.maxXmlRecordChars)})`,
      );
    }
  };
  const token = () => {
    tokenEnd = parser.position;
    tokenLine = parser.line;
  };
  /** Refuses the file when the open start tags and the one being read (`tag` characters so far) hold too much. */
  const checkOpenTags = (tag: number) => {
    if (openTagChars + tag > limits.maxXmlOpenTagChars) {
      throw new LimitExceededError(
        'maxXmlOpenTagChars',
        limits.maxXmlOpenTagChars,
        `the start tags of the open XML elements (names, attributes and namespace declarations) hold more than ${limits.maxXmlOpenTagChars.toLocaleString('en-US')} characters at ${where()}, ${stack.length + 1} levels deep (${describeLimit('maxXmlOpenTagChars', limits.maxXmlOpenTagChars)})`,
      );
    }
  };

  // Six handlers at most: a seventh puts the parser object in dictionary mode (V8), and every
  // character then costs several times more (measured: 0.8 s against 3.0 s for a 57 MB feed).
  // So there is no error handler: without one saxes throws its errors from write() and close(),
  // where they are turned into UnreadableFileError (see `asUnreadable`). Comments and processing
  // instructions have none, so a run of them counts as one token.
  parser.on('doctype', (doctype) => {
    token();
    if (/<!ENTITY/iu.test(doctype)) {
      throw new UnreadableFileError('the XML declares entities in a DTD; entity expansion is refused');
    }
  });
  // Each attribute as the reader reads it, before the tag ends: a tag past a limit stops here,
  // before the reader holds the rest of it. Thrown from inside saxes's write, like the others.
  parser.on('attribute', (attribute) => {
    tagAttributes += 1;
    if (tagAttributes > limits.maxXmlAttributesPerElement) {
      throw new LimitExceededError(
        'maxXmlAttributesPerElement',
        limits.maxXmlAttributesPerElement,
        `an XML start tag has more than ${limits.maxXmlAttributesPerElement.toLocaleString('en-US')} attributes (namespace declarations included) at ${where()} (${describeLimit('maxXmlAttributesPerElement', limits.maxXmlAttributesPerElement)})`,
      );
    }
    tagChars += attribute.name.length + attribute.value.length;
    checkOpenTags(tagChars);
    if (attribute.name === 'xmlns' || attribute.name.startsWith('xmlns:')) {
      tagDeclarations += 1;
      if (openDeclarations + tagDeclarations > limits.maxXmlNamespaceDeclarations) {
        throw new LimitExceededError(
          'maxXmlNamespaceDeclarations',
          limits.maxXmlNamespaceDeclarations,
          `more than ${limits.maxXmlNamespaceDeclarations.toLocaleString('en-US')} XML namespace declarations on the open elements at ${where()} (${describeLimit('maxXmlNamespaceDeclarations', limits.maxXmlNamespaceDeclarations)})`,
        );
      }
    }
  });
  parser.on('opentag', (tag) => {
    token();
    // Thrown from inside saxes's write: it stops there, before any deeper element costs more.
    if (stack.length >= limits.maxXmlDepth) {
      throw new LimitExceededError(
        'maxXmlDepth',
        limits.maxXmlDepth,
        `XML elements nested deeper than ${limits.maxXmlDepth} levels at ${where()} (${describeLimit('maxXmlDepth', limits.maxXmlDepth)})`,
      );
    }
    const chars = tagChars + tag.name.length;
    checkOpenTags(chars);
    heldChars.push(chars);
    heldDeclarations.push(tagDeclarations);
    openTagChars += chars;
    openDeclarations += tagDeclarations;
    tagAttributes = 0;
    tagChars = 0;
    tagDeclarations = 0;
    if (stack.length === 0) onRoot?.(tag);
    if (record) {
      record.elements += 1;
      if (record.elements > limits.maxXmlElementsPerRecord) {
        refuse(
          `has more than ${limits.maxXmlElementsPerRecord.toLocaleString('en-US')} elements (${describeLimit('maxXmlElementsPerRecord', limits.maxXmlElementsPerRecord)})`,
        );
      }
      checkRecordSize();
    }
    const kept = record !== undefined && !record.refused;
    stack.push({
      uri: tag.uri,
      local: tag.local,
      attributes: kept ? attributesOf(tag) : {},
      text: '',
      children: [],
    });
    if (!record && onRecordPath()) {
      const root = stack.at(-1) as XmlElement;
      root.attributes = attributesOf(tag);
      record = { start: parser.position, line: parser.line, elements: 1 };
    }
  });
  const onText = (text: string) => {
    token();
    if (!record || record.refused) return;
    checkRecordSize();
    const current = stack.at(-1);
    if (current && !record.refused) current.text += text;
  };
  parser.on('text', onText);
  parser.on('cdata', onText);
  parser.on('closetag', () => {
    token();
    openTagChars -= heldChars.pop() ?? 0;
    openDeclarations -= heldDeclarations.pop() ?? 0;
    const closesRecord = record !== undefined && stack.length === recordPath.length;
    const closed = stack.pop();
    if (!closed || !record) return;
    checkRecordSize();
    if (closesRecord) {
      ready.push(record.refused ? { refused: record.refused } : { element: closed });
      record = undefined;
    } else if (!record.refused) stack.at(-1)?.children.push(closed);
  });

  for await (const chunk of chunks) {
    for (let at = 0; at < chunk.length; at += PIECE_CHARS) {
      try {
        parser.write(chunk.length <= PIECE_CHARS ? chunk : chunk.slice(at, at + PIECE_CHARS));
      } catch (error) {
        // The records that closed before the failure are whole: hand them over first.
        yield* ready.splice(0);
        throw asUnreadable(error);
      }
      if (ready.length > 0) yield* ready.splice(0);
      if (parser.position - tokenEnd > limits.maxXmlTokenChars) {
        throw new LimitExceededError(
          'maxXmlTokenChars',
          limits.maxXmlTokenChars,
          `one XML token (a run of text, a tag, a CDATA section, or comments) starting on line ${tokenLine} (character ${tokenEnd.toLocaleString('en-US')}) is longer than ${limits.maxXmlTokenChars.toLocaleString('en-US')} characters (${describeLimit('maxXmlTokenChars', limits.maxXmlTokenChars)})`,
        );
      }
      checkRecordSize();
    }
  }
  try {
    parser.close();
  } catch (error) {
    yield* ready.splice(0);
    throw asUnreadable(error);
  }
  yield* ready.splice(0);
}

/**
 * What the reader threw, as the file's error: saxes's own errors (a plain Error, the document
 * not well-formed) become UnreadableFileError; ours (a limit, entities) already are one; anything
 * else is a bug and goes through unchanged.
 */
function asUnreadable(error: unknown): unknown {
  if (!(error instanceof Error) || error.constructor !== Error) return error;
  // saxes quotes names from the document: the message goes to reports and terminals.
  return new UnreadableFileError(`not well-formed XML: ${stripControl(error.message)}`, { cause: error });
}

function attributesOf(tag: SaxesTagNS): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const attribute of Object.values(tag.attributes)) attributes[attribute.local] = attribute.value;
  return attributes;
}
