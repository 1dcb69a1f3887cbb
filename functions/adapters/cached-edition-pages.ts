import type { ArchivePage, EditionPage, EditionPages } from '../core/archive.ts';
import type { Clock } from '../core/ports.ts';

/**
 * Edition pages as a warm api function keeps them: a page never changes once stored, so each is
 * read once (up to `keepPages`); the index (which changes when an edition is made) is kept for
 * `listTtlMs`. Feeds read the newest pages on every request: from memory after the first.
 */
export class CachedEditionPages implements EditionPages {
  private readonly pages = new Map<string, EditionPage>();
  private readonly lists = new Map<string, { at: number; value: Promise<ArchivePage> }>();

  constructor(
    private readonly inner: EditionPages,
    private readonly clock: Clock,
    private readonly listTtlMs = 60_000,
    private readonly keepPages = 64,
  ) {}

  put(page: EditionPage): Promise<void> {
    this.lists.clear();
    return this.inner.put(page);
  }

  async get(date: string): Promise<EditionPage | undefined> {
    const kept = this.pages.get(date);
    if (kept) return kept;
    const page = await this.inner.get(date);
    if (page) {
      this.pages.set(date, page);
      while (this.pages.size > this.keepPages) this.pages.delete(this.pages.keys().next().value as string);
    }
    return page;
  }

  list(limit: number, before?: string, after?: string): Promise<ArchivePage> {
    const key = `${limit}/${before ?? ''}/${after ?? ''}`;
    const now = this.clock.now().getTime();
    const kept = this.lists.get(key);
    if (kept && now - kept.at < this.listTtlMs) return kept.value;
    const value = this.inner.list(limit, before, after);
    this.lists.set(key, { at: now, value });
    value.catch(() => this.lists.delete(key));
    // Only a few distinct pages of the index are asked for often; keep the map small.
    while (this.lists.size > 32) this.lists.delete(this.lists.keys().next().value as string);
    return value;
  }
}
