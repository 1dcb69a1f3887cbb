import { createHash } from 'node:crypto';
import { ConcurrentUpdateError } from './errors.ts';
import type { Subscriber } from './subscriber.ts';
import { preferencesFor, type SubscriptionDeps } from './subscriptions.ts';
import { signToken, type TokenKeys } from './tokens.ts';

/**
 * The binding of a personal feed token: a digest of the reader's sign-up and their feed secret
 * (`feedKey`, none until their first "reset this link"). A new sign-up, an erasure or a reset
 * changes it, and every older feed link stops working; nothing is written to show a link.
 */
export function feedBinding(signupId: string, feedKey: string | undefined): string {
  return createHash('sha256')
    .update(`feed\n${signupId}\n${feedKey ?? ''}`)
    .digest('base64url')
    .slice(0, 22);
}

/**
 * A reader's personal feed URLs (Atom and JSON Feed): a token of the `feed` purpose that never
 * expires (a feed reader polls for years), bound by {@link feedBinding}.
 */
export async function personalFeedUrls(
  reader: { id: string; signupId: string; feedKey?: string | undefined },
  keys: TokenKeys,
  links: { home(): string },
): Promise<{ atom: string; json: string }> {
  const token = signToken(
    {
      purpose: 'feed',
      subscriberId: reader.id,
      binding: feedBinding(reader.signupId, reader.feedKey),
      expiresAt: 0,
    },
    await keys.current(),
  );
  const url = (path: string) => {
    const u = new URL(path, links.home());
    u.searchParams.set('token', token);
    return u.toString();
  };
  return { atom: url('personal/feed.xml'), json: url('personal/feed.json') };
}

/**
 * "Reset this link" on the preference centre (a POST with the preferences token): a new feed
 * secret for the reader, so the feed link they had stops working at once and a new one is shown.
 * Only an active reader has a feed; others are shown as they are.
 */
export async function resetFeedLink(
  token: string,
  deps: Pick<SubscriptionDeps, 'subscribers' | 'keys' | 'clock' | 'ids'>,
): Promise<Subscriber> {
  for (let race = 0; race < 4; race += 1) {
    const subscriber = await preferencesFor(token, deps);
    if (subscriber.status !== 'active') return subscriber;
    const next: Subscriber = {
      ...subscriber,
      feedKey: deps.ids.next(),
      updatedAt: deps.clock.now().toISOString(),
      version: subscriber.version + 1,
    };
    if (await deps.subscribers.replace(next, subscriber.version)) return next;
  }
  throw new ConcurrentUpdateError('the subscription kept changing while resetting its feed link');
}
