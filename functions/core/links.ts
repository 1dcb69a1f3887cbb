import { type KeyRing, signToken } from './tokens.ts';

const CONFIRM_TTL_SECONDS = 7 * 86_400;

/** Builds the public links in emails and pages. Tokens, never addresses, go into URLs. */
export class LinkBuilder {
  constructor(
    private readonly publicBaseUrl: string,
    private readonly keys: KeyRing,
  ) {}

  confirm(subscriberId: string, now: Date): string {
    const expiresAt = Math.floor(now.getTime() / 1000) + CONFIRM_TTL_SECONDS;
    return this.url('/confirm', signToken({ purpose: 'confirm', subscriberId, expiresAt }, this.keys));
  }

  /** Unsubscribe links never expire: an old email must always be able to stop the next one. */
  unsubscribe(subscriberId: string): string {
    return this.url(
      '/unsubscribe',
      signToken({ purpose: 'unsubscribe', subscriberId, expiresAt: 0 }, this.keys),
    );
  }

  edition(date: string): string {
    return new URL(`editions/${date}`, this.base()).toString();
  }

  private url(path: string, token: string): string {
    const url = new URL(path.slice(1), this.base());
    url.searchParams.set('token', token);
    return url.toString();
  }

  private base(): string {
    return this.publicBaseUrl.endsWith('/') ? this.publicBaseUrl : `${this.publicBaseUrl}/`;
  }
}
