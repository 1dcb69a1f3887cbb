import { compact, type Paper, type Source } from './paper.ts';
import { normalizeTitle } from './text.ts';

/**
 * When two records are the same work
 * ----------------------------------
 * 1. Same id (arXiv id without version, or the same title-derived id): always the same paper.
 * 2. Otherwise, the same *title key* and similar abstracts. The title key is the normalized
 *    title (case, accents, punctuation and spacing ignored) without a short leading name such
 *    as "TRP:" — journal and conference versions of one work often differ only by it. Abstracts
 *    are similar when their word sets overlap by at least 30% (Jaccard), or when either is
 *    missing. Distinct works rarely share a whole title; when they do, their abstracts differ.
 * Measured on the shared samples in docs/ingestion.md.
 */
export function titleKey(title: string): string {
  const normalized = normalizeTitle(title);
  const colon = title.indexOf(':');
  if (colon > 0 && colon <= 40) {
    const prefix = normalizeTitle(title.slice(0, colon));
    const rest = normalizeTitle(title.slice(colon + 1));
    // A name of up to three words before the colon, and a real title after it.
    if (prefix.split(' ').length <= 3 && rest.split(' ').length >= 3) return rest;
  }
  return normalized;
}

export const SAME_WORK_ABSTRACT_SIMILARITY = 0.3;

export function abstractSimilarity(a: string, b: string): number {
  const words = (text: string) =>
    new Set(
      normalizeTitle(text)
        .split(' ')
        .filter((w) => w.length >= 3)
        .slice(0, 400),
    );
  const left = words(a);
  const right = words(b);
  if (left.size === 0 || right.size === 0) return 1;
  let shared = 0;
  for (const word of left) if (right.has(word)) shared += 1;
  return shared / (left.size + right.size - shared);
}

export function isSameWork(
  a: Pick<Paper, 'title' | 'abstract'>,
  b: Pick<Paper, 'title' | 'abstract'>,
): boolean {
  return (
    titleKey(a.title) === titleKey(b.title) &&
    abstractSimilarity(a.abstract, b.abstract) >= SAME_WORK_ABSTRACT_SIMILARITY
  );
}

/** Papers without an external id carry a title-derived id. */
export function hasExternalId(paper: Pick<Paper, 'id'>): boolean {
  return !paper.id.startsWith('t-');
}

/** How much a source's bibliographic fields are trusted, when two disagree. */
const AUTHORITY: Record<Source, number> = {
  'arxiv-api': 4,
  'arxiv-rss': 3,
  'hf-daily': 3,
  jsonl: 2,
  'page-dump': 1,
};

/**
 * Merges a new record of a paper into the stored one: the richest fields, the newest signals.
 * Bibliographic fields come from the more authoritative source (arXiv over the rest); text
 * fields keep the longer value; lists are united; the first publication date stands; each
 * signal keeps the value of the newest observation that has it, so an older file never
 * overwrites newer counts and a source without votes never erases them. The stored paper's
 * `canonicalId` stands as it is, whatever the incoming record carries.
 */
export function mergePaper(stored: Paper, incoming: Paper): Paper {
  const incomingWins = AUTHORITY[incoming.source] > AUTHORITY[stored.source];
  const [primary, secondary] = incomingWins ? [incoming, stored] : [stored, incoming];
  const newer = incoming.signals.observedAt > stored.signals.observedAt;
  const [newSignals, oldSignals] = newer
    ? [incoming.signals, stored.signals]
    : [stored.signals, incoming.signals];
  return compact({
    ...secondary,
    ...primary,
    id: stored.id,
    version: maxDefined(stored.version, incoming.version),
    title: primary.title,
    abstract: longer(primary.abstract, secondary.abstract),
    authors: primary.authors.length > 0 ? primary.authors : secondary.authors,
    publishedAt: earliest(stored.publishedAt, incoming.publishedAt),
    links: compact({ ...secondary.links, ...primary.links }),
    keywords: union(stored.keywords, incoming.keywords, 50),
    categories: union(stored.categories, incoming.categories, 20),
    aiSummary: longerOptional(stored.aiSummary, incoming.aiSummary),
    sourceRank: stored.sourceRank ?? incoming.sourceRank,
    // Only de-duplication links a paper to another (planStore sets it on what it writes): an
    // incoming record never does, or a file could hide any stored paper from editions.
    canonicalId: stored.canonicalId,
    signals: compact({ ...oldSignals, ...compact(newSignals), observedAt: newSignals.observedAt }),
  });
}

function longer(a: string, b: string): string {
  return b.length > a.length ? b : a;
}

function longerOptional(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return longer(a, b);
}

/** The earlier of two ISO 8601 UTC times (normalized, so they compare as text). */
function earliest(a: string, b: string): string {
  return b < a ? b : a;
}

function maxDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.max(a, b);
}

function union(a: readonly string[], b: readonly string[], cap: number): string[] {
  return [...new Set([...a, ...b])].slice(0, cap);
}

/** What is stored for a paper's id and for its title key, as read before deciding. */
export interface StoredState {
  /** The stored copy of the incoming paper's id. */
  stored?: Paper;
  /** The paper that first claimed the incoming paper's title key, if another. */
  titleOwner?: Paper;
  /** The id the title key points to (even when that paper is missing). */
  titleOwnerId?: string;
}

/** The writes that store one incoming paper. */
export interface StorePlan {
  /** Papers to write, each replacing the stored copy read in `StoredState`. */
  writes: Paper[];
  /** Set the title key to this paper id (`expect`: the id it pointed to, or none). */
  titleKey?: { key: string; paperId: string; expect?: string };
  /** The paper id that now holds the incoming record (where its signal snapshot belongs). */
  receiverId: string;
  outcome: 'new' | 'updated' | 'unchanged' | 'merged' | 'linked';
}

/**
 * Decides how an incoming paper is stored, given what is stored already.
 * - A new id claims its title key, unless another paper holds it and is the same work:
 *   a record without an external id then merges into that paper; a record with an arXiv id
 *   takes over from a title-only record (which becomes an alias); two external ids (or two
 *   title-only records) stay two papers, the newer linked to the first by `canonicalId`.
 * - Writes that would change nothing are left out, so a file ingested twice writes nothing.
 * - The incoming record's `canonicalId`, if it has one, is dropped: only this function links papers.
 */
export function planStore(record: Paper, state: StoredState): StorePlan {
  // A record's own canonicalId is never kept (see mergePaper): links are decided here.
  const { canonicalId: _fromRecord, ...rest } = record;
  const incoming: Paper = rest;
  const key = titleKey(incoming.title);
  const merged = state.stored ? mergePaper(state.stored, incoming) : incoming;
  const unchanged = state.stored !== undefined && sameContent(state.stored, merged);
  const plain = (): StorePlan => ({
    writes: unchanged ? [] : [merged],
    receiverId: incoming.id,
    outcome: unchanged ? 'unchanged' : state.stored ? 'updated' : 'new',
  });

  if (state.titleOwnerId === undefined) return { ...plain(), titleKey: { key, paperId: incoming.id } };
  if (state.titleOwnerId === incoming.id) return plain();
  const owner = state.titleOwner;
  if (!owner) return { ...plain(), titleKey: { key, paperId: incoming.id, expect: state.titleOwnerId } };
  if (!isSameWork(merged, owner) || merged.canonicalId === owner.id) return plain();

  if (!hasExternalId(incoming) && hasExternalId(owner)) {
    const into = mergePaper(owner, { ...incoming, id: owner.id });
    return { writes: sameContent(owner, into) ? [] : [into], receiverId: owner.id, outcome: 'merged' };
  }
  if (hasExternalId(incoming) && !hasExternalId(owner)) {
    const { canonicalId: _alias, ...ownerData } = owner;
    const taken = mergePaper(merged, { ...ownerData, id: incoming.id });
    return {
      writes: [taken, { ...owner, canonicalId: incoming.id }],
      titleKey: { key, paperId: incoming.id, expect: owner.id },
      receiverId: incoming.id,
      outcome: state.stored ? 'updated' : 'new',
    };
  }
  const linked = { ...merged, canonicalId: owner.id };
  const already = state.stored !== undefined && sameContent(state.stored, linked);
  return {
    writes: already ? [] : [linked],
    receiverId: incoming.id,
    outcome: already ? 'unchanged' : 'linked',
  };
}

export function sameContent(a: Paper, b: Paper): boolean {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, sortKeys(v)]),
    );
  }
  return value;
}
