import {
  isHttpMethod,
  ParameterValidationError,
  NotFoundError as RouteNotFoundError,
  Router,
  webResponseToProxyResult,
} from '@aws-lambda-powertools/event-handler/http';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { ConcurrentUpdateError, MethodNotAllowedError, ValidationError } from '../../core/errors.ts';
import { enforceRate, rateKey } from '../../core/rate-limits.ts';
import { errorView, htmlResponse, jsonResponse, titleFor } from '../../shared/http.ts';
import { type LambdaHandler, withLambdaContext } from '../../shared/lambda.ts';
import { createLogger } from '../../shared/logger.ts';
import { isForm } from './request.ts';
import { type ApiDeps, type ApiRoute, methodsOf, type RouteKind, routes, routesAt } from './routes.ts';

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
 * clients). A known address asked with a method it does not answer gets a 405 whose `Allow`
 * comes from the table; a path with a malformed percent-escape gets a 400.
 */
export function createApiHandler(
  deps: ApiDeps & { metrics?: Metrics },
): LambdaHandler<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2> {
  const app = new Router({ logger });
  const byRoute = new Map<string, ApiRoute>();
  // The routes' warnings (an unreadable stored profile a vote replaces) go to this log.
  const logged: ApiDeps = {
    log: { warn: (message, details) => logger.warn(message, { ...details }) },
    ...deps,
  };
  const suggestions = cached(SUGGESTIONS_TTL_MS, async () => (await deps.editions.latest())?.topics ?? []);

  for (const route of routes) {
    const methods = methodsOf(route);
    for (const method of methods) byRoute.set(`${method} ${route.path}`, route);
    app.route(({ req, params }) => route.handle({ req, params, deps: logged, suggestions }), {
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

  /** The one error answer: public 4xx, opaque 5xx, in the format the route (or the caller) speaks. */
  function errorResponse(thrown: Error, req: Request | RequestLine, matched: string | null): Response {
    const path = routerPath(req.url);
    const error = routingError(thrown, req.method, path);
    const view = errorView(error, error instanceof RouteNotFoundError);
    const route = matched ?? `${req.method} (no route)`;
    // A write that lost every race is an expected conflict under load (a 503 asking to retry), not a fault.
    if (error instanceof ConcurrentUpdateError)
      logger.warn('request gave up on a conflict', { route, error });
    else if (view.status >= 500) logger.error('request failed', { route, error });
    else logger.info('request refused', { route, status: view.status, reason: view.error });
    const kind = (matched && byRoute.get(matched)?.kind) ?? kindAt(path);
    const wantsHtml = kind === 'page' || isForm(req) || /text\/html/u.test(req.headers.get('accept') ?? '');
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
    if (view.allow) response.headers.set('allow', view.allow.join(', '));
    return response;
  }

  app.errorHandler(Error, async (error, reqCtx) => errorResponse(error, reqCtx.req, reqCtx.route));

  return withLambdaContext(
    logger,
    async (event, context) => {
      const method = event.requestContext.http.method.toUpperCase();
      const canonical = canonicalRedirect(event, method, deps.links.home());
      if (canonical) return method === 'HEAD' ? { ...canonical, body: '' } : canonical;
      // A method the router does not know (PROPFIND, FOO) would get its bare 405, logged as an
      // error: it is answered here, as any other method no route has.
      const result = isHttpMethod(method)
        ? await app.resolve(forRouter(event), context ?? NO_CONTEXT)
        : await webResponseToProxyResult(
            errorResponse(new RouteNotFoundError(`no route for ${method}`), requestLine(event, method), null),
            'ApiGatewayV2',
          );
      // A HEAD answer is the GET answer without its body, an error's included (however it was raised).
      return method === 'HEAD' ? { ...result, body: '', isBase64Encoded: false } : result;
    },
    deps.metrics ? { metrics: deps.metrics } : {},
  );
}

/**
 * One address per page: the router matches `/feed.xml/` as `/feed.xml`, and API Gateway (one
 * `$default` route) and the local gateway pass the slash on, so each variant would be a second
 * CDN cache key for the same body. A known address asked with trailing slashes is redirected to
 * itself without them, query kept: 301 for GET and HEAD; 308 for any other method, which keeps
 * the method and body (a redirect changes nothing: the POST is made again at the real address).
 * The Location is absolute, under the public base URL. Unknown addresses get their 404 as before,
 * and a method the address does not answer its 405.
 */
function canonicalRedirect(
  event: APIGatewayProxyEventV2,
  method: string,
  home: string,
): APIGatewayProxyStructuredResultV2 | undefined {
  const path = event.rawPath;
  if (path === '/' || !path.endsWith('/')) return undefined;
  const bare = path.replace(/\/+$/u, '');
  if (bare === '' || bare.startsWith('//') || !decodes(bare)) return undefined;
  // Only to an address that answers this method: any other gets its 405 (or 404) here.
  if (!routesAt(bare).some((route) => (methodsOf(route) as string[]).includes(method))) return undefined;
  const location = new URL(bare.slice(1), home);
  location.search = event.rawQueryString ?? '';
  return {
    statusCode: method === 'GET' || method === 'HEAD' ? 301 : 308,
    headers: {
      location: location.toString(),
      'content-type': 'text/plain; charset=utf-8',
      'cache-control': 'public, max-age=86400',
    },
    body: `This address is ${location.toString()}\n`,
  };
}

/** What the error answer reads of a request the router never saw. */
interface RequestLine {
  method: string;
  url: string;
  headers: Headers;
}

function requestLine(event: APIGatewayProxyEventV2, method: string): RequestLine {
  const headers = new Headers();
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    try {
      if (value !== undefined) headers.set(name, value);
    } catch {
      // A header the Fetch API refuses is left out: only Accept and Content-Type are read here.
    }
  }
  return { method, url: `https://paperboy.invalid${event.rawPath}`, headers };
}

/** The path as the router matched it: still percent-encoded, without trailing slashes. */
function routerPath(url: string): string {
  const path = new URL(url).pathname;
  return path === '/' ? path : path.replace(/\/+$/u, '');
}

/**
 * What a failure of the router itself means to the caller. A path whose percent-escapes do not
 * decode (`%ZZ`, a cut UTF-8 sequence) is bad input, whatever it was meant to reach: the
 * router's decoding throws a URIError, or finds no route. A route parameter left empty once
 * decoded (`/editions/%20`) is bad input too. No route for this method at an address the table
 * knows is a 405 listing the methods it does answer. Anything else is as it was thrown.
 */
function routingError(error: Error, method: string, path: string): Error {
  const routing =
    error instanceof URIError ||
    error instanceof RouteNotFoundError ||
    error instanceof ParameterValidationError;
  if (!routing) return error;
  if (!decodes(path)) {
    const message = 'has a malformed percent-escape (such as %ZZ, or a UTF-8 sequence cut short)';
    return new ValidationError(`path: ${message}`, [{ path: 'path', message }], { cause: error });
  }
  if (error instanceof ParameterValidationError) {
    const message = 'a part of this address is empty';
    return new ValidationError(`path: ${message}`, [{ path: 'path', message }], { cause: error });
  }
  if (error instanceof RouteNotFoundError) {
    const allowed = [...new Set(routesAt(path).flatMap(methodsOf))];
    if (allowed.length > 0) return new MethodNotAllowedError(method, allowed);
  }
  return error;
}

function decodes(path: string): boolean {
  try {
    decodeURIComponent(path);
    return true;
  } catch {
    return false;
  }
}

/** The format an error at `path` speaks when no route ran: an API address's JSON, else HTML. */
function kindAt(path: string): RouteKind {
  const matching = routesAt(path);
  return matching.length > 0 && matching.every((route) => route.kind === 'api') ? 'api' : 'page';
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
