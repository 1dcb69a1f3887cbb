import { UnreadableFileError } from '../errors.ts';
import { compact } from '../paper.ts';
import { cleanText, parseArxivId, titleId } from '../text.ts';
import { isoOrRaw, optionalText } from './arxiv-atom.ts';
import { defaultIngestLimits, type IngestLimits } from './limits.ts';
import { type ParsedRecord, refusedRecord, toRecord } from './records.ts';
import { child, children, NS, streamXmlRecords, type XmlElement } from './xml.ts';

const ITEM_PATH = [
  { uri: NS.none, local: 'rss' },
  { uri: NS.none, local: 'channel' },
  { uri: NS.none, local: 'item' },
];

/** `arXiv:2609.26811v1 Announce Type: new \nAbstract: …` at the head of each description. */
const DESCRIPTION_PREFIX = /^\s*arXiv:(\S+)\s+Announce Type:\s*([\w-]+)\s*Abstract:\s*/iu;
const ANNOUNCE_TYPES = new Set(['new', 'cross', 'replace', 'replace-cross']);

/** An arXiv RSS 2.0 listing feed (rss.arxiv.org): one item per announced paper. */
export async function* parseArxivRss(
  text: AsyncIterable<string>,
  observedAt: string,
  limits: IngestLimits = defaultIngestLimits,
): AsyncGenerator<ParsedRecord> {
  let index = 0;
  const items = streamXmlRecords(
    text,
    ITEM_PATH,
    (root) => {
      if (root.uri !== NS.none || root.local !== 'rss')
        throw new UnreadableFileError('expected an RSS <rss> document');
    },
    limits,
  );
  for await (const item of items) {
    yield 'refused' in item
      ? refusedRecord(index, item.refused)
      : toRecord(index, toPaper(item.element, observedAt));
    index += 1;
  }
}

function toPaper(item: XmlElement, observedAt: string): unknown {
  const description = child(item, NS.none, 'description')?.text ?? '';
  const prefix = DESCRIPTION_PREFIX.exec(description);
  const guid =
    child(item, NS.none, 'guid')
      ?.text.trim()
      .replace(/^oai:arXiv\.org:/iu, '') ?? '';
  const arxiv = parseArxivId(prefix?.[1] ?? guid);
  const title = cleanText(child(item, NS.none, 'title')?.text ?? '');
  const announce = (child(item, NS.arxiv, 'announce_type')?.text ?? prefix?.[2] ?? '').trim().toLowerCase();
  return compact({
    id: arxiv?.id ?? titleId(title),
    version: arxiv?.version,
    title,
    abstract: cleanText(prefix ? description.slice(prefix[0].length) : description),
    authors: splitAuthors(child(item, NS.dc, 'creator')?.text ?? ''),
    publishedAt: isoOrRaw(child(item, NS.none, 'pubDate')?.text.trim() ?? ''),
    source: 'arxiv-rss',
    links: compact({
      abstract: arxiv ? `https://arxiv.org/abs/${arxiv.id}` : undefined,
      pdf: arxiv ? `https://arxiv.org/pdf/${arxiv.id}` : undefined,
    }),
    keywords: [],
    categories: [
      ...new Set(
        children(item, NS.none, 'category')
          .map((c) => cleanText(c.text))
          .filter(Boolean),
      ),
    ],
    announceType: ANNOUNCE_TYPES.has(announce) ? announce : undefined,
    comment: optionalText(child(item, NS.arxiv, 'comment')),
    signals: { observedAt },
  });
}

/** `A, B, and C` or `A and B` → [A, B, C]. */
export function splitAuthors(creator: string): string[] {
  return cleanText(creator)
    .split(/\s*,\s*(?:and\s+)?|\s+and\s+/u)
    .map((name) => name.trim())
    .filter(Boolean);
}
