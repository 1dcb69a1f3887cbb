import { createHash } from 'node:crypto';
import { decodeHTML } from 'entities';

/**
 * Characters that are never text: C0 controls other than the ASCII white space ones (tab, line
 * feed, vertical tab, form feed, carriage return), DEL, the C1 controls, and the bidirectional
 * embeddings, overrides and isolates. ESC and the C1 CSI/OSC start terminal escape sequences
 * (retitle the terminal, hide text); bidi overrides reorder what a terminal or mail client shows.
 */
// All in the Basic Multilingual Plane, so no `u` flag: without it the scan is about twice as fast,
// and it runs on every string of every paper.
const CONTROL =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  /[\u0000-\u0008\u000E-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069\uD800-\uDFFF\uFDD0-\uFDEF\uFFFE\uFFFF]/;
const CONTROLS =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: as above
  /[\u0000-\u0008\u000E-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069\uFDD0-\uFDEF\uFFFE\uFFFF]/g;
/**
 * What is not a Unicode scalar value or is a noncharacter outside the Basic Multilingual Plane:
 * a lone surrogate (strict JSON and XML decoders reject it) and U+1FFFE, U+1FFFF … U+10FFFF
 * (each plane's last high surrogate before a low U+DFFE or U+DFFF).
 */
const NOT_TEXT =
  /[\uD83F\uD87F\uD8BF\uD8FF\uD93F\uD97F\uD9BF\uD9FF\uDA3F\uDA7F\uDABF\uDAFF\uDB3F\uDB7F\uDBBF\uDBFF][\uDFFE\uDFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Removes the control characters from text that comes from outside (see {@link cleanText} for
 * paper text): C0 and C1 controls, DEL and the bidi embedding, override and isolate characters,
 * and what is not text at all: lone surrogates and the noncharacters (U+FDD0–U+FDEF and every
 * plane's U+xFFFE and U+xFFFF), so that what is kept is well-formed for JSON, XML and email.
 * ASCII white space (tab, line feed, vertical tab, form feed, carriage return) is kept for the
 * caller to collapse or keep; nothing else is changed (a surrogate pair, an emoji, stays). With
 * ESC and BEL gone, what remains of an escape sequence (`]0;title`, `[8m`) is inert printable text.
 */
export function stripControl(text: string): string {
  // Most text holds none: look before copying (any surrogate, even a valid pair, looks further).
  return CONTROL.test(text) ? text.replace(NOT_TEXT, '').replace(CONTROLS, '') : text;
}

/**
 * The one normalization for paper text from outside: decodes HTML entities, removes control
 * characters ({@link stripControl}, after decoding, so `&#27;` goes too) and collapses every run
 * of white space (line breaks included) to one space.
 */
export function cleanText(raw: string): string {
  return singleLine(decodeHTML(raw));
}

/**
 * Text typed by a person into one field (a topic, an author, a word to leave out): control
 * characters removed and every run of white space, line breaks included, made one space, so
 * nothing a reader types can start a new line in an email or a header.
 */
export function singleLine(text: string): string {
  return stripControl(text).replace(/\s+/gu, ' ').trim();
}

/**
 * Splits an arXiv id into its stable id and version: `2401.01234v2` → `2401.01234`, 2.
 * Old-style ids (`hep-th/9901001v1`) keep their archive prefix. Returns undefined for
 * anything that is not an arXiv id, so callers fall back to a title-derived id.
 */
export function parseArxivId(raw: string): { id: string; version?: number } | undefined {
  const trimmed = raw.trim().replace(/^arxiv:/iu, '');
  const match = /^(\d{4}\.\d{4,5}|[a-z][a-z.-]*\/\d{7})(?:v(\d+))?$/iu.exec(trimmed);
  if (!match?.[1]) return undefined;
  const version = match[2] ? Number(match[2]) : undefined;
  return version === undefined ? { id: match[1] } : { id: match[1], version };
}

/** Lower-cased, accent-free, punctuation-free title: the basis of ids and duplicate checks. */
export function normalizeTitle(title: string): string {
  return cleanText(title)
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** A stable id for a paper with no external id: the same title always gives the same id. */
export function titleId(title: string): string {
  return `t-${createHash('sha256').update(normalizeTitle(title)).digest('hex').slice(0, 16)}`;
}

/** Upgrades http links to https and drops anything that is not a web link. */
export function httpsUrl(raw: string | undefined | null): string | undefined {
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return undefined;
  }
  if (url.protocol === 'http:') url.protocol = 'https:';
  return url.protocol === 'https:' ? url.toString() : undefined;
}
