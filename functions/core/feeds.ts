import {
  type EditionListing,
  type EditionPage,
  type EditionPages,
  editionTitle,
  PAGE_PAPERS,
} from './archive.ts';
import { buildDigestView, type DigestPaper, dateLabel, digestPaper } from './digest.ts';
import type { Edition } from './edition.ts';
import { InvalidTokenError, NotFoundError } from './errors.ts';
import type { Paper } from './paper.ts';
import { feedBinding } from './personal-feed-token.ts';
import type { Clock, Delivery, SubscriberRepository } from './ports.ts';
import type { EditionSelector } from './selection.ts';
import { isErased, type Subscriber } from './subscriber.ts';
import { type TokenKeys, verifyTokenWith } from './tokens.ts';

/** Editions in the public feed, newest first. */
export const FEED_EDITIONS = 20;
/**
 * Editions in a topic's feed. Each needs the edition's candidates indexed (the selection code of
 * a digest), kept by a warm api function for the next topics: fewer than the public feed, so the
 * first request of a cold function stays cheap (docs/benchmarks.md, "feeds").
 */
export const TOPIC_FEED_EDITIONS = 10;
/** Papers per edition in a topic's feed: a digest of the default size. */
export const TOPIC_FEED_PAPERS = 10;
/** Digests in a personal feed, newest first. */
export const PERSONAL_FEED_DIGESTS = 20;

/** A feed as both formats (Atom 1.0, JSON Feed 1.1) write it; every text is plain, unescaped. */
export interface Feed {
  /** Stable: the same feed keeps its id. */
  id: string;
  title: string;
  description: string;
  /** The page the feed is about (absolute). */
  homeUrl: string;
  /** The feed itself (absolute), in the format asked for. */
  feedUrl: string;
  /** The newest entry's `updated`, or a fixed old time for an empty feed (ISO 8601). */
  updated: string;
  entries: FeedEntry[];
}

export interface FeedEntry {
  /** Stable: a tag: URI or the edition's URL. */
  id: string;
  title: string;
  /** The entry's page (absolute). */
  url: string;
  published: string;
  updated: string;
  /** Plain text listing the papers: `1. Title · 2. Title …`. */
  summary: string;
  /** The cards, as the email shows them (title, authors, TL;DR, reasons, links). */
  papers: DigestPaper[];
}

/** The feed an empty archive gives: still valid by the specs, which want an `updated`. */
const EPOCH = '1970-01-01T00:00:00.000Z';

/** Where feeds point: absolute URLs under the public base URL. */
export interface FeedLinks {
  home(): string;
  edition(date: string): string;
}

/** `1. Title · 2. Title …`: what a feed reader shows when it shows no HTML. */
export function summaryOf(papers: readonly DigestPaper[]): string {
  if (papers.length === 0) return 'No papers.';
  return papers.map((p) => `${p.rank}. ${p.title}`).join(' · ');
}

/** A tag: URI (RFC 4151) under the public base URL's host, minted on `date`. */
export function tagUri(baseUrl: string, date: string, specific: string): string {
  return `tag:${new URL(baseUrl).hostname},${date}:${specific}`;
}

function feedOf(meta: Omit<Feed, 'updated' | 'entries'>, entries: FeedEntry[]): Feed {
  // ISO 8601 times in UTC order as strings.
  let updated = EPOCH;
  for (const entry of entries) if (entry.updated > updated) updated = entry.updated;
  return { ...meta, updated, entries };
}

/**
 * The public feed: one entry per edition, newest first, each its page's cards.
 * 1. List the newest editions (the archive's index).
 * 2. Read each one's stored page (small items; a warm function keeps them, they never change).
 *    An edition made before pages were stored has none and is left out until `rank` is re-run
 *    for its day (which stores it): a feed request never reads an edition's candidates.
 */
export async function publicFeed(
  feedUrl: string,
  deps: { pages: EditionPages; links: FeedLinks },
  limit = FEED_EDITIONS,
): Promise<Feed> {
  const { listings } = await deps.pages.list(limit);
  const pages = await Promise.all(listings.map((l) => deps.pages.get(l.date)));
  const entries = pages.flatMap((page) => (page ? [editionEntry(page, deps.links)] : []));
  return feedOf(
    {
      id: deps.links.home(),
      title: 'Paperboy: trending research papers',
      description: "The day's trending research papers, one entry per edition.",
      homeUrl: new URL('editions', deps.links.home()).toString(),
      feedUrl,
    },
    entries,
  );
}

function editionEntry(page: EditionPage, links: FeedLinks): FeedEntry {
  const url = links.edition(page.date);
  return {
    id: url,
    title: editionTitle(page),
    url,
    published: page.createdAt,
    updated: page.createdAt,
    summary: summaryOf(page.papers),
    papers: page.papers,
  };
}

/** An edition and its candidates prepared for choosing, by date (kept by a warm function). */
export interface SelectorsByDate {
  (date: string): Promise<{ edition: Edition; selector: EditionSelector } | undefined>;
  /** True when that edition is indexed already: choosing from it costs microseconds. */
  ready(date: string): boolean;
}

/**
 * How long one topic feed request may spend reading and indexing editions it finds unindexed
 * (about a second each: docs/benchmarks.md): well within the api function's 10 s. Editions left
 * are indexed by the next requests, and the feed says it is partial (it is kept a minute only).
 */
export const TOPIC_INDEX_BUDGET_MS = 4000;

/**
 * A topic's feed: for each of the newest editions, the papers a digest of a reader with only
 * this topic gets from it (the same selection code, {@link EditionSelector.choose}, with nothing
 * received before), with their reasons. An edition with nothing on the topic has no entry.
 */
export async function topicFeed(
  topic: string,
  feedUrl: string,
  deps: { pages: EditionPages; selectors: SelectorsByDate; links: FeedLinks; clock: Clock },
  limit = TOPIC_FEED_EDITIONS,
  budgetMs = TOPIC_INDEX_BUDGET_MS,
): Promise<Feed & { partial: boolean }> {
  const { listings } = await deps.pages.list(limit);
  const started = deps.clock.now().getTime();
  const entries: FeedEntry[] = [];
  let partial = false;
  // Newest first; an edition not indexed yet is indexed only while the budget lasts.
  for (const listing of listings) {
    if (!deps.selectors.ready(listing.date) && deps.clock.now().getTime() - started > budgetMs) {
      partial = true;
      continue;
    }
    const papers = await topicPapers(topic, listing, deps.selectors);
    if (papers.length === 0) continue;
    const page = `${deps.links.edition(listing.date)}`;
    entries.push({
      id: tagUri(
        deps.links.home(),
        listing.date,
        `topics/${encodeURIComponent(topic.toLowerCase())}/${listing.date}`,
      ),
      title: `${editionTitle(listing)}: ${topic}`,
      url: page,
      published: papers.createdAt,
      updated: papers.createdAt,
      summary: summaryOf(papers),
      papers: [...papers],
    });
  }
  const feed = feedOf(
    {
      id: tagUri(deps.links.home(), '2026', `topics/${encodeURIComponent(topic.toLowerCase())}`),
      title: `Paperboy: ${topic}`,
      description: `Trending research papers on “${topic}”, from each edition.`,
      homeUrl: new URL('editions', deps.links.home()).toString(),
      feedUrl,
    },
    entries,
  );
  return { ...feed, partial };
}

/** The papers a digest for `topic` alone gets from one edition: exactly what selection chooses. */
export async function topicPapers(
  topic: string,
  listing: Pick<EditionListing, 'date'>,
  selectors: SelectorsByDate,
): Promise<DigestPaper[] & { createdAt: string }> {
  const found = await selectors(listing.date);
  if (!found) return Object.assign([], { createdAt: EPOCH });
  const chosen = found.selector.choose(
    { topics: [topic], authors: [], exclude: [], digestSize: TOPIC_FEED_PAPERS, sent: new Set() },
    found.edition.mode,
  );
  const view = buildDigestView(found.edition, chosen, { webViewUrl: '', footerLinks: [], postalAddress: '' });
  return Object.assign(view.papers, { createdAt: found.edition.createdAt });
}

/** A reader's recent digests (deliveries) and the papers they carried. */
export interface DigestHistory {
  /** Their deliveries, newest edition first, at most `limit`. */
  recent(subscriberId: string, limit: number): Promise<Delivery[]>;
  /** Papers by id, as stored (missing ones are left out). */
  papers(ids: readonly string[]): Promise<Map<string, Paper>>;
}

export interface PersonalFeedDeps {
  subscribers: SubscriberRepository;
  keys: TokenKeys;
  clock: Clock;
  history: DigestHistory;
  links: FeedLinks;
}

/** Why a personal feed link no longer works, for the reader who follows it. */
export const FEED_GONE = {
  missing: 'This feed no longer exists: the subscription behind it was erased.',
  inactive:
    'This feed has stopped: the subscription behind it is no longer active. Subscribe again to get a new feed link.',
  reset: 'This feed link was replaced by a new one. Find the new link on your preferences page.',
} as const;

/**
 * The reader behind a personal feed link, if the link still works: the token is for a feed,
 * bound to the reader's sign-up and their current feed secret (a reset changes it), and the
 * reader is active (an email frequency of "none" included). Otherwise a 404 that says why.
 */
export async function feedReader(
  token: string,
  deps: Pick<PersonalFeedDeps, 'subscribers' | 'keys' | 'clock'>,
) {
  const claims = await verifyTokenWith(token, 'feed', deps.keys, deps.clock.now());
  const record = await deps.subscribers.get(claims.subscriberId);
  if (!record || isErased(record)) throw new NotFoundError(FEED_GONE.missing);
  if (claims.binding !== feedBinding(record.signupId, record.feedKey)) {
    // An earlier sign-up's link, or one replaced by "reset this link".
    throw new NotFoundError(FEED_GONE.reset, { cause: new InvalidTokenError('feed binding') });
  }
  if (record.status !== 'active') throw new NotFoundError(FEED_GONE.inactive);
  return record;
}

/**
 * A reader's personal feed: one entry per digest they got (by email, or recorded for their feed
 * when their email frequency is "none"), exactly its papers in its order, with the reasons
 * chosen for them. A GET: it reads, and changes nothing.
 * 1. Check the link ({@link feedReader}).
 * 2. Read their newest deliveries that were sent (one query of their partition).
 * 3. Read the papers they carried (batched) and build each paper's card, as in the email.
 */
export async function personalFeed(token: string, feedUrl: string, deps: PersonalFeedDeps): Promise<Feed> {
  const reader = await feedReader(token, deps);
  const deliveries = (await deps.history.recent(reader.id, PERSONAL_FEED_DIGESTS + 5))
    .filter((d) => d.status === 'sent')
    .slice(0, PERSONAL_FEED_DIGESTS);
  const papers = await deps.history.papers([...new Set(deliveries.flatMap((d) => d.paperIds))]);
  const entries = deliveries.map((delivery) => digestEntry(reader, delivery, papers, deps.links));
  return feedOf(
    {
      id: tagUri(deps.links.home(), '2026', `readers/${reader.id}`),
      title: 'Paperboy: your papers',
      description: 'The papers of your Paperboy digests, with why each was chosen for you.',
      homeUrl: deps.links.home(),
      feedUrl,
    },
    entries,
  );
}

function digestEntry(
  reader: Subscriber,
  delivery: Delivery,
  papers: ReadonlyMap<string, Paper>,
  links: FeedLinks,
): FeedEntry {
  const cards = delivery.paperIds.flatMap((id, i) => {
    const paper = papers.get(id);
    return paper ? [digestPaper(paper, delivery.reasons?.[i] ?? [], 0)] : [];
  });
  cards.forEach((card, i) => {
    card.rank = i + 1;
  });
  const at = delivery.sentAt ?? delivery.claimedAt;
  return {
    id: tagUri(links.home(), delivery.editionDate, `readers/${reader.id}/${delivery.editionDate}`),
    title: `Your papers, ${dateLabel(delivery.editionDate)}`,
    url: links.edition(delivery.editionDate),
    published: at,
    updated: at,
    summary: summaryOf(cards),
    papers: cards.slice(0, PAGE_PAPERS),
  };
}

/**
 * The editions' selectors by date, kept by a warm function: an edition never changes once made,
 * so its candidates are read and indexed once (about 780 KB and tens of milliseconds each) and
 * every topic's feed after that costs a choice per edition (microseconds). At most `keep` kept.
 */
export function selectorsByDate(
  editions: { get(date: string): Promise<Edition | undefined> },
  build: (edition: Edition) => EditionSelector,
  keep = TOPIC_FEED_EDITIONS + 2,
): SelectorsByDate {
  const cache = new Map<string, Promise<{ edition: Edition; selector: EditionSelector } | undefined>>();
  const built = new Set<string>();
  const get = (date: string) => {
    let found = cache.get(date);
    if (found) {
      // Most recently used last.
      cache.delete(date);
      cache.set(date, found);
      return found;
    }
    found = editions
      .get(date)
      .then((edition) => (edition ? { edition, selector: build(edition) } : undefined));
    cache.set(date, found);
    found.then(
      (value) => {
        if (value) built.add(date);
        else cache.delete(date);
      },
      () => cache.delete(date),
    );
    while (cache.size > keep) {
      const oldest = cache.keys().next().value as string;
      cache.delete(oldest);
      built.delete(oldest);
    }
    return found;
  };
  return Object.assign(get, { ready: (date: string) => built.has(date) && cache.has(date) });
}

/**
 * Answers kept for `ttlMs` by key (at most `maxKeys` and `maxBytes` as `sizeOf` counts them, the
 * oldest dropped first): a topic's feed is computed once per warm function every few minutes,
 * whoever asks. A failure is not kept.
 */
export class FeedMemo<T> {
  private readonly entries = new Map<string, { at: number; value: Promise<T>; bytes: number }>();
  private bytes = 0;

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs: number,
    private readonly maxKeys = 200,
    private readonly maxBytes = 16 * 2 ** 20,
    private readonly sizeOf: (value: T) => number = () => 0,
  ) {}

  /** Entries and bytes kept (bytes of the answers settled so far). */
  get size(): { keys: number; bytes: number } {
    return { keys: this.entries.size, bytes: this.bytes };
  }

  private delete(key: string): void {
    const found = this.entries.get(key);
    if (!found) return;
    this.bytes -= found.bytes;
    this.entries.delete(key);
  }

  /** The kept value, or a fresh one from `load`, kept unless `keep` says not to. */
  get(key: string, load: () => Promise<T>, keep: (value: T) => boolean = () => true): Promise<T> {
    const now = this.clock.now().getTime();
    const found = this.entries.get(key);
    if (found && now - found.at < this.ttlMs) return found.value;
    const value = load();
    this.delete(key);
    const entry = { at: now, value, bytes: 0 };
    this.entries.set(key, entry);
    const drop = () => {
      if (this.entries.get(key) === entry) this.delete(key);
    };
    value.then((v) => {
      if (!keep(v)) return drop();
      if (this.entries.get(key) !== entry) return;
      entry.bytes = this.sizeOf(v);
      this.bytes += entry.bytes;
      // Oldest first; the answer just kept goes last (a single answer over the bound is dropped).
      while (this.bytes > this.maxBytes && this.entries.size > 0)
        this.delete(this.entries.keys().next().value as string);
    }, drop);
    while (this.entries.size > this.maxKeys) this.delete(this.entries.keys().next().value as string);
    return value;
  }
}
