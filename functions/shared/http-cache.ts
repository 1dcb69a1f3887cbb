import { createHash } from 'node:crypto';

/**
 * How long caches may keep each kind of public answer. An edition's page never changes once
 * made: browsers keep it an hour, a CDN a week. The index and the feeds change once a day, when
 * an edition is made: browsers keep them 5 minutes, a CDN 15, serving a stale copy while it
 * fetches a fresh one. A personal feed belongs to one reader: no shared cache may keep it, and
 * its reader revalidates each time (its ETag makes that a 304 when nothing changed).
 */
export const CACHE_POLICY = {
  edition: 'public, max-age=3600, s-maxage=604800',
  daily: 'public, max-age=300, s-maxage=900, stale-while-revalidate=600',
  personal: 'private, no-cache',
  /** A topic's feed cut short on a cold function: kept a minute, then completed. */
  partial: 'public, max-age=60, s-maxage=60',
} as const;

/** A strong validator of a body: its SHA-256, quoted. */
export function strongEtag(body: string): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"`;
}

/**
 * True when `If-None-Match` names this entity: `*`, or a list holding its tag. RFC 9110 compares
 * If-None-Match weakly: `W/"x"` matches `"x"`.
 */
export function matchesEtag(ifNoneMatch: string | null, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  const opaque = etag.replace(/^W\//u, '');
  return ifNoneMatch
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//u, ''))
    .some((tag) => tag === opaque);
}

/**
 * A cacheable answer: the body with its ETag and Cache-Control, or a bodiless 304 when the caller
 * already holds it (GET and HEAD alike).
 */
export function cacheableResponse(
  req: Pick<Request, 'headers'>,
  body: string,
  headers: { contentType: string; cacheControl: string; contentSecurityPolicy?: string; etag?: string },
): Response {
  const etag = headers.etag ?? strongEtag(body);
  const common: Record<string, string> = {
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': headers.cacheControl,
    etag,
    vary: 'Accept-Encoding',
  };
  if (headers.contentSecurityPolicy) {
    common['content-security-policy'] = headers.contentSecurityPolicy;
    common['x-frame-options'] = 'DENY';
  }
  if (matchesEtag(req.headers.get('if-none-match'), etag))
    return new Response(null, { status: 304, headers: common });
  return new Response(body, { status: 200, headers: { ...common, 'content-type': headers.contentType } });
}
