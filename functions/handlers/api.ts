import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { z } from 'zod';
import type { HtmlDigestRenderer } from '../adapters/html-digest-renderer.ts';
import type { PageRenderer } from '../adapters/page-renderer.ts';
import { buildDigestView } from '../core/digest.ts';
import { describeIssues, NotFoundError, ValidationError } from '../core/errors.ts';
import type { EditionRepository } from '../core/ports.ts';
import { SubscriptionRequestSchema } from '../core/subscriber.ts';
import {
  checkUnsubscribeToken,
  confirm,
  type SubscriptionDeps,
  subscribe,
  unsubscribe,
} from '../core/subscriptions.ts';
import { errorView, html, json } from '../shared/http.ts';
import { createLogger } from '../shared/logger.ts';
import { bootstrap } from './bootstrap.ts';

export interface ApiDeps extends SubscriptionDeps {
  editions: EditionRepository;
  pages: PageRenderer;
  renderer: HtmlDigestRenderer;
  publicBaseUrl: string;
}

type Result = Exclude<APIGatewayProxyResultV2, string>;
const logger = createLogger('api');

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

/**
 * The public HTTP API (API Gateway HTTP API, payload v2):
 * GET / (subscribe page), POST /subscriptions, GET /confirm, GET|POST /unsubscribe, GET /editions/{date}.
 */
export function createApiHandler(deps: ApiDeps) {
  return async (event: APIGatewayProxyEventV2): Promise<Result> => {
    const route = `${event.requestContext.http.method} ${event.rawPath.replace(/\/+$/u, '') || '/'}`;
    const wantsHtml = /text\/html/u.test(event.headers.accept ?? '') || isForm(event);
    try {
      return await dispatch(route, event, deps);
    } catch (error) {
      const view = errorView(error);
      if (view.status >= 500) logger.error('request failed', { route, error: error as Error });
      else logger.info('request refused', { route, status: view.status, reason: view.error });
      if (wantsHtml || route.startsWith('GET '))
        return html(view.status, deps.pages.message(titleFor(view.status), view.message));
      return json(view.status, {
        error: view.error,
        message: view.message,
        ...(view.issues ? { issues: view.issues } : {}),
      });
    }
  };
}

async function dispatch(route: string, event: APIGatewayProxyEventV2, deps: ApiDeps): Promise<Result> {
  const base = deps.publicBaseUrl.endsWith('/') ? deps.publicBaseUrl : `${deps.publicBaseUrl}/`;
  switch (route) {
    case 'GET /':
      return html(200, deps.pages.subscribe(`${base}subscriptions`));
    case 'POST /subscriptions': {
      const body = readBody(event);
      // A filled honeypot is a bot: answer exactly as for a person, do nothing.
      if (!(typeof body.website === 'string' && body.website.trim() !== '')) {
        const lists = {
          topics: FormList.parse(body.topics),
          authors: FormList.parse(body.authors),
          exclude: FormList.parse(body.exclude),
        };
        const request = parse(SubscriptionRequestSchema, { ...body, ...lists }, 'body');
        await subscribe(request, deps);
      }
      return isForm(event)
        ? html(202, deps.pages.message('Check your inbox', ACCEPTED))
        : json(202, { status: 'accepted', message: ACCEPTED });
    }
    case 'GET /confirm': {
      const { token } = parse(TokenQuery, event.queryStringParameters ?? {}, 'query');
      const subscriber = await confirm(token, deps);
      const message =
        subscriber.status === 'active'
          ? 'Your subscription is confirmed. Your first digest arrives with the next edition.'
          : 'This subscription is no longer active. Subscribe again from the sign-up page.';
      return html(200, deps.pages.message('You are subscribed', message));
    }
    case 'GET /unsubscribe': {
      // Link scanners fetch GET links: this only shows a button, it never changes state.
      const { token } = parse(TokenQuery, event.queryStringParameters ?? {}, 'query');
      checkUnsubscribeToken(token, deps);
      return html(200, deps.pages.unsubscribe(`${base}unsubscribe?token=${encodeURIComponent(token)}`));
    }
    case 'POST /unsubscribe': {
      // RFC 8058 one-click: unsubscribe at once and answer 200, no redirect.
      const { token } = parse(TokenQuery, event.queryStringParameters ?? {}, 'query');
      await unsubscribe(token, deps);
      return html(
        200,
        deps.pages.message('You are unsubscribed', 'You will receive no more digests from Paperboy.'),
      );
    }
    default: {
      const edition = /^GET \/editions\/([^/]+)$/u.exec(route);
      if (edition) return showEdition(parse(EditionPath, { date: edition[1] }, 'path').date, deps, base);
      throw new NotFoundError('There is no page at this address.');
    }
  }
}

const WEB_VIEW_PAPERS = 30;

/** The web view of an edition: its trending list, not personal, with a subscribe link. */
async function showEdition(date: string, deps: ApiDeps, base: string): Promise<Result> {
  const edition = await deps.editions.get(date);
  if (!edition) throw new NotFoundError(`There is no edition for ${date}.`);
  const items = edition.entries.slice(0, WEB_VIEW_PAPERS).map((entry) => ({ entry, reasons: entry.reasons }));
  const view = buildDigestView(edition, items, {
    unsubscribeUrl: base,
    webViewUrl: deps.links.edition(date),
  });
  return html(200, deps.renderer.renderDigest(view));
}

function parse<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = describeIssues(parsed.error.issues).map((i) => ({ ...i, path: `${where}.${i.path}` }));
  throw new ValidationError(issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues);
}

function isForm(event: APIGatewayProxyEventV2): boolean {
  return /application\/x-www-form-urlencoded/u.test(event.headers['content-type'] ?? '');
}

const MAX_BODY_BYTES = 16_384;

function readBody(event: APIGatewayProxyEventV2): Record<string, unknown> {
  const raw = event.body
    ? Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8').toString('utf8')
    : '';
  if (raw.length > MAX_BODY_BYTES) throw new ValidationError(`body: must be at most ${MAX_BODY_BYTES} bytes`);
  if (isForm(event)) return Object.fromEntries(new URLSearchParams(raw));
  if (!/application\/json/u.test(event.headers['content-type'] ?? '')) {
    throw new ValidationError('body: send application/json or application/x-www-form-urlencoded');
  }
  try {
    const value: unknown = JSON.parse(raw);
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      return value as Record<string, unknown>;
  } catch {
    // fall through to the same message
  }
  throw new ValidationError('body: must be a JSON object');
}

function titleFor(status: number): string {
  if (status === 404) return 'Not found';
  if (status < 500) return 'That did not work';
  return 'Something went wrong';
}

export const handler = bootstrap(async (runtime) => createApiHandler(await runtime.apiDeps()));
