import { HttpRequestError } from '../core/errors.ts';
import type { HttpResponse, HttpTransport } from '../core/ports.ts';

/**
 * One GET with Node's fetch: the time limit covers the headers and the whole body (an
 * AbortSignal), and the body is read as it streams and dropped past `maxBytes` (counted once
 * decompressed, so a small gzip that expands is stopped too). Redirects are not followed
 * (`redirect: 'manual'`): a 3xx comes back with its Location, and the polite client decides
 * whether to follow it. A body that cannot be decompressed is `bad-body`, not a network error;
 * the caller's signal stops the request (`cancelled`).
 */
export class FetchHttpTransport implements HttpTransport {
  async get(
    url: string,
    request: { headers: Record<string, string>; timeoutMs: number; maxBytes: number; signal?: AbortSignal },
  ): Promise<HttpResponse> {
    if (request.signal?.aborted) throw new HttpRequestError('cancelled', 'cancelled before it started');
    const controller = new AbortController();
    const cancel = () => controller.abort();
    request.signal?.addEventListener('abort', cancel, { once: true });
    let reading = false;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, request.timeoutMs);
    try {
      const response = await fetch(url, {
        headers: request.headers,
        signal: controller.signal,
        redirect: 'manual',
      });
      const headers: Record<string, string> = {};
      response.headers.forEach((value, name) => {
        headers[name.toLowerCase()] = value;
      });
      // One growing buffer rather than a list of chunks joined at the end: the body is held once,
      // not twice, at its largest (see docs/operations.md, collector memory).
      let body = new Uint8Array(0);
      let size = 0;
      if (response.body) {
        reading = true;
        const reader = response.body.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          if (size + value.byteLength > request.maxBytes) {
            await reader.cancel().catch(() => {});
            throw new HttpRequestError(
              'too-large',
              `the answer is larger than ${request.maxBytes.toLocaleString('en-US')} bytes (maxResponseBytes); reading stopped there`,
            );
          }
          if (size + value.byteLength > body.byteLength) {
            const grown = new Uint8Array(
              Math.min(request.maxBytes, Math.max(64 * 1024, body.byteLength * 2, size + value.byteLength)),
            );
            grown.set(body.subarray(0, size));
            body = grown;
          }
          body.set(value, size);
          size += value.byteLength;
        }
      }
      return { status: response.status, headers, body: body.subarray(0, size) };
    } catch (error) {
      if (error instanceof HttpRequestError) throw error;
      if (request.signal?.aborted) {
        throw new HttpRequestError('cancelled', 'cancelled: the collection was stopped', { cause: error });
      }
      if (reading && isDecodingError(error)) {
        throw new HttpRequestError(
          'bad-body',
          `the body could not be decompressed (its Content-Encoding does not match it): ${describeNetworkError(error)}`,
          { cause: error },
        );
      }
      if (timedOut) {
        throw new HttpRequestError(
          'timeout',
          `no complete answer within ${request.timeoutMs} ms (requestTimeoutMs)`,
          {
            cause: error,
          },
        );
      }
      throw new HttpRequestError('network', `the request failed: ${describeNetworkError(error)}`, {
        cause: error,
      });
    } finally {
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', cancel);
    }
  }
}

/** A zlib or brotli error under fetch's own (`Z_DATA_ERROR`, `ERR_…_DECOMPRESSION…`): the body, not the network. */
function isDecodingError(error: unknown): boolean {
  const cause = (error as { cause?: { code?: string } }).cause;
  const code = cause?.code ?? (error as { code?: string }).code ?? '';
  return /^Z_|BROTLI|DECOMPRESS/u.test(code);
}

/** fetch says only "fetch failed": the reason (ECONNREFUSED, a reset socket, a bad certificate) is its cause. */
function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return `${cause.code}${cause.message ? ` (${cause.message})` : ''}`;
  return cause?.message ?? (error as Error).message ?? String(error);
}
