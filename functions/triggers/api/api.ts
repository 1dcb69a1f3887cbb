import { NotFoundError as RouteNotFoundError, Router } from '@aws-lambda-powertools/event-handler/http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { enforceRate, rateKey } from '../../core/rate-limits.ts';
import { errorView, htmlResponse, jsonResponse, titleFor } from '../../shared/http.ts';
import { type LambdaHandler, withLambdaContext } from '../../shared/lambda.ts';
import { createLogger } from '../../shared/logger.ts';
import { isForm } from './request.ts';
import { type ApiDeps, type ApiRoute, routes } from './routes.ts';

export const logger = createLogger('api');

export type { ApiDeps } from './routes.ts';

/** Lambda passes a context; the local gateway and tests may not. The router only reads it through. */
const NO_CONTEXT = {} as Context;
/** How long the sign-up form's topic suggestions are kept by a warm function. */
const SUGGESTIONS_TTL_MS = 5 * 60_000;

/**
 * The public HTTP API (API Gateway HTTP API, payload v2) through Powertools' HTTP router: the
 * route table in routes.ts, HEAD wherever GET is, a per-IP rate limit on every state-changing
 * route, one error mapping (public 4xx, opaque 5xx; HTML for pages and form posts, JSON for API
 * clients).
 */
export function createApiHandler(
  deps: ApiDeps,
): LambdaHandler<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2> {
  const app = new Router({ logger });
  const byRoute = new Map<string, ApiRoute>();
  const suggestions = cached(SUGGESTIONS_TTL_MS, async () => (await deps.editions.latest())?.topics ?? []);

  for (const route of routes) {
    const methods = route.method === 'GET' ? (['GET', 'HEAD'] as const) : ([route.method] as const);
    for (const method of methods) byRoute.set(`${method} ${route.path}`, route);
    app.route(({ req, params }) => route.handle({ req, params, deps, suggestions }), {
      method: [...methods],
      path: route.path,
    });
  }

  // Every state-changing route counts against the caller's IP (a keyed hash of it) per minute.
  app.use(async ({ reqCtx, next }) => {
    const route = reqCtx.route ? byRoute.get(reqCtx.route) : undefined;
    if (route?.limited) {
      const ip = (reqCtx.event as APIGatewayProxyEventV2).requestContext.http.sourceIp ?? 'unknown';
      const ring = await deps.keys.current();
      await enforceRate(deps.limiter, rateKey('ip', ip, ring), deps.limits.perIpPerMinute, 60);
    }
    await next();
  });

  // A HEAD answer is the GET answer without its body.
  app.use(async ({ reqCtx, next }) => {
    await next();
    if (reqCtx.req.method === 'HEAD') {
      reqCtx.res = new Response(null, { status: reqCtx.res.status, headers: reqCtx.res.headers });
    }
  });

  app.errorHandler(Error, async (error, reqCtx) => {
    const view = errorView(error, error instanceof RouteNotFoundError);
    const route = reqCtx.route ?? `${reqCtx.req.method} (no route)`;
    if (view.status >= 500) logger.error('request failed', { route, error });
    else logger.info('request refused', { route, status: view.status, reason: view.error });
    const kind = (reqCtx.route && byRoute.get(reqCtx.route)?.kind) ?? 'page';
    const wantsHtml =
      kind === 'page' || isForm(reqCtx.req) || /text\/html/u.test(reqCtx.req.headers.get('accept') ?? '');
    const response = wantsHtml
      ? htmlResponse(
          view.status,
          deps.pages.message(titleFor(view.status), view.message),
          deps.pages.contentSecurityPolicy,
        )
      : jsonResponse(view.status, {
          error: view.error,
          message: view.message,
          ...(view.issues ? { issues: view.issues } : {}),
        });
    if (view.retryAfter !== undefined) response.headers.set('retry-after', String(view.retryAfter));
    return response;
  });

  return withLambdaContext(logger, (event, context) => app.resolve(forRouter(event), context ?? NO_CONTEXT));
}

/** A value recomputed at most every `ttlMs` (a failure is not kept). */
function cached<T>(ttlMs: number, load: () => Promise<T>): () => Promise<T> {
  let value: { at: number; promise: Promise<T> } | undefined;
  return () => {
    if (!value || Date.now() - value.at > ttlMs) {
      const promise = load();
      value = { at: Date.now(), promise };
      promise.catch(() => {
        value = undefined;
      });
    }
    return value.promise;
  };
}

/**
 * The event as the router can always read it. The router builds a web Request whose URL starts
 * with the Host header and which refuses a body on GET or HEAD: a malformed Host or a GET with
 * a body would throw before any route runs. Paperboy never reads the Host (links use the public
 * base URL), so it is fixed, and GET and HEAD bodies are dropped, as HTTP gives them no meaning.
 */
function forRouter(event: APIGatewayProxyEventV2): APIGatewayProxyEventV2 {
  const method = event.requestContext.http.method.toUpperCase();
  const { body: _body, ...rest } = event;
  const withoutBody = method === 'GET' || method === 'HEAD';
  return {
    ...(withoutBody ? { ...rest, isBase64Encoded: false } : event),
    headers: { ...event.headers, host: 'paperboy.invalid', 'x-forwarded-proto': 'https' },
    requestContext: { ...event.requestContext, domainName: 'paperboy.invalid' },
  };
}
