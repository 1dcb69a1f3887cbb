import * as z from 'zod';
import { ExpiredTokenError } from '../../core/errors.ts';
import { summarizeLearned, VoteSchema } from '../../core/learning.ts';
import { PaperIdSchema } from '../../core/paper.ts';
import { personalFeedUrls, resetFeedLink } from '../../core/personal-feed-token.ts';
import type {
  EditionRepository,
  LearnedProfiles,
  PageRenderer,
  PaperLookup,
  PersonalData,
  RateLimiter,
  SignupQueue,
} from '../../core/ports.ts';
import type { RateLimits } from '../../core/rate-limits.ts';
import {
  PreferencesUpdateSchema,
  preferencesOf,
  type Subscriber,
  SubscriptionRequestSchema,
} from '../../core/subscriber.ts';
import {
  acceptSignup,
  checkConfirmToken,
  checkUnsubscribeToken,
  confirm,
  erase,
  exportData,
  preferencesFor,
  resubscribe,
  type SubscriptionDeps,
  sendPreferencesLink,
  unsubscribe,
  updatePreferences,
} from '../../core/subscriptions.ts';
import { recordVote, resetLearned, voteTarget } from '../../core/votes.ts';
import { htmlResponse, jsonResponse } from '../../shared/http.ts';
import {
  type ArchiveDeps,
  archiveIndex,
  atomFeed,
  editionPageRoute,
  jsonFeed,
  personalAtomFeed,
  personalJsonFeed,
} from './archive-routes.ts';
import { isForm, parsePart, readBody, readQuery } from './request.ts';

/** What the api function needs: ports only (adapters are chosen by its composition root). */
export interface ApiDeps extends SubscriptionDeps, ArchiveDeps {
  editions: EditionRepository;
  pages: PageRenderer;
  limiter: RateLimiter;
  signups: SignupQueue;
  personalData: PersonalData;
  limits: RateLimits;
  /** What readers' "more / fewer like this" clicks taught. */
  learned: LearnedProfiles;
  /** The voted paper's words. */
  papers: PaperLookup;
  /** Warnings of the routes (an unreadable stored profile); the handler passes its logger. */
  log?: { warn(message: string, details?: Record<string, unknown>): void };
}

/** `page` routes answer HTML, errors included; `api` routes answer JSON unless a form posted. */
export type RouteKind = 'page' | 'api';

export interface RouteContext {
  req: Request;
  params: Record<string, string>;
  deps: ApiDeps;
  /** Topics of this week's edition, for the sign-up form (cached by the handler). */
  suggestions: () => Promise<string[]>;
}

export interface ApiRoute {
  method: 'GET' | 'POST';
  path: `/${string}`;
  kind: RouteKind;
  /**
   * Counted against the per-IP limit. Every state-changing route is, but one-click unsubscribe:
   * mail providers post those from a few addresses of their own, and an unsubscribe must never
   * be refused.
   */
  limited: boolean;
  handle: (ctx: RouteContext) => Promise<Response>;
}

/**
 * Every URL of the product, in one table. GET routes also answer HEAD (same headers, no body).
 * A GET never changes state: link scanners fetch every link in an email, so every link that
 * acts shows a page whose form (or script) makes the POST.
 */
export const routes: readonly ApiRoute[] = [
  { method: 'GET', path: '/', kind: 'page', limited: false, handle: home },
  { method: 'POST', path: '/subscriptions', kind: 'api', limited: true, handle: signUp },
  { method: 'GET', path: '/confirm', kind: 'page', limited: false, handle: confirmPage },
  { method: 'POST', path: '/confirm', kind: 'page', limited: true, handle: confirmNow },
  { method: 'GET', path: '/preferences', kind: 'page', limited: false, handle: preferencesPage },
  { method: 'POST', path: '/preferences', kind: 'page', limited: true, handle: savePreferences },
  { method: 'POST', path: '/preferences/link', kind: 'page', limited: true, handle: freshPreferencesLink },
  { method: 'POST', path: '/preferences/learned', kind: 'page', limited: true, handle: resetLearnedNow },
  { method: 'GET', path: '/feedback', kind: 'page', limited: false, handle: votePage },
  { method: 'POST', path: '/feedback', kind: 'page', limited: true, handle: voteNow },
  { method: 'GET', path: '/unsubscribe', kind: 'page', limited: false, handle: unsubscribePage },
  { method: 'POST', path: '/unsubscribe', kind: 'page', limited: false, handle: unsubscribeNow },
  { method: 'POST', path: '/resubscribe', kind: 'page', limited: true, handle: resubscribeNow },
  { method: 'GET', path: '/privacy/export', kind: 'page', limited: false, handle: exportPersonalData },
  { method: 'GET', path: '/privacy/erase', kind: 'page', limited: false, handle: erasePage },
  { method: 'POST', path: '/privacy/erase', kind: 'page', limited: true, handle: eraseNow },
  { method: 'POST', path: '/preferences/feed', kind: 'page', limited: true, handle: resetFeedLinkNow },
  // The archive and the feeds (archive-routes.ts): cacheable, with an ETag and 304. A feed's
  // address is pasted into a browser as often as into a reader: every feed, public or personal,
  // Atom or JSON, answers its errors as the site's HTML error page (the status says the rest).
  { method: 'GET', path: '/editions', kind: 'page', limited: false, handle: archiveIndex },
  { method: 'GET', path: '/editions/:date', kind: 'page', limited: false, handle: editionPageRoute },
  { method: 'GET', path: '/feed.xml', kind: 'page', limited: false, handle: atomFeed },
  { method: 'GET', path: '/feed.json', kind: 'page', limited: false, handle: jsonFeed },
  { method: 'GET', path: '/personal/feed.xml', kind: 'page', limited: false, handle: personalAtomFeed },
  { method: 'GET', path: '/personal/feed.json', kind: 'page', limited: false, handle: personalJsonFeed },
];

/** The methods a route answers: a GET route answers HEAD too. */
export function methodsOf(route: ApiRoute): ('GET' | 'HEAD' | 'POST')[] {
  return route.method === 'GET' ? ['GET', 'HEAD'] : [route.method];
}

/**
 * The routes of the table at `path` (as the router matches it: no trailing slash, still
 * percent-encoded), whatever their method: what a 405 offers, and the kind its error speaks.
 */
export function routesAt(path: string): ApiRoute[] {
  const segments = path.split('/');
  return routes.filter((route) => {
    const pattern = route.path.split('/');
    return (
      pattern.length === segments.length &&
      pattern.every((part, i) => (part.startsWith(':') ? segments[i] !== '' : part === segments[i]))
    );
  });
}

const TokenQuery = z.object({ token: z.string().min(1, 'token is required').max(512) });
const ACCEPTED =
  'If this address can receive our email, a confirmation link is on its way. Click it to start receiving papers.';
const token = (req: Request) => parsePart(TokenQuery, readQuery(req), 'query').token;
/** A "more / fewer like this" link: its token, the paper it is for, the vote. */
const VoteQuery = TokenQuery.extend({ paper: PaperIdSchema, vote: VoteSchema });
const OptionalPaper = z.object({ paper: PaperIdSchema.optional() });

async function home({ deps, suggestions }: RouteContext): Promise<Response> {
  const page = deps.pages.subscribe({
    action: deps.links.action('subscriptions'),
    suggestions: await suggestions(),
    feeds: {
      atom: new URL('feed.xml', deps.links.home()).toString(),
      json: new URL('feed.json', deps.links.home()).toString(),
    },
  });
  return htmlResponse(200, page, deps.pages.contentSecurityPolicy);
}

/** Always 202 with the same body, whoever the address is: the answer never tells who is known. */
async function signUp({ req, deps }: RouteContext): Promise<Response> {
  const body = await readBody(req);
  // A filled honeypot is a bot: answer exactly as for a person, do nothing.
  const bot = typeof body.website === 'string' && body.website.trim() !== '';
  if (!bot) await acceptSignup(parsePart(SubscriptionRequestSchema, body, 'body'), deps);
  return isForm(req)
    ? htmlResponse(202, deps.pages.message('Check your inbox', ACCEPTED), deps.pages.contentSecurityPolicy)
    : jsonResponse(202, { status: 'accepted', message: ACCEPTED });
}

/** The confirmation link's page: it confirms by a POST its script makes (or its button). */
async function confirmPage({ req, deps }: RouteContext): Promise<Response> {
  const value = token(req);
  await checkConfirmToken(value, deps);
  return htmlResponse(
    200,
    deps.pages.confirm(deps.links.action('confirm', value)),
    deps.pages.contentSecurityPolicy,
  );
}

async function confirmNow({ req, deps }: RouteContext): Promise<Response> {
  const subscriber = await confirm(token(req), deps);
  if (subscriber.status !== 'active') {
    const page = deps.pages.message(
      'This subscription is not active',
      'It was stopped since this link was sent. Subscribe again from the sign-up page.',
    );
    return htmlResponse(200, page, deps.pages.contentSecurityPolicy);
  }
  const page = deps.pages.confirmed({
    message:
      subscriber.frequency === 'none'
        ? 'You chose no email: your papers arrive in your personal feed with each edition. Its link is on your preferences page.'
        : 'Your first digest arrives with the next edition.',
    preferencesUrl: await deps.links.preferences(subscriber.id, subscriber.signupId, deps.clock.now()),
  });
  return htmlResponse(200, page, deps.pages.contentSecurityPolicy);
}

/** An expired preferences link gets a page that can email a fresh one; other errors go up. */
async function withFreshLinkOffer(
  ctx: RouteContext,
  value: string,
  render: () => Promise<Response>,
): Promise<Response> {
  try {
    return await render();
  } catch (error) {
    if (!(error instanceof ExpiredTokenError)) throw error;
    const page = ctx.deps.pages.linkExpired(ctx.deps.links.action('preferences/link', value));
    return htmlResponse(410, page, ctx.deps.pages.contentSecurityPolicy);
  }
}

async function preferencesPage(ctx: RouteContext): Promise<Response> {
  const value = token(ctx.req);
  return withFreshLinkOffer(ctx, value, async () => {
    const subscriber = await preferencesFor(value, ctx.deps);
    return htmlResponse(
      200,
      await renderPreferences(subscriber, value, ctx.deps),
      ctx.deps.pages.contentSecurityPolicy,
    );
  });
}

/** JSON in, JSON out (the saved preferences); a form post gets the page back with its new state. */
async function savePreferences(ctx: RouteContext): Promise<Response> {
  const value = token(ctx.req);
  return withFreshLinkOffer(ctx, value, async () => {
    const update = parsePart(PreferencesUpdateSchema, await readBody(ctx.req), 'body');
    const subscriber = await updatePreferences(value, update, ctx.deps);
    if (!isForm(ctx.req)) {
      return jsonResponse(200, {
        status: subscriber.status,
        preferences: preferencesOf(subscriber),
        ...(subscriber.pausedUntil ? { pausedUntil: subscriber.pausedUntil } : {}),
      });
    }
    return htmlResponse(
      200,
      await renderPreferences(subscriber, value, ctx.deps, 'Saved. '),
      ctx.deps.pages.contentSecurityPolicy,
    );
  });
}

async function renderPreferences(
  subscriber: Subscriber,
  value: string,
  deps: ApiDeps,
  prefix = '',
): Promise<string> {
  const paused =
    subscriber.pausedUntil !== undefined && Date.parse(subscriber.pausedUntil) > deps.clock.now().getTime();
  return deps.pages.preferences({
    preferences: preferencesOf(subscriber),
    status: prefix + statusLine(subscriber, paused),
    paused,
    action: deps.links.action('preferences', value),
    exportUrl: deps.links.action('privacy/export', value),
    eraseUrl: deps.links.action('privacy/erase', value),
    unsubscribeAction: await deps.links.unsubscribe(subscriber.id),
    learned: summarizeLearned(await deps.learned.load(subscriber.id)),
    resetLearnedAction: deps.links.action('preferences/learned', value),
    // Only an active reader has a feed; showing the link writes nothing.
    ...(subscriber.status === 'active'
      ? {
          feed: {
            ...(await personalFeedUrls(subscriber, deps.keys, deps.links)),
            resetAction: deps.links.action('preferences/feed', value),
          },
        }
      : {}),
  });
}

/** "Reset what Paperboy learned": forgets the reader's clicks, and shows the preferences again. */
async function resetLearnedNow(ctx: RouteContext): Promise<Response> {
  const value = token(ctx.req);
  return withFreshLinkOffer(ctx, value, async () => {
    const subscriber = await resetLearned(value, ctx.deps);
    return htmlResponse(
      200,
      await renderPreferences(
        subscriber,
        value,
        ctx.deps,
        'What Paperboy learned from your clicks is forgotten. ',
      ),
      ctx.deps.pages.contentSecurityPolicy,
    );
  });
}

/**
 * A "more / fewer like this" link's page: it records the vote by a POST its script makes (or its
 * button); the GET itself changes nothing. An expired link gets the link-expired page.
 */
async function votePage(ctx: RouteContext): Promise<Response> {
  const query = parsePart(VoteQuery, readQuery(ctx.req), 'query');
  return withExpiredVoteOffer(ctx, query, async () => {
    const target = await voteTarget(query.token, query.paper, ctx.deps);
    if (target.kind === 'inactive') return inactiveVotePage(ctx.deps);
    const page = ctx.deps.pages.vote({
      action: voteAction(ctx.deps, query),
      vote: query.vote,
      title: target.paperTitle,
    });
    return htmlResponse(200, page, ctx.deps.pages.contentSecurityPolicy);
  });
}

/** Records the vote (idempotent: the same vote twice changes nothing; another replaces it). */
async function voteNow(ctx: RouteContext): Promise<Response> {
  const query = parsePart(VoteQuery, readQuery(ctx.req), 'query');
  return withExpiredVoteOffer(ctx, query, async () => {
    const result = await recordVote(query.token, query.paper, query.vote, ctx.deps);
    if (result === 'inactive') return inactiveVotePage(ctx.deps);
    const page = ctx.deps.pages.message(
      'Thanks: noted',
      query.vote === 'more'
        ? 'Your next digests will bring more papers like this one. You can see and reset what Paperboy learned on your preferences page.'
        : 'Your next digests will bring fewer papers like this one. You can see and reset what Paperboy learned on your preferences page.',
    );
    return htmlResponse(200, page, ctx.deps.pages.contentSecurityPolicy);
  });
}

function voteAction(deps: ApiDeps, query: { token: string; paper: string; vote: string }): string {
  const url = new URL(deps.links.action('feedback', query.token));
  url.searchParams.set('paper', query.paper);
  url.searchParams.set('vote', query.vote);
  return url.toString();
}

function inactiveVotePage(deps: ApiDeps): Response {
  const page = deps.pages.message(
    'Nothing was recorded',
    'This subscription is not active: you get no digests, so Paperboy learns nothing from this link. Subscribe again from the sign-up page to get digests.',
  );
  return htmlResponse(200, page, deps.pages.contentSecurityPolicy);
}

/** An expired vote link gets the link-expired page, whose button emails a fresh preferences link. */
async function withExpiredVoteOffer(
  ctx: RouteContext,
  query: { token: string; paper: string },
  render: () => Promise<Response>,
): Promise<Response> {
  try {
    return await render();
  } catch (error) {
    if (!(error instanceof ExpiredTokenError)) throw error;
    const action = new URL(ctx.deps.links.action('preferences/link', query.token));
    action.searchParams.set('paper', query.paper);
    const page = ctx.deps.pages.linkExpired(
      action.toString(),
      '“More like this” and “Fewer like this” links work for 60 days.',
    );
    return htmlResponse(410, page, ctx.deps.pages.contentSecurityPolicy);
  }
}

/** Why a reader who is not active has no personal feed. */
const FEED_OFF: Record<Exclude<Subscriber['status'], 'active'>, string> = {
  pending: 'you have no personal feed until you confirm your subscription.',
  unsubscribed:
    'your personal feed is off because you unsubscribed, and its old links no longer work. Subscribe again from the sign-up page to get a new feed link.',
  bounced: 'your personal feed is off because we stopped sending to this address.',
  complained: 'your personal feed is off because we stopped sending to this address.',
};

function statusLine(subscriber: Subscriber, paused: boolean): string {
  const how =
    subscriber.frequency === 'none'
      ? 'no email: your papers arrive in your personal feed every day'
      : `up to ${subscriber.digestSize} papers ${subscriber.frequency === 'weekly' ? 'once a week' : 'every day'}`;
  switch (subscriber.status) {
    case 'active':
      return paused
        ? `Paused until ${subscriber.pausedUntil?.slice(0, 10)}; then you get ${how}.`
        : `You get ${how}.`;
    case 'pending':
      return 'Confirm your subscription from the email we sent you; nothing is sent until then.';
    case 'unsubscribed':
      return 'You are unsubscribed: nothing is sent to you.';
    default:
      return 'We stopped sending to this address: the mail provider refused our emails or reported them as spam.';
  }
}

async function freshPreferencesLink({ req, deps }: RouteContext): Promise<Response> {
  const { paper } = parsePart(OptionalPaper, readQuery(req), 'query');
  await sendPreferencesLink(token(req), deps, paper);
  const page = deps.pages.message(
    'Check your inbox',
    'If the subscription behind this link is active, a fresh link to your preferences is on its way.',
  );
  return htmlResponse(200, page, deps.pages.contentSecurityPolicy);
}

/** Shows a button; the state changes only on POST (a scanner's GET changes nothing). */
async function unsubscribePage({ req, deps }: RouteContext): Promise<Response> {
  const value = token(req);
  await checkUnsubscribeToken(value, deps);
  return htmlResponse(
    200,
    deps.pages.unsubscribe(deps.links.action('unsubscribe', value)),
    deps.pages.contentSecurityPolicy,
  );
}

/** RFC 8058 one-click: unsubscribes at once and answers 200, no redirect, no cookie. */
async function unsubscribeNow({ req, deps }: RouteContext): Promise<Response> {
  const value = token(req);
  await unsubscribe(value, deps);
  const page = deps.pages.unsubscribed({ resubscribeAction: deps.links.action('resubscribe', value) });
  return htmlResponse(200, page, deps.pages.contentSecurityPolicy);
}

async function resubscribeNow({ req, deps }: RouteContext): Promise<Response> {
  await resubscribe(token(req), deps);
  return htmlResponse(
    200,
    deps.pages.message('Check your inbox', ACCEPTED),
    deps.pages.contentSecurityPolicy,
  );
}

/** Everything stored about the reader, as a JSON download. A GET, and it changes nothing. */
async function exportPersonalData(ctx: RouteContext): Promise<Response> {
  const value = token(ctx.req);
  return withFreshLinkOffer(ctx, value, async () => {
    const data = await exportData(value, ctx.deps);
    const response = jsonResponse(200, { exportedAt: ctx.deps.clock.now().toISOString(), ...data });
    response.headers.set('content-disposition', 'attachment; filename="paperboy-my-data.json"');
    return response;
  });
}

/** The confirmation step before erasure. */
async function erasePage(ctx: RouteContext): Promise<Response> {
  const value = token(ctx.req);
  return withFreshLinkOffer(ctx, value, async () => {
    await preferencesFor(value, ctx.deps);
    const page = ctx.deps.pages.erase({
      action: ctx.deps.links.action('privacy/erase', value),
      preferencesUrl: ctx.deps.links.action('preferences', value),
    });
    return htmlResponse(200, page, ctx.deps.pages.contentSecurityPolicy);
  });
}

async function eraseNow(ctx: RouteContext): Promise<Response> {
  const value = token(ctx.req);
  return withFreshLinkOffer(ctx, value, async () => {
    await erase(value, ctx.deps);
    const page = ctx.deps.pages.message(
      'Your data is erased',
      'We deleted your address, your preferences and what we sent you. You will get nothing more from us.',
    );
    return htmlResponse(200, page, ctx.deps.pages.contentSecurityPolicy);
  });
}

/**
 * "Reset this link": a new personal feed link; the old one stops working at once. A reader who
 * is not active has no feed (its links stopped when they left): nothing is reset, and the page
 * says so (409), with their preferences and the way back.
 */
async function resetFeedLinkNow(ctx: RouteContext): Promise<Response> {
  const value = token(ctx.req);
  return withFreshLinkOffer(ctx, value, async () => {
    const subscriber = await resetFeedLink(value, ctx.deps);
    if (subscriber.status !== 'active') {
      return htmlResponse(
        409,
        await renderPreferences(
          subscriber,
          value,
          ctx.deps,
          `Nothing was reset: ${FEED_OFF[subscriber.status]} `,
        ),
        ctx.deps.pages.contentSecurityPolicy,
      );
    }
    return htmlResponse(
      200,
      await renderPreferences(
        subscriber,
        value,
        ctx.deps,
        'Your feed has a new link: the old one no longer works. ',
      ),
      ctx.deps.pages.contentSecurityPolicy,
    );
  });
}
