import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { HtmlArchiveRenderer } from '../adapters/archive-renderer.ts';
import { CachedEditionPages } from '../adapters/cached-edition-pages.ts';
import type { CompiledTemplates } from '../adapters/compiled-templates.ts';
import { DynamoDigestHistory } from '../adapters/dynamo-digest-history.ts';
import { DynamoEditionPages } from '../adapters/dynamo-edition-pages.ts';
import { FeedMemo, selectorsByDate } from '../core/feeds.ts';
import type { Clock, EditionRepository } from '../core/ports.ts';
import { relevanceConfig } from '../core/relevance/index.ts';
import { EditionSelector, selectionConfig } from '../core/selection.ts';
import type { RenderedFeed } from '../triggers/api/archive-routes.ts';

/** How long a warm api function keeps a topic's feed. */
const TOPIC_FEED_TTL_MS = 5 * 60_000;
/** How long it keeps the public feeds as written (as long as the index they list is kept). */
const PUBLIC_FEED_TTL_MS = 60_000;
/**
 * What each kept edition's index may memoize for topics (anonymous `?topic=` URLs reach it): with
 * TOPIC_FEED_EDITIONS + 2 editions kept, at most about 100 MB in all (the function has 512 MB).
 */
export const TOPIC_MEMO = { topics: 20_000, bytes: 8 * 2 ** 20 };
/** Bytes of the feeds a warm function keeps as written (a JavaScript string: 2 bytes a character at most). */
export const TOPIC_FEEDS_BYTES = 16 * 2 ** 20;
const feedBytes = (feed: RenderedFeed) => 2 * (feed.body.length + feed.etag.length);

/**
 * The api function's archive and feed wiring: stored edition pages (kept in memory once read),
 * the archive's renderer, the editions' selectors for topic feeds (kept), a topic-feed memo and
 * the readers' digest history (their personal feeds).
 */
export function archiveDeps(
  db: DynamoDBDocumentClient,
  tableName: string,
  clock: Clock,
  editions: EditionRepository,
  templates: CompiledTemplates['pages'],
) {
  return {
    editionPages: new CachedEditionPages(new DynamoEditionPages(db, tableName), clock),
    archive: new HtmlArchiveRenderer(templates),
    selectors: selectorsByDate(
      editions,
      (edition) =>
        new EditionSelector(
          edition.entries,
          (e) => e.paper.publishedAt >= edition.freshSince,
          selectionConfig,
          {
            ...relevanceConfig,
            memo: TOPIC_MEMO,
          },
        ),
    ),
    topicFeeds: new FeedMemo<RenderedFeed>(clock, TOPIC_FEED_TTL_MS, 200, TOPIC_FEEDS_BYTES, feedBytes),
    publicFeeds: new FeedMemo<RenderedFeed>(clock, PUBLIC_FEED_TTL_MS, 4, 4 * 2 ** 20, feedBytes),
    history: new DynamoDigestHistory(db, tableName, clock),
  };
}
