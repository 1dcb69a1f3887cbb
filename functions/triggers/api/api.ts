import { NotFoundError as RouteNotFoundError, Router } from '@aws-lambda-powertools/event-handler/http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { errorView, htmlResponse, jsonResponse, titleFor } from '../../shared/http.ts';
import { type LambdaHandler, withLambdaContext } from '../../shared/lambda.ts';
import { createLogger } from '../../shared/logger.ts';
import { isForm } from './request.ts';
import { type ApiDeps, type RouteKind, routes } from './routes.ts';

export const logger = createLogger('api');

export type { ApiDeps } from './routes.ts';

/** Lambda passes a context; the local gateway and tests may not. The router only reads it through. */
const NO_CONTEXT = {} as Context;

/**
 * The public HTTP API (API Gateway HTTP API, payload v2) through Powertools' HTTP router: the
 * route table in routes.ts, HEAD wherever GET is, one error mapping (public 4xx, opaque 5xx;
 * HTML for pages and form posts, JSON for API clients).
 */
export function createApiHandler(
  deps: ApiDeps,
): LambdaHandler<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2> {
  const app = new Router({ logger });
  const kinds = new Map<string, RouteKind>();
  for (const route of routes) {
    const methods = route.method === 'GET' ? (['GET', 'HEAD'] as const) : ([route.method] as const);
    for (const method of methods) kinds.set(`${method} ${route.path}`, route.kind);
    app.route(({ req, params }) => route.handle({ req, params, deps }), {
      method: [...methods],
      path: route.path,
    });
  }

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
    const kind = (reqCtx.route && kinds.get(reqCtx.route)) ?? 'page';
    const wantsHtml =
      kind === 'page' || isForm(reqCtx.req) || /text\/html/u.test(reqCtx.req.headers.get('accept') ?? '');
    if (wantsHtml) return htmlResponse(view.status, deps.pages.message(titleFor(view.status), view.message));
    return jsonResponse(view.status, {
      error: view.error,
      message: view.message,
      ...(view.issues ? { issues: view.issues } : {}),
    });
  });

  return withLambdaContext(logger, (event, context) => app.resolve(forRouter(event), context ?? NO_CONTEXT));
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
