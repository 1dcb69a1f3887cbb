import { SaxesParser, type SaxesTagNS } from 'saxes';
import { UnreadableFileError } from '../errors.ts';

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

/**
 * Streams an XML document and yields every element found at `recordPath` (namespace URI and
 * local name per level) as a small tree, as soon as it closes: memory holds one record. Names
 * are matched by namespace URI, never by prefix, so both arXiv namespace styles read the same.
 * A DTD that declares entities (the "billion laughs" expansion) and malformed XML make the
 * file unreadable.
 */
export async function* streamXmlRecords(
  chunks: AsyncIterable<string>,
  recordPath: readonly { uri: string; local: string }[],
  onRoot?: (root: SaxesTagNS) => void,
): AsyncGenerator<XmlElement> {
  const parser = new SaxesParser({ xmlns: true, position: true });
  const ready: XmlElement[] = [];
  // The open elements from the root; only those inside a record keep text and children.
  const stack: XmlElement[] = [];
  let failure: Error | undefined;

  const onRecordPath = () =>
    stack.length === recordPath.length &&
    recordPath.every((step, i) => stack[i]?.uri === step.uri && stack[i]?.local === step.local);

  parser.on('doctype', (doctype) => {
    if (/<!ENTITY/iu.test(doctype)) {
      failure ??= new UnreadableFileError('the XML declares entities in a DTD; entity expansion is refused');
    }
  });
  parser.on('opentag', (tag) => {
    if (stack.length === 0) {
      try {
        onRoot?.(tag);
      } catch (error) {
        failure ??= error as Error;
      }
    }
    const attributes: Record<string, string> = {};
    for (const attribute of Object.values(tag.attributes)) attributes[attribute.local] = attribute.value;
    stack.push({ uri: tag.uri, local: tag.local, attributes, text: '', children: [] });
  });
  const onText = (text: string) => {
    if (stack.length >= recordPath.length) {
      const current = stack.at(-1);
      if (current) current.text += text;
    }
  };
  parser.on('text', onText);
  parser.on('cdata', onText);
  parser.on('closetag', () => {
    const isRecord = onRecordPath();
    const closed = stack.pop();
    if (!closed) return;
    if (isRecord) ready.push(closed);
    else if (stack.length >= recordPath.length) stack.at(-1)?.children.push(closed);
  });
  parser.on('error', (error) => {
    failure ??= new UnreadableFileError(`not well-formed XML: ${error.message}`);
  });

  for await (const chunk of chunks) {
    parser.write(chunk);
    if (failure) throw failure;
    yield* ready.splice(0);
  }
  parser.close();
  if (failure) throw failure;
  yield* ready.splice(0);
}
