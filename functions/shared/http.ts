import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import { InvalidTokenError, NotFoundError, ValidationError } from '../core/errors.ts';

type Result = Exclude<APIGatewayProxyResultV2, string>;

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

export function html(statusCode: number, body: string): Result {
  return {
    statusCode,
    headers: {
      ...SECURITY_HEADERS,
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy':
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
    },
    body,
  };
}

export function json(statusCode: number, body: unknown): Result {
  return {
    statusCode,
    headers: { ...SECURITY_HEADERS, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  };
}

/** What each error becomes on the wire: 4xx carry their message, anything else is an opaque 500. */
export interface ErrorView {
  status: number;
  error: string;
  message: string;
  issues?: readonly { path: string; message: string }[];
}

export function errorView(error: unknown): ErrorView {
  if (error instanceof ValidationError) {
    return { status: 400, error: 'invalid_request', message: error.message, issues: error.issues };
  }
  if (error instanceof InvalidTokenError) {
    return { status: 400, error: 'invalid_link', message: 'This link is invalid or has expired.' };
  }
  if (error instanceof NotFoundError) return { status: 404, error: 'not_found', message: error.message };
  return {
    status: 500,
    error: 'internal_error',
    message: 'Something went wrong on our side. Please try again later.',
  };
}
