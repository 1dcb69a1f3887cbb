import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FetchHttpTransport } from '../../../functions/adapters/fetch-http-transport.ts';
import { HttpRequestError } from '../../../functions/core/errors.ts';

let server: Server;
let base: string;
const seenHeaders: Record<string, string | string[] | undefined>[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    seenHeaders.push(request.headers);
    if (request.url === '/big') {
      response.writeHead(200, { 'content-type': 'text/plain' });
      // 64 KB in 16 chunks: the reader must stop past the limit, not read it all first.
      for (let i = 0; i < 16; i += 1) response.write('x'.repeat(4096));
      response.end();
    } else if (request.url === '/bomb') {
      // 2 KB on the wire, 2 MB once decompressed.
      response.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      response.end(gzipSync(Buffer.alloc(2 * 1024 * 1024, 0x20)));
    } else if (request.url === '/slow-body') {
      response.writeHead(200, { 'content-type': 'text/plain', ETag: '"v1"' });
      response.write('part');
      // …and never ends.
    } else if (request.url === '/redirect') {
      response.writeHead(302, { location: '/gzip' });
      response.end('moved');
    } else if (request.url === '/corrupt-gzip') {
      // Says gzip, is not.
      response.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      response.end('[1,2,3] not compressed at all');
    } else if (request.url === '/gzip') {
      response.writeHead(200, {
        'content-type': 'application/json',
        'content-encoding': 'gzip',
        ETag: '"v2"',
      });
      response.end(gzipSync('[1,2,3]'));
    } else {
      response.writeHead(304, { ETag: '"v1"' });
      response.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const transport = new FetchHttpTransport();
const get = (path: string, limits: { timeoutMs?: number; maxBytes?: number } = {}) =>
  transport.get(`${base}${path}`, {
    headers: { 'user-agent': 'Paperboy/test', 'if-none-match': '"v1"' },
    timeoutMs: limits.timeoutMs ?? 2000,
    maxBytes: limits.maxBytes ?? 1024 * 1024,
  });

async function failure(promise: Promise<unknown>): Promise<HttpRequestError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof HttpRequestError) return error;
    throw error;
  }
  throw new Error('expected an HttpRequestError');
}

describe('FetchHttpTransport', () => {
  it('sends the headers, and reads the status, the headers (lower case) and a gzip body decompressed', async () => {
    const notModified = await get('/same');
    expect(notModified).toMatchObject({ status: 304, headers: { etag: '"v1"' } });
    expect(notModified.body.byteLength).toBe(0);
    expect(seenHeaders.at(-1)).toMatchObject({ 'user-agent': 'Paperboy/test', 'if-none-match': '"v1"' });
    const zipped = await get('/gzip');
    expect(new TextDecoder().decode(zipped.body)).toBe('[1,2,3]');
    expect(zipped.headers.etag).toBe('"v2"');
  });

  it('stops reading past maxBytes, counted once decompressed', async () => {
    const big = await failure(get('/big', { maxBytes: 10_000 }));
    expect(big.kind).toBe('too-large');
    expect(big.message).toMatch(/larger than 10,000 bytes \(maxResponseBytes\)/u);
    const bomb = await failure(get('/bomb', { maxBytes: 100_000 }));
    expect(bomb.kind).toBe('too-large');
    // Within the limit, the same body is read whole.
    expect((await get('/big', { maxBytes: 65_536 })).body.byteLength).toBe(65_536);
  });

  it('gives up on a body that does not end within the time limit', async () => {
    const started = Date.now();
    const slow = await failure(get('/slow-body', { timeoutMs: 200 }));
    expect(slow.kind).toBe('timeout');
    expect(slow.message).toBe('no complete answer within 200 ms (requestTimeoutMs)');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('does not follow a redirect: the 3xx comes back with its Location, for the caller to judge', async () => {
    const before = seenHeaders.length;
    const moved = await get('/redirect');
    expect(moved).toMatchObject({ status: 302, headers: { location: '/gzip' } });
    // Only the redirect itself was asked for.
    expect(seenHeaders.length - before).toBe(1);
  });

  it('calls a body that cannot be decompressed a bad body, not a network error', async () => {
    const corrupt = await failure(get('/corrupt-gzip'));
    expect(corrupt.kind).toBe('bad-body');
    expect(corrupt.message).toMatch(/^the body could not be decompressed .*Z_DATA_ERROR/u);
  });

  it('stops when its signal aborts', async () => {
    const controller = new AbortController();
    const pending = transport.get(`${base}/slow-body`, {
      headers: {},
      timeoutMs: 10_000,
      maxBytes: 1000,
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 50);
    const started = Date.now();
    const cancelled = await failure(pending);
    expect(cancelled.kind).toBe('cancelled');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('says why the network failed', async () => {
    // A port that was free a moment ago: nothing listens there.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    const refused = await failure(
      transport.get(`http://127.0.0.1:${port}/x`, { headers: {}, timeoutMs: 2000, maxBytes: 1000 }),
    );
    expect(refused.kind).toBe('network');
    expect(refused.message).toMatch(/^the request failed: ECONNREFUSED/u);
  });
});
