import { ConcurrentUpdateError, ExpiredTokenError, InvalidTokenError, NotFoundError } from './errors.ts';
import { applyVote, type LearnedProfile, paperTerms, type Vote } from './learning.ts';
import type { Clock, LearnedProfiles, PaperLookup, StoredLearned, SubscriberRepository } from './ports.ts';
import { isErased, type Subscriber } from './subscriber.ts';
import { preferencesFor } from './subscriptions.ts';
import { feedbackBinding, type TokenKeys, verifyTokenWith } from './tokens.ts';

export interface VoteDeps {
  subscribers: SubscriberRepository;
  keys: TokenKeys;
  clock: Clock;
  learned: LearnedProfiles;
  papers: PaperLookup;
  /** Where an unreadable stored profile is reported (WARN) before a vote replaces it. */
  log?: { warn(message: string, details?: Record<string, unknown>): void };
  /** Waits between attempts of a write that lost a race (tests pass a faster one). */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * A reader's votes change one item (the profile: its vectors are sums over the votes), written
 * on the version read. Votes of one reader at once (several cards' links opened in tabs) race
 * for it: the loser re-reads and applies its vote again, after a random wait that grows with
 * each attempt ("full jitter"), so a burst spreads out instead of colliding again. 12 attempts
 * waiting up to 5, 10, 20 … 640 ms (about 2.5 s in all at worst) let a burst of 20 votes land.
 */
export const voteRetry = { attempts: 12, firstWaitMs: 5, maxWaitMs: 640 };

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** What a vote link leads to: the reader and the paper, or why nothing can be recorded. */
export type VoteTarget =
  | { kind: 'ready'; subscriber: Subscriber; paperTitle: string }
  /** Unsubscribed, pending, bounced: nothing is recorded for a reader who gets no digests. */
  | { kind: 'inactive' };

/**
 * The reader and paper behind a "more / fewer like this" link, changing nothing (the page a GET
 * shows, and the first step of the POST). The token must be a feedback token for this paper and
 * the reader's current sign-up; an erased reader's link no longer works. The binding is checked
 * before the expiry, as the fresh-link POST checks it: an expired link offers a fresh link only
 * when that offer can work (a link moved to another paper is invalid, expired or not).
 */
export async function voteTarget(token: string, paperId: string, deps: VoteDeps): Promise<VoteTarget> {
  const now = deps.clock.now();
  const claims = await verifyTokenWith(token, 'feedback', deps.keys, now, { allowExpired: true });
  const record = await deps.subscribers.get(claims.subscriberId);
  if (!record || isErased(record))
    throw new NotFoundError('This link no longer works: there is no subscription behind it.');
  // Bound to the sign-up and the paper: a link for one paper cannot vote on another.
  if (claims.binding !== feedbackBinding(record.signupId, paperId)) {
    throw new InvalidTokenError('the link is for another paper or an earlier sign-up');
  }
  if (claims.expiresAt !== 0 && claims.expiresAt * 1000 < now.getTime())
    throw new ExpiredTokenError('token has expired');
  if (record.status !== 'active') return { kind: 'inactive' };
  const paper = await deps.papers.get(paperId);
  if (!paper) throw new NotFoundError('This paper is no longer in our records: nothing was recorded.');
  return { kind: 'ready', subscriber: record, paperTitle: paper.title };
}

export type VoteResult = 'recorded' | 'unchanged' | 'inactive';

/**
 * Records a "more / fewer like this" vote (a POST: link scanners' GETs change nothing).
 * 1. Check the link ({@link voteTarget}): an inactive reader gets nothing stored.
 * 2. Read the paper's words and the reader's profile; apply the vote (pure: the same vote twice
 *    changes nothing, another vote on the paper replaces the first). A stored item that fails
 *    the schema counts as no profile (a WARN says so) and the vote replaces it.
 * 3. Write it on the version read; a lost race waits and tries again ({@link voteRetry}).
 * 4. Read the reader again: if they were erased while the vote was in flight, the profile just
 *    written is deleted (erasure deletes it once more after its marker, so one of the two
 *    deletions comes after the write, whichever order they ran in).
 */
export async function recordVote(
  token: string,
  paperId: string,
  vote: Vote,
  deps: VoteDeps,
): Promise<VoteResult> {
  const target = await voteTarget(token, paperId, deps);
  if (target.kind === 'inactive') return 'inactive';
  const paper = await deps.papers.get(paperId);
  if (!paper) throw new NotFoundError('This paper is no longer in our records: nothing was recorded.');
  const terms = paperTerms(paper);
  const id = target.subscriber.id;
  const changed = await changeLearned(
    id,
    (before) => {
      const outcome = applyVote(before, { paperId, vote, terms }, deps.clock.now());
      return outcome.changed ? outcome.profile : undefined;
    },
    deps,
  );
  if (!changed) return 'unchanged';
  const after = await deps.subscribers.get(id);
  if (!after || isErased(after)) {
    await deps.learned.delete(id);
    throw new NotFoundError('This link no longer works: there is no subscription behind it.');
  }
  return 'recorded';
}

/**
 * Applies `change` to the stored profile on the version read, until it lands or
 * `voteRetry.attempts` are spent; false when `change` leaves it as it is. Versions only grow
 * (a reset writes an empty profile at the next version instead of deleting the item), so a
 * writer that read before a reset can never land on the profile written after it.
 */
async function changeLearned(
  subscriberId: string,
  change: (before: LearnedProfile | undefined) => LearnedProfile | undefined,
  deps: Pick<VoteDeps, 'learned' | 'log' | 'sleep'>,
): Promise<boolean> {
  const sleep = deps.sleep ?? defaultSleep;
  for (let attempt = 0; attempt < voteRetry.attempts; attempt += 1) {
    if (attempt > 0)
      await sleep(Math.random() * Math.min(voteRetry.maxWaitMs, voteRetry.firstWaitMs * 2 ** (attempt - 1)));
    const stored = await deps.learned.load(subscriberId);
    if (stored.unreadable && attempt === 0)
      deps.log?.warn('stored learned profile is unreadable; the change replaces it', { subscriberId });
    const profile = change(stored.profile);
    if (!profile) return false;
    const next = { ...profile, version: Math.max(profile.version, nextVersion(stored)) };
    if (await deps.learned.put(subscriberId, next, stored.version)) return true;
  }
  throw new ConcurrentUpdateError('what Paperboy learned kept changing while recording the vote');
}

/** The version the next write gets: above whatever is stored, readable or not. */
function nextVersion(stored: StoredLearned): number {
  return Math.floor(Math.max(stored.version ?? 0, stored.profile?.version ?? 0, 0)) + 1;
}

/**
 * Forgets what the reader's clicks taught, from their preference centre (a POST with its token):
 * the profile becomes empty at the next version (not deleted: see {@link changeLearned}); an
 * unreadable item is replaced the same way; nothing stored, nothing written.
 */
export async function resetLearned(
  token: string,
  deps: Pick<VoteDeps, 'subscribers' | 'keys' | 'clock' | 'learned' | 'log' | 'sleep'>,
): Promise<Subscriber> {
  const subscriber = await preferencesFor(token, deps);
  const stored = await deps.learned.load(subscriber.id);
  if (stored.version === 0) return subscriber;
  await changeLearned(
    subscriber.id,
    (before) =>
      before && before.votes.length === 0 && before.liked.length === 0 && before.disliked.length === 0
        ? undefined
        : {
            votes: [],
            liked: [],
            disliked: [],
            updatedAt: deps.clock.now().toISOString(),
            version: before?.version ?? 0,
          },
    deps,
  );
  return subscriber;
}
