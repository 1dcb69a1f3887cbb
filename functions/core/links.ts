import { feedbackBinding, signToken, type TokenKeys } from './tokens.ts';

const CONFIRM_TTL_SECONDS = 7 * 86_400;
/** Preference links (in every digest) work for 90 days; an expired one can ask for a fresh one. */
const PREFERENCES_TTL_SECONDS = 90 * 86_400;

/**
 * "More / fewer like this" links work for 60 days: long enough for a digest read late, short
 * enough that an old email forwarded around stops voting for its reader. An expired one gets the
 * link-expired page, which can email a fresh preferences link.
 */
export const FEEDBACK_TTL_SECONDS = 60 * 86_400;

/** Builds the public links in emails and pages. Tokens, never addresses, go into URLs. */
export class LinkBuilder {
  private readonly base: string;

  constructor(
    publicBaseUrl: string,
    private readonly keys: TokenKeys,
  ) {
    this.base = publicBaseUrl.endsWith('/') ? publicBaseUrl : `${publicBaseUrl}/`;
  }

  /** Confirms one sign-up: the link is bound to it, and expires after 7 days. */
  async confirm(subscriberId: string, signupId: string, now: Date): Promise<string> {
    const expiresAt = Math.floor(now.getTime() / 1000) + CONFIRM_TTL_SECONDS;
    const ring = await this.keys.current();
    return this.withToken(
      'confirm',
      signToken({ purpose: 'confirm', subscriberId, binding: signupId, expiresAt }, ring),
    );
  }

  /** The reader's preference centre (and their export and erasure), bound to their sign-up. */
  async preferences(subscriberId: string, signupId: string, now: Date): Promise<string> {
    return this.withToken('preferences', await this.preferencesToken(subscriberId, signupId, now));
  }

  async preferencesToken(subscriberId: string, signupId: string, now: Date): Promise<string> {
    const expiresAt = Math.floor(now.getTime() / 1000) + PREFERENCES_TTL_SECONDS;
    const ring = await this.keys.current();
    return signToken({ purpose: 'preferences', subscriberId, binding: signupId, expiresAt }, ring);
  }

  /** Unsubscribe links never expire: an old email must always be able to stop the next one. */
  async unsubscribe(subscriberId: string): Promise<string> {
    const ring = await this.keys.current();
    return this.withToken(
      'unsubscribe',
      signToken({ purpose: 'unsubscribe', subscriberId, expiresAt: 0 }, ring),
    );
  }

  /**
   * The "more like this" and "fewer like this" links of each paper of a digest: one token per
   * paper (bound to the sign-up and the paper), the vote in the query. A paper id goes into the
   * URL beside the token; the token alone cannot name another paper.
   */
  async feedback(
    subscriberId: string,
    signupId: string,
    paperIds: readonly string[],
    now: Date,
  ): Promise<Map<string, { more: string; fewer: string }>> {
    const expiresAt = Math.floor(now.getTime() / 1000) + FEEDBACK_TTL_SECONDS;
    const ring = await this.keys.current();
    const out = new Map<string, { more: string; fewer: string }>();
    const base = new URL('feedback', this.base).toString();
    for (const paperId of paperIds) {
      const token = signToken(
        { purpose: 'feedback', subscriberId, binding: feedbackBinding(signupId, paperId), expiresAt },
        ring,
      );
      // Token fields are URL-safe; the paper id is encoded.
      const url = `${base}?token=${token}&paper=${encodeURIComponent(paperId)}`;
      out.set(paperId, { more: `${url}&vote=more`, fewer: `${url}&vote=fewer` });
    }
    return out;
  }

  edition(date: string): string {
    return new URL(`editions/${date}`, this.base).toString();
  }

  /** The sign-up page. */
  home(): string {
    return this.base;
  }

  /** Where a page's form posts: a path under the public base URL, with the page's own query kept. */
  action(path: string, token?: string): string {
    return token ? this.withToken(path, token) : new URL(path, this.base).toString();
  }

  private withToken(path: string, token: string): string {
    const url = new URL(path, this.base);
    url.searchParams.set('token', token);
    return url.toString();
  }
}
