import { createHash } from 'node:crypto';
import { decodeHTML } from 'entities';

/** Decodes HTML entities and collapses every run of white space (line breaks included) to one space. */
export function cleanText(raw: string): string {
  return decodeHTML(raw).replace(/\s+/gu, ' ').trim();
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
