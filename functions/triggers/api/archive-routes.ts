import * as z from 'zod';
import {
  ARCHIVE_PAGE_SIZE,
  ArchiveQuery,
  type EditionPages,
  editionPage,
  editionTitle,
  TopicQuery,
} from '../../core/archive.ts';
import type { ArchiveRenderer } from '../../core/archive-views.ts';
import type { Edition } from '../../core/edition.ts';
import {
  type DigestHistory,
  type Feed,
  type FeedMemo,
  personalFeed,
  publicFeed,
  type SelectorsByDate,
  topicFeed,
} from '../../core/feeds.ts';
import type { LinkBuilder } from '../../core/links.ts';
import type { Clock, SubscriberRepository } from '../../core/ports.ts';
import type { TokenKeys } from '../../core/tokens.ts';
import { CACHE_POLICY, cacheableResponse, strongEtag } from '../../shared/http-cache.ts';
import { parsePart, readQuery } from './request.ts';

/** What the archive's pages and the feeds need (ports only). */
export interface ArchiveDeps {
  editions: { get(date: string): Promise<Edition | undefined> };
  /** Each edition's stored page and index line. */
  editionPages: EditionPages;
  archive: ArchiveRenderer;
  /** Editions' candidates indexed for a topic's feed, kept by a warm function. */
  selectors: SelectorsByDate;
  /** A topic's feed as written, kept a few minutes by a warm function (by topic and format). */
  topicFeeds: FeedMemo<RenderedFeed>;
  /** The public feeds as written, kept a minute (as long as the index it lists). */
  publicFeeds: FeedMemo<RenderedFeed>;
  history: DigestHistory;
  subscribers: SubscriberRepository;
  keys: TokenKeys;
  clock: Clock;
  links: LinkBuilder;
}

interface Ctx {
  req: Request;
  params: Record<string, string>;
  deps: ArchiveDeps;
}

const EditionPath = z.object({ date: z.iso.date({ message: 'must be a date, YYYY-MM-DD' }) });
const INCOMPLETE =
  'this feed link is incomplete: it has no token. Copy the whole link from your preferences page.';
const FeedToken = z.object({
  token: z
    .string({ message: INCOMPLETE })
    .min(1, INCOMPLETE)
    .max(512, 'this feed link is not one of ours: its token is too long'),
});
const ATOM = 'application/atom+xml; charset=utf-8';
const JSON_FEED = 'application/feed+json; charset=utf-8';

const url = (deps: ArchiveDeps, path: string) => new URL(path, deps.links.home()).toString();

/** The archive's index: editions newest first, 20 a page, older ones by `?before=DATE`. */
export async function archiveIndex({ req, deps }: Ctx): Promise<Response> {
  const { before, after } = parsePart(ArchiveQuery, readQuery(req), 'query');
  const page = await deps.editionPages.list(ARCHIVE_PAGE_SIZE, before, after);
  const older = page.next ? new URL(url(deps, 'editions')) : undefined;
  older?.searchParams.set('before', page.next as string);
  // One page back: from an older page (by `before`), the editions just newer than its first; by
  // `after`, the page says whether there are more. None newer than the newest page.
  const newerCursor = after ? page.newer : before ? page.listings[0]?.date : undefined;
  const newer = newerCursor ? new URL(url(deps, 'editions')) : undefined;
  newer?.searchParams.set('after', newerCursor as string);
  const html = deps.archive.archive({
    listings: page.listings.map((l) => ({ ...l, url: deps.links.edition(l.date), title: editionTitle(l) })),
    ...(older ? { olderUrl: older.toString() } : {}),
    ...(before || after ? { newestUrl: url(deps, 'editions') } : {}),
    ...(newer ? { newerUrl: newer.toString() } : {}),
    homeUrl: deps.links.home(),
    atomUrl: url(deps, 'feed.xml'),
    jsonUrl: url(deps, 'feed.json'),
  });
  return cacheableResponse(req, html, {
    contentType: 'text/html; charset=utf-8',
    cacheControl: CACHE_POLICY.daily,
    contentSecurityPolicy: deps.archive.contentSecurityPolicy,
  });
}

/** One edition's page, from its stored page: never changes once made. */
export async function editionPageRoute({ req, params, deps }: Ctx): Promise<Response> {
  const { date } = parsePart(EditionPath, params, 'path');
  const page = await editionPage(date, { pages: deps.editionPages, editions: deps.editions });
  const html = deps.archive.edition({
    page,
    archiveUrl: url(deps, 'editions'),
    homeUrl: deps.links.home(),
    atomUrl: url(deps, 'feed.xml'),
    jsonUrl: url(deps, 'feed.json'),
  });
  return cacheableResponse(req, html, {
    contentType: 'text/html; charset=utf-8',
    cacheControl: CACHE_POLICY.edition,
    contentSecurityPolicy: deps.archive.contentSecurityPolicy,
  });
}

type Format = 'atom' | 'json';

async function feedRoute(ctx: Ctx, format: Format): Promise<Response> {
  const { req, deps } = ctx;
  const { topic } = parsePart(TopicQuery, readQuery(req), 'query');
  const self = new URL(url(deps, format === 'atom' ? 'feed.xml' : 'feed.json'));
  if (topic) self.searchParams.set('topic', topic);
  const links = { home: () => deps.links.home(), edition: (d: string) => deps.links.edition(d) };
  // Written once and kept: every request in between costs a lookup, not 600 cards of XML.
  const rendered = topic
    ? await deps.topicFeeds.get(
        // By the topic as asked: the feed's own link carries it as asked.
        `${format}\n${topic}`,
        async () => {
          const feed = await topicFeed(topic, self.toString(), {
            pages: deps.editionPages,
            selectors: deps.selectors,
            links,
            clock: deps.clock,
          });
          return { ...render(feed, format, deps), partial: feed.partial };
        },
        // A feed cut short by the indexing budget is not kept: the next request completes it.
        (feed) => !feed.partial,
      )
    : await deps.publicFeeds.get(format, async () =>
        render(await publicFeed(self.toString(), { pages: deps.editionPages, links }), format, deps),
      );
  return feedResponse(req, rendered, format, rendered.partial ? CACHE_POLICY.partial : CACHE_POLICY.daily);
}

/** A feed as written, with its validator. */
export interface RenderedFeed {
  body: string;
  etag: string;
  /** A topic's feed that left out editions not indexed in time (see TOPIC_INDEX_BUDGET_MS). */
  partial?: boolean;
}

function render(feed: Feed, format: Format, deps: ArchiveDeps): RenderedFeed {
  const body = format === 'atom' ? deps.archive.atom(feed) : deps.archive.jsonFeed(feed);
  return { body, etag: strongEtag(body) };
}

function feedResponse(req: Request, feed: RenderedFeed, format: Format, cacheControl: string) {
  return cacheableResponse(req, feed.body, {
    contentType: format === 'atom' ? ATOM : JSON_FEED,
    cacheControl,
    etag: feed.etag,
  });
}

/** `/feed.xml`: the editions in Atom 1.0; `?topic=…`: that topic's papers of each edition. */
export const atomFeed = (ctx: Ctx) => feedRoute(ctx, 'atom');
/** `/feed.json`: the same in JSON Feed 1.1. */
export const jsonFeed = (ctx: Ctx) => feedRoute(ctx, 'json');

async function personalFeedRoute(ctx: Ctx, format: Format): Promise<Response> {
  const { req, deps } = ctx;
  const { token } = parsePart(FeedToken, readQuery(req), 'query');
  const self = new URL(url(deps, format === 'atom' ? 'personal/feed.xml' : 'personal/feed.json'));
  self.searchParams.set('token', token);
  const links = { home: () => deps.links.home(), edition: (d: string) => deps.links.edition(d) };
  const feed = await personalFeed(token, self.toString(), { ...deps, links });
  return feedResponse(req, render(feed, format, deps), format, CACHE_POLICY.personal);
}

/** A reader's personal feed (Atom): the papers of their digests, with their reasons. */
export const personalAtomFeed = (ctx: Ctx) => personalFeedRoute(ctx, 'atom');
export const personalJsonFeed = (ctx: Ctx) => personalFeedRoute(ctx, 'json');
