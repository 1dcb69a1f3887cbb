import { signToken, type TokenKeys } from './tokens.ts';

const CONFIRM_TTL_SECONDS = 7 * 86_400;
/** Preference links (in every digest) work for 90 days; an expired one can ask for a fresh one. */
const PREFERENCES_TTL_SECONDS = 90 * 86_400;

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
