import { HttpRequestError } from '../core/errors.ts';
import type { HttpResponse, HttpTransport } from '../core/ports.ts';

/**
 * One GET with Node's fetch: the time limit covers the headers and the whole body (an
 * AbortSignal), and the body is read as it streams and dropped past `maxBytes` (counted once
 * decompressed, so a small gzip that expands is stopped too). Redirects are followed.
 */
export class FetchHttpTransport implements HttpTransport {
  async get(
    url: string,
    request: { headers: Record<string, string>; timeoutMs: number; maxBytes: number },
  ): Promise<HttpResponse> {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, request.timeoutMs);
    try {
      const response = await fetch(url, {
        headers: request.headers,
        signal: controller.signal,
        redirect: 'follow',
      });
      const headers: Record<string, string> = {};
      response.headers.forEach((value, name) => {
        headers[name.toLowerCase()] = value;
      });
      const chunks: Uint8Array[] = [];
      let size = 0;
      if (response.body) {
        const reader = response.body.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          size += value.byteLength;
          if (size > request.maxBytes) {
            await reader.cancel().catch(() => {});
            throw new HttpRequestError(
              'too-large',
              `the answer is larger than ${request.maxBytes.toLocaleString('en-US')} bytes (maxResponseBytes); reading stopped there`,
            );
          }
          chunks.push(value);
        }
      }
      return { status: response.status, headers, body: Buffer.concat(chunks) };
    } catch (error) {
      if (error instanceof HttpRequestError) throw error;
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
    }
  }
}

/** fetch says only "fetch failed": the reason (ECONNREFUSED, a reset socket, a bad certificate) is its cause. */
function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return `${cause.code}${cause.message ? ` (${cause.message})` : ''}`;
  return cause?.message ?? (error as Error).message ?? String(error);
}
