import type { EditionListing, EditionPage } from './archive.ts';
import type { Feed } from './feeds.ts';

/** The archive's index page: one page of editions, with links to the pages around it. */
export interface ArchiveView {
  listings: (EditionListing & { url: string; title: string })[];
  /** The next page of older editions, if there is one. */
  olderUrl?: string;
  /** The newest editions, when this page is not the first. */
  newestUrl?: string;
  /** The page of editions just newer than this one, when that is not the first page. */
  newerUrl?: string;
  homeUrl: string;
  atomUrl: string;
  jsonUrl: string;
}

/** One edition's page: its cards and the call to subscribe. */
export interface EditionPageView {
  page: EditionPage;
  archiveUrl: string;
  homeUrl: string;
  atomUrl: string;
  jsonUrl: string;
}

/**
 * Writes the archive's pages (HTML, every value escaped, styled by the layout's one style block,
 * allowed by hash; no script, no remote asset) and the feeds (Atom 1.0, JSON Feed 1.1).
 */
export interface ArchiveRenderer {
  /** The Content-Security-Policy the archive's pages are served with. */
  readonly contentSecurityPolicy: string;
  archive(view: ArchiveView): string;
  edition(view: EditionPageView): string;
  atom(feed: Feed): string;
  jsonFeed(feed: Feed): string;
}
