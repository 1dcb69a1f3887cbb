import { ConcurrentUpdateError, InvalidTokenError, NotFoundError } from './errors.ts';
import { applyVote, paperTerms, type Vote } from './learning.ts';
import type { Clock, LearnedProfiles, PaperLookup, SubscriberRepository } from './ports.ts';
import { isErased, type Subscriber } from './subscriber.ts';
import { preferencesFor } from './subscriptions.ts';
import { feedbackBinding, type TokenKeys, verifyTokenWith } from './tokens.ts';

export interface VoteDeps {
  subscribers: SubscriberRepository;
  keys: TokenKeys;
  clock: Clock;
  learned: LearnedProfiles;
  papers: PaperLookup;
}

const MAX_RACES = 4;

/** What a vote link leads to: the reader and the paper, or why nothing can be recorded. */
export type VoteTarget =
  | { kind: 'ready'; subscriber: Subscriber; paperTitle: string }
  /** Unsubscribed, pending, bounced: nothing is recorded for a reader who gets no digests. */
  | { kind: 'inactive' };

/**
 * The reader and paper behind a "more / fewer like this" link, changing nothing (the page a GET
 * shows, and the first step of the POST). The token must be a feedback token for this paper and
 * the reader's current sign-up; an erased reader's link no longer works.
 */
export async function voteTarget(token: string, paperId: string, deps: VoteDeps): Promise<VoteTarget> {
  const claims = await verifyTokenWith(token, 'feedback', deps.keys, deps.clock.now());
  const record = await deps.subscribers.get(claims.subscriberId);
  if (!record || isErased(record))
    throw new NotFoundError('This link no longer works: there is no subscription behind it.');
  // Bound to the sign-up and the paper: a link for one paper cannot vote on another.
  if (claims.binding !== feedbackBinding(record.signupId, paperId)) {
    throw new InvalidTokenError('the link is for another paper or an earlier sign-up');
  }
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
 *    changes nothing, another vote on the paper replaces the first).
 * 3. Write it on the version read; a lost race re-reads and applies the vote again.
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
  for (let race = 0; race < MAX_RACES; race += 1) {
    const before = await deps.learned.get(target.subscriber.id);
    const outcome = applyVote(before, { paperId, vote, terms }, deps.clock.now());
    if (!outcome.changed) return 'unchanged';
    if (await deps.learned.put(target.subscriber.id, outcome.profile, before?.version ?? 0))
      return 'recorded';
  }
  throw new ConcurrentUpdateError('what Paperboy learned kept changing while recording the vote');
}

/** Forgets what the reader's clicks taught, from their preference centre (a POST with its token). */
export async function resetLearned(
  token: string,
  deps: Pick<VoteDeps, 'subscribers' | 'keys' | 'clock' | 'learned'>,
): Promise<Subscriber> {
  const subscriber = await preferencesFor(token, deps);
  await deps.learned.delete(subscriber.id);
  return subscriber;
}
