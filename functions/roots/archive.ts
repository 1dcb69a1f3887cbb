import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { HtmlArchiveRenderer } from '../adapters/archive-renderer.ts';
import { CachedEditionPages } from '../adapters/cached-edition-pages.ts';
import type { CompiledTemplates } from '../adapters/compiled-templates.ts';
import { DynamoDigestHistory } from '../adapters/dynamo-digest-history.ts';
import { DynamoEditionPages } from '../adapters/dynamo-edition-pages.ts';
import { FeedMemo, selectorsByDate } from '../core/feeds.ts';
import type { Clock, EditionRepository } from '../core/ports.ts';
import { EditionSelector } from '../core/selection.ts';
import type { RenderedFeed } from '../triggers/api/archive-routes.ts';

/** How long a warm api function keeps a topic's feed. */
const TOPIC_FEED_TTL_MS = 5 * 60_000;
/** How long it keeps the public feeds as written (as long as the index they list is kept). */
const PUBLIC_FEED_TTL_MS = 60_000;

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
      (edition) => new EditionSelector(edition.entries, (e) => e.paper.publishedAt >= edition.freshSince),
    ),
    topicFeeds: new FeedMemo<RenderedFeed>(clock, TOPIC_FEED_TTL_MS),
    publicFeeds: new FeedMemo<RenderedFeed>(clock, PUBLIC_FEED_TTL_MS),
    history: new DynamoDigestHistory(db, tableName, clock),
  };
}
