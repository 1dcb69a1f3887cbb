import { UnreadableFileError } from '../errors.ts';
import { compact } from '../paper.ts';
import { cleanText, httpsUrl, parseArxivId, titleId } from '../text.ts';
import { defaultIngestLimits, type IngestLimits } from './limits.ts';
import { type ParsedRecord, refusedRecord, toRecord } from './records.ts';
import { child, children, NS, streamXmlRecords, type XmlElement } from './xml.ts';

const ENTRY_PATH = [
  { uri: NS.atom, local: 'feed' },
  { uri: NS.atom, local: 'entry' },
];

/**
 * An arXiv API answer (Atom). The API reports errors as a feed whose single entry is titled
 * `Error` with an id under `/api/errors`: that is a file-level error, not a paper. A feed with
 * no entries is a valid, empty file.
 */
export async function* parseArxivAtom(
  text: AsyncIterable<string>,
  observedAt: string,
  limits: IngestLimits = defaultIngestLimits,
): AsyncGenerator<ParsedRecord> {
  let index = 0;
  const entries = streamXmlRecords(
    text,
    ENTRY_PATH,
    (root) => {
      if (root.uri !== NS.atom || root.local !== 'feed')
        throw new UnreadableFileError('expected an Atom <feed>');
    },
    limits,
  );
  for await (const record of entries) {
    if ('refused' in record) {
      yield refusedRecord(index, record.refused);
      index += 1;
      continue;
    }
    const entry = record.element;
    const idText = child(entry, NS.atom, 'id')?.text.trim() ?? '';
    const title = cleanText(child(entry, NS.atom, 'title')?.text ?? '');
    if (title === 'Error' && /\/api\/errors/u.test(idText)) {
      const reason = cleanText(child(entry, NS.atom, 'summary')?.text ?? 'no detail');
      throw new UnreadableFileError(`the arXiv API answered with an error: ${reason}`);
    }
    yield toRecord(index, toPaper(entry, idText, title, observedAt));
    index += 1;
  }
}

function toPaper(entry: XmlElement, idText: string, title: string, observedAt: string): unknown {
  const arxiv = parseArxivId(idText.replace(/^https?:\/\/arxiv\.org\/abs\//u, ''));
  const links = children(entry, NS.atom, 'link');
  const pdf = links.find((l) => l.attributes.title === 'pdf')?.attributes.href;
  const doiLink = links.find((l) => l.attributes.title === 'doi')?.attributes.href;
  const doi = child(entry, NS.arxiv, 'doi')?.text.trim();
  return compact({
    id: arxiv?.id ?? titleId(title),
    version: arxiv?.version,
    title,
    abstract: cleanText(child(entry, NS.atom, 'summary')?.text ?? ''),
    authors: children(entry, NS.atom, 'author')
      .map((author) => cleanText(child(author, NS.atom, 'name')?.text ?? ''))
      .filter(Boolean),
    publishedAt: isoOrRaw(child(entry, NS.atom, 'published')?.text.trim() ?? ''),
    source: 'arxiv-api',
    links: compact({
      abstract: arxiv ? `https://arxiv.org/abs/${arxiv.id}` : undefined,
      pdf: arxiv ? `https://arxiv.org/pdf/${arxiv.id}` : httpsUrl(pdf),
      doi: httpsUrl(doiLink) ?? (doi ? httpsUrl(`https://doi.org/${doi}`) : undefined),
    }),
    keywords: [],
    categories: [
      ...new Set(
        children(entry, NS.atom, 'category')
          .map((c) => cleanText(c.attributes.term ?? ''))
          .filter(Boolean),
      ),
    ],
    primaryCategory:
      cleanText(child(entry, NS.arxiv, 'primary_category')?.attributes.term ?? '') || undefined,
    journalRef: optionalText(child(entry, NS.arxiv, 'journal_ref')),
    comment: optionalText(child(entry, NS.arxiv, 'comment')),
    signals: { observedAt },
  });
}

export function optionalText(element: XmlElement | undefined): string | undefined {
  const text = element ? cleanText(element.text) : '';
  return text || undefined;
}

/** An ISO date for a valid timestamp; the raw text otherwise, so validation names the field. */
export function isoOrRaw(value: string): string {
  const time = Date.parse(value);
  // Date.parse rolls an impossible day over (30 February → 2 March): such a date stays as
  // written, and the paper schema rejects it with the field named.
  return Number.isNaN(time) || !namesARealDay(value) ? value : new Date(time).toISOString();
}

const ISO_DAY = /^(\d{4})-(\d{2})-(\d{2})/u;
/** RFC 822 (RSS `pubDate`): an optional weekday, then `26 Nov 2026`. */
const RFC822_DAY = /^(?:[A-Za-z]{3},\s*)?(\d{1,2})\s+([A-Za-z]{3})\s+(\d{4})\b/u;
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** True when the date as written (ISO 8601 or RFC 822) names a day of the calendar. */
function namesARealDay(value: string): boolean {
  const iso = ISO_DAY.exec(value);
  if (iso) return isCalendarDay(Number(iso[1]), Number(iso[2]), Number(iso[3]));
  const rfc = RFC822_DAY.exec(value);
  if (rfc)
    return isCalendarDay(Number(rfc[3]), MONTHS.indexOf(String(rfc[2]).toLowerCase()) + 1, Number(rfc[1]));
  return false;
}

function isCalendarDay(year: number, month: number, day: number): boolean {
  const date = new Date(Date.UTC(year, month - 1, day));
  return month >= 1 && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}
