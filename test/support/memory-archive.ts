import { HtmlArchiveRenderer } from '../../functions/adapters/archive-renderer.ts';
import type { CompiledTemplates } from '../../functions/adapters/compiled-templates.ts';
import type { ArchivePage, EditionListing, EditionPage, EditionPages } from '../../functions/core/archive.ts';
import { listingOf } from '../../functions/core/archive.ts';
import { type DigestHistory, FeedMemo, selectorsByDate } from '../../functions/core/feeds.ts';
import type { Paper } from '../../functions/core/paper.ts';
import type { Clock, Delivery } from '../../functions/core/ports.ts';
import { EditionSelector } from '../../functions/core/selection.ts';
import type { RenderedFeed } from '../../functions/triggers/api/archive-routes.ts';
import type { MemoryEditions, MemoryLedger, MemoryPapers } from './memory-ports.ts';

/** Edition pages in memory; the index lists every edition of `editions`, as the table's does. */
export class MemoryEditionPages implements EditionPages {
  readonly pages = new Map<string, EditionPage>();
  constructor(private readonly editions: MemoryEditions) {}
  async put(page: EditionPage): Promise<void> {
    this.pages.set(page.date, structuredClone(page));
  }
  async get(date: string): Promise<EditionPage | undefined> {
    return this.pages.get(date);
  }
  async list(limit: number, before?: string, after?: string): Promise<ArchivePage> {
    const all = [...this.editions.items.keys()];
    const newer = after ? all.filter((d) => d > after).sort() : [];
    const dates = after
      ? newer.slice(0, limit).reverse()
      : all.filter((d) => !before || d < before).sort((a, b) => b.localeCompare(a));
    const listings: EditionListing[] = dates.slice(0, limit).map((date) => {
      const page = this.pages.get(date);
      const edition = this.editions.items.get(date);
      return page
        ? listingOf(page)
        : { date, mode: edition?.mode ?? 'daily', entryCount: edition?.entries.length ?? 0, topTitles: [] };
    });
    if (after) {
      return {
        listings,
        ...(listings.length ? { next: listings.at(-1)?.date as string } : {}),
        ...(newer.length > limit ? { newer: listings[0]?.date as string } : {}),
      };
    }
    return { listings, ...(dates.length > limit ? { next: listings.at(-1)?.date as string } : {}) };
  }
}

/** A reader's deliveries from the memory ledger, newest first, and papers from memory. */
export class MemoryDigestHistory implements DigestHistory {
  constructor(
    private readonly ledger: MemoryLedger,
    private readonly papersById: MemoryPapers,
  ) {}
  async recent(subscriberId: string, limit: number): Promise<Delivery[]> {
    return [...this.ledger.items.values()]
      .filter((d) => d.subscriberId === subscriberId)
      .sort((a, b) => b.editionDate.localeCompare(a.editionDate))
      .slice(0, limit);
  }
  async papers(ids: readonly string[]): Promise<Map<string, Paper>> {
    const out = new Map<string, Paper>();
    for (const id of ids) {
      const paper = this.papersById.items.get(id);
      if (paper) out.set(id, paper);
    }
    return out;
  }
}

/** The archive's ports over memory, for the api function in tests. */
export function memoryArchiveDeps(
  templates: CompiledTemplates['pages'],
  editions: MemoryEditions,
  ledger: MemoryLedger,
  papers: MemoryPapers,
  clock: Clock,
) {
  return {
    editionPages: new MemoryEditionPages(editions),
    archive: new HtmlArchiveRenderer(templates),
    selectors: selectorsByDate(
      editions,
      (edition) => new EditionSelector(edition.entries, (e) => e.paper.publishedAt >= edition.freshSince),
    ),
    topicFeeds: new FeedMemo<RenderedFeed>(clock, 60_000),
    publicFeeds: new FeedMemo<RenderedFeed>(clock, 60_000),
    history: new MemoryDigestHistory(ledger, papers),
  };
}
