import { ConfigError } from '../core/errors.ts';

/** `{{name}}` takes a value, escaped; `{{{name}}}` takes HTML the renderer built (and escaped) itself. */
const SLOT = /\{\{\{([A-Za-z]+)\}\}\}|\{\{([A-Za-z]+)\}\}/gu;

/** A template cut once into literals and slot names; filling it is a join of escaped values. */
export interface Slotted {
  (values: Record<string, string>): string;
  /** The bytes (UTF-8) the template filled with `values` takes, without filling it. */
  bytes(values: Record<string, string>): number;
  /**
   * At least {@link bytes}, from the values' lengths alone (no value is read): a UTF-16 unit
   * takes at most three bytes, six once escaped (`"`).
   */
  maxBytes(values: Record<string, string>): number;
}

export function slotted(template: string): Slotted {
  const literals: string[] = [];
  const names: string[] = [];
  const raw: boolean[] = [];
  let last = 0;
  for (const match of template.matchAll(SLOT)) {
    literals.push(template.slice(last, match.index));
    names.push((match[1] ?? match[2]) as string);
    raw.push(match[1] !== undefined);
    last = match.index + match[0].length;
  }
  literals.push(template.slice(last));
  // Literals copied flat once, so that every email is built from flat pieces.
  const flat = literals.map((literal) => Buffer.from(literal).toString());
  const literalBytes = flat.reduce((sum, literal) => sum + Buffer.byteLength(literal), 0);
  const value = (values: Record<string, string>, i: number) => {
    const found = values[names[i] as string];
    if (found === undefined) throw new ConfigError(`template slot {{${names[i]}}} has no value`);
    return found;
  };
  const fill = (values: Record<string, string>) => {
    let out = flat[0] as string;
    for (let i = 0; i < names.length; i += 1) {
      out += (raw[i] ? value(values, i) : escapeHtml(value(values, i))) + flat[i + 1];
    }
    return out;
  };
  const bytes = (values: Record<string, string>) => {
    let sum = literalBytes;
    for (let i = 0; i < names.length; i += 1) {
      sum += Buffer.byteLength(raw[i] ? value(values, i) : escapeHtml(value(values, i)));
    }
    return sum;
  };
  const maxBytes = (values: Record<string, string>) => {
    let sum = literalBytes;
    for (let i = 0; i < names.length; i += 1) sum += value(values, i).length * (raw[i] ? 3 : 6);
    return sum;
  };
  return Object.assign(fill, { bytes, maxBytes });
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

const SPECIAL = /[&<>"']/u;

export function escapeHtml(value: string): string {
  // Most values hold nothing to escape: test before replacing.
  return SPECIAL.test(value) ? value.replace(/[&<>"']/gu, (c) => ESCAPES[c] as string) : value;
}

/**
 * A page's feed links for its `<head>` (feed autodiscovery), put just before `</head>`: a link
 * with `rel="alternate"` fetches nothing, so the pages' policy needs no change.
 */
export function withFeedAlternates(html: string, feeds: { atom: string; json: string } | undefined): string {
  if (!feeds) return html;
  const links =
    `<link rel="alternate" type="application/atom+xml" title="Paperboy (Atom)" href="${escapeHtml(feeds.atom)}">\n` +
    `<link rel="alternate" type="application/feed+json" title="Paperboy (JSON Feed)" href="${escapeHtml(feeds.json)}">\n`;
  const at = html.indexOf('</head>');
  return at < 0 ? html : html.slice(0, at) + links + html.slice(at);
}

/** Bytes each escaped character takes beyond its own one, in the HTML. */
const EXTRA_BYTES: Record<string, number> = { '&': 4, '<': 3, '>': 3, '"': 5, "'": 4 };

/**
 * `value` escaped for HTML, cut first if escaped it would take more than `maxBytes` (UTF-8): at a
 * word, with an ellipsis (a word longer than half of it is cut where it must).
 */
export function escapeWithin(value: string, maxBytes: number): string {
  const escaped = escapeHtml(value);
  // A UTF-16 unit takes at most three bytes: most values need no counting.
  if (escaped.length * 3 <= maxBytes || Buffer.byteLength(escaped) <= maxBytes) return escaped;
  const room = maxBytes - 3; // the ellipsis
  let end = 0;
  for (let bytes = unitBytes(value, 0); bytes <= room; bytes += unitBytes(value, end)) end += 1;
  // Never half of a surrogate pair.
  const last = value.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  const window = value.slice(0, end);
  const space = window.lastIndexOf(' ');
  const cut = space >= end / 2 ? window.slice(0, space) : window;
  return `${escapeHtml(cut.replace(/[\s,;:–—…-]+$/u, ''))}…`;
}

/**
 * At least the bytes the UTF-16 unit at `i` takes in HTML once escaped: a surrogate counts three,
 * so a pair (four bytes) is overcounted and a lone one (U+FFFD, three) exactly.
 */
function unitBytes(value: string, i: number): number {
  const code = value.charCodeAt(i);
  if (code < 0x80) return 1 + (EXTRA_BYTES[value.charAt(i)] ?? 0);
  return code < 0x800 ? 2 : 3;
}
