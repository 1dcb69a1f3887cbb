/**
 * The baseline of the `feeds` bench: GET /editions/{date} as it was before edition pages were
 * stored (issue 14), kept here unchanged: every request read the whole edition (about 780 KB of
 * parts) to show its first 30 papers, rendered as the email's HTML.
 */
import { buildDigestView, type DigestView } from '../functions/core/digest.ts';
import { NotFoundError } from '../functions/core/errors.ts';
import type { LinkBuilder } from '../functions/core/links.ts';
import type { EditionRepository } from '../functions/core/ports.ts';

/** How many papers the public web view of an edition shows. */
export const WEB_VIEW_PAPERS = 30;

export interface EditionViewDeps {
  editions: EditionRepository;
  links: LinkBuilder;
  /** The sender's postal address, in the footer as in every email. */
  postalAddress: string;
}

/**
 * The public web view of an edition: its trending list, personal to no one.
 * 1. Load the edition; a day without one is a 404 for the caller.
 * 2. Take its first papers in trending order, each with the edition's own reasons.
 * 3. Build the same view model as an email, whose footer invites to subscribe (there is no
 *    reader to unsubscribe).
 */
export async function editionView(date: string, deps: EditionViewDeps): Promise<DigestView> {
  const edition = await deps.editions.get(date);
  if (!edition) throw new NotFoundError(`There is no edition for ${date}.`);
  const items = edition.entries.slice(0, WEB_VIEW_PAPERS).map((entry) => ({ entry, reasons: entry.reasons }));
  return buildDigestView(edition, items, {
    // This is the web view: no link to itself.
    webViewUrl: '',
    footerLinks: [{ text: 'Subscribe', url: deps.links.home() }],
    footerNote: "Paperboy emails the day's trending research papers.",
    postalAddress: deps.postalAddress,
  });
}
