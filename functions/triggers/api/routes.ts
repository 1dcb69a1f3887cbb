import * as z from 'zod';
import { editionView } from '../../core/edition-view.ts';
import type { LinkBuilder } from '../../core/links.ts';
import type { DigestRenderer, EditionRepository, PageRenderer } from '../../core/ports.ts';
import { SubscriptionRequestSchema } from '../../core/subscriber.ts';
import {
  checkUnsubscribeToken,
  confirm,
  type SubscriptionDeps,
  subscribe,
  unsubscribe,
} from '../../core/subscriptions.ts';
import { htmlResponse, jsonResponse } from '../../shared/http.ts';
import { isForm, parsePart, readBody, readQuery } from './request.ts';

/** What the api function needs: ports only (adapters are chosen by its composition root). */
export interface ApiDeps extends SubscriptionDeps {
  editions: EditionRepository;
  pages: PageRenderer;
  renderer: DigestRenderer;
  links: LinkBuilder;
}

/** `page` routes answer HTML, errors included; `api` routes answer JSON unless a form posted. */
export type RouteKind = 'page' | 'api';

export interface RouteContext {
  req: Request;
  params: Record<string, string>;
  deps: ApiDeps;
}

export interface ApiRoute {
  method: 'GET' | 'POST';
  path: `/${string}`;
  kind: RouteKind;
  handle: (ctx: RouteContext) => Promise<Response>;
}

/**
 * Every URL of the product, in one table. GET routes also answer HEAD (same headers, no body).
 * A GET never changes state: link scanners fetch every link in an email.
 */
export const routes: readonly ApiRoute[] = [
  { method: 'GET', path: '/', kind: 'page', handle: subscribePage },
  { method: 'POST', path: '/subscriptions', kind: 'api', handle: subscribeRequest },
  { method: 'GET', path: '/confirm', kind: 'page', handle: confirmLink },
  { method: 'GET', path: '/unsubscribe', kind: 'page', handle: unsubscribePage },
  { method: 'POST', path: '/unsubscribe', kind: 'page', handle: unsubscribeNow },
  { method: 'GET', path: '/editions/:date', kind: 'page', handle: editionPage },
];

const TokenQuery = z.object({ token: z.string().min(1, 'token is required').max(512) });
const EditionPath = z.object({ date: z.iso.date() });
/** Form posts send lists (topics, authors, excluded words) as one comma-separated field; JSON sends lists. */
const FormList = z.preprocess(
  (v) =>
    typeof v === 'string'
      ? v
          .split(',')
          .map((t) => t.trim())
          .filter(Boolean)
      : v,
  z.unknown(),
);
const ACCEPTED =
  'If this address can receive our email, a confirmation link is on its way. Click it to start receiving papers.';

async function subscribePage({ deps }: RouteContext): Promise<Response> {
  return htmlResponse(200, deps.pages.subscribe(deps.links.action('subscriptions')));
}

/** Always 202 with the same body, whoever the address is: the answer never tells who is known. */
async function subscribeRequest({ req, deps }: RouteContext): Promise<Response> {
  const body = await readBody(req);
  // A filled honeypot is a bot: answer exactly as for a person, do nothing.
  const bot = typeof body.website === 'string' && body.website.trim() !== '';
  if (!bot) {
    const lists = {
      topics: FormList.parse(body.topics),
      authors: FormList.parse(body.authors),
      exclude: FormList.parse(body.exclude),
    };
    await subscribe(parsePart(SubscriptionRequestSchema, { ...body, ...lists }, 'body'), deps);
  }
  return isForm(req)
    ? htmlResponse(202, deps.pages.message('Check your inbox', ACCEPTED))
    : jsonResponse(202, { status: 'accepted', message: ACCEPTED });
}

async function confirmLink({ req, deps }: RouteContext): Promise<Response> {
  const { token } = parsePart(TokenQuery, readQuery(req), 'query');
  const subscriber = await confirm(token, deps);
  const message =
    subscriber.status === 'active'
      ? 'Your subscription is confirmed. Your first digest arrives with the next edition.'
      : 'This subscription is no longer active. Subscribe again from the sign-up page.';
  return htmlResponse(200, deps.pages.message('You are subscribed', message));
}

/** Shows a button; the state changes only on POST (a scanner's GET changes nothing). */
async function unsubscribePage({ req, deps }: RouteContext): Promise<Response> {
  const { token } = parsePart(TokenQuery, readQuery(req), 'query');
  await checkUnsubscribeToken(token, deps);
  return htmlResponse(200, deps.pages.unsubscribe(deps.links.action('unsubscribe', token)));
}

/** RFC 8058 one-click: unsubscribes at once and answers 200, no redirect, no cookie. */
async function unsubscribeNow({ req, deps }: RouteContext): Promise<Response> {
  const { token } = parsePart(TokenQuery, readQuery(req), 'query');
  await unsubscribe(token, deps);
  return htmlResponse(
    200,
    deps.pages.message('You are unsubscribed', 'You will receive no more digests from Paperboy.'),
  );
}

async function editionPage({ params, deps }: RouteContext): Promise<Response> {
  const { date } = parsePart(EditionPath, params, 'path');
  return htmlResponse(200, deps.renderer.renderDigest(await editionView(date, deps)));
}
