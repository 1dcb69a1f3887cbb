import { signToken, type TokenKeys } from './tokens.ts';

const CONFIRM_TTL_SECONDS = 7 * 86_400;

/** Builds the public links in emails and pages. Tokens, never addresses, go into URLs. */
export class LinkBuilder {
  private readonly base: string;

  constructor(
    publicBaseUrl: string,
    private readonly keys: TokenKeys,
  ) {
    this.base = publicBaseUrl.endsWith('/') ? publicBaseUrl : `${publicBaseUrl}/`;
  }

  async confirm(subscriberId: string, now: Date): Promise<string> {
    const expiresAt = Math.floor(now.getTime() / 1000) + CONFIRM_TTL_SECONDS;
    const ring = await this.keys.current();
    return this.withToken('confirm', signToken({ purpose: 'confirm', subscriberId, expiresAt }, ring));
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
