import {
  ConcurrentUpdateError,
  InvalidTokenError,
  MethodNotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  RateLimitedError,
  ValidationError,
} from '../core/errors.ts';

/** Headers on every response: no sniffing, no referrer (links carry tokens), no caching of tokens. */
const COMMON_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

/**
 * For HTML the page renderer did not make (an edition's web view is email HTML, styled inline):
 * no script at all, nothing loaded from anywhere but https images, no framing.
 */
export const EMAIL_HTML_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** An HTML page with its Content-Security-Policy (the page renderer's, by hash, for its pages). */
export function htmlResponse(status: number, body: string, contentSecurityPolicy = EMAIL_HTML_CSP): Response {
  return new Response(body, {
    status,
    headers: {
      ...COMMON_HEADERS,
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': contentSecurityPolicy,
      'x-frame-options': 'DENY',
    },
  });
}

export function jsonResponse(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { ...COMMON_HEADERS, 'content-type': 'application/json; charset=utf-8' },
  });
}

/** What each error becomes on the wire: 4xx carry their public message, anything else is an opaque 500. */
export interface ErrorView {
  status: number;
  error: string;
  /** Safe to show the caller. */
  message: string;
  issues?: readonly { path: string; message: string }[];
  /** Seconds to wait before trying again (429). */
  retryAfter?: number;
  /** The methods the address answers, for the `Allow` header (405). */
  allow?: readonly string[];
}

/** The one error table of the API. `routeMissing` marks the router's own "no such route". */
export function errorView(error: unknown, routeMissing = false): ErrorView {
  if (error instanceof ValidationError) {
    return { status: 400, error: 'invalid_request', message: error.message, issues: error.issues };
  }
  if (error instanceof InvalidTokenError) {
    return { status: 400, error: 'invalid_link', message: 'This link is invalid or has expired.' };
  }
  if (error instanceof NotFoundError) return { status: 404, error: 'not_found', message: error.message };
  if (routeMissing) return { status: 404, error: 'not_found', message: 'There is no page at this address.' };
  if (error instanceof MethodNotAllowedError) {
    return {
      status: 405,
      error: 'method_not_allowed',
      message: `This address does not accept ${error.method} requests; it accepts ${error.allowed.join(', ')}.`,
      allow: error.allowed,
    };
  }
  if (error instanceof RateLimitedError) {
    return {
      status: 429,
      error: 'too_many_requests',
      message: `Too many requests. Please try again in ${describeWait(error.retryAfterSeconds)}.`,
      retryAfter: error.retryAfterSeconds,
    };
  }
  if (error instanceof PayloadTooLargeError) {
    return { status: 413, error: 'payload_too_large', message: error.message };
  }
  if (error instanceof ConcurrentUpdateError) {
    return { status: 503, error: 'busy', message: 'This changed while we worked on it. Please try again.' };
  }
  return {
    status: 500,
    error: 'internal_error',
    message: 'Something went wrong on our side. Please try again later.',
  };
}

function describeWait(seconds: number): string {
  return seconds < 90 ? `${seconds} seconds` : `${Math.ceil(seconds / 60)} minutes`;
}

export function titleFor(status: number): string {
  if (status === 404) return 'Not found';
  if (status === 429) return 'Slow down';
  if (status < 500) return 'That did not work';
  return 'Something went wrong';
}
