import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpGateway, splitTarget } from '../../../functions/local/http-gateway.ts';
import { memoryApi } from '../../support/memory-api.ts';

let base: string;
let server: ReturnType<typeof createHttpGateway>;
let api: Awaited<ReturnType<typeof memoryApi>>;
beforeAll(async () => {
  api = await memoryApi();
  server = createHttpGateway(() => api.handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** A raw request: the target is sent exactly as given (fetch would normalize `//`). */
function raw(method: string, target: string, body?: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; body: string; headers: Record<string, unknown> }>(
    (resolve, reject) => {
      const url = new URL(base);
      const req = request({ host: url.hostname, port: url.port, method, path: target, headers }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }));
      });
      req.on('error', reject);
      req.end(body);
    },
  );
}

describe('the local API Gateway', () => {
  it('keeps the path exactly as sent: `//` is a path, never a host', () => {
    expect(splitTarget('//evil.example/subscriptions?x=1')).toEqual({
      path: '//evil.example/subscriptions',
      query: 'x=1',
    });
    expect(splitTarget('//')).toEqual({ path: '//', query: '' });
    expect(splitTarget('http://host.example/confirm?token=a')).toEqual({
      path: '/confirm',
      query: 'token=a',
    });
    expect(splitTarget('/a#frag')).toEqual({ path: '/a', query: '' });
  });

  it('answers `//` and `//host/route` as the unknown paths they are, with no 500', async () => {
    expect((await raw('GET', '//')).status).toBe(404);
    const posted = await raw(
      'POST',
      '//evil.example/subscriptions',
      JSON.stringify({ email: 'a@example.org' }),
      {
        'content-type': 'application/json',
      },
    );
    expect(posted.status).toBe(404);
    expect(api.sender.sent).toHaveLength(0);
  });

  it('answers HEAD wherever GET is, with no body', async () => {
    const head = await raw('HEAD', '/');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect((await raw('HEAD', '/nowhere')).status).toBe(404);
  });

  it('answers a malformed percent-escape in the path with a 400, never a 500', async () => {
    for (const target of ['/editions/%ZZ', '/editions/%E0%A4%A', '/%ZZ?token=a']) {
      const get = await raw('GET', target);
      expect(get.status, target).toBe(400);
      expect(get.body, target).toContain('malformed percent-escape');
      const head = await raw('HEAD', target);
      expect(head.status, target).toBe(400);
      expect(head.body, target).toBe('');
    }
  });

  it('answers a known address asked with another method with a 405 and its Allow', async () => {
    const put = await raw('PUT', '/subscriptions', '{}', { 'content-type': 'application/json' });
    expect(put.status).toBe(405);
    expect(put.headers.allow).toBe('POST');
    expect(JSON.parse(put.body)).toMatchObject({ error: 'method_not_allowed' });
    const home = await raw('DELETE', '/');
    expect(home.status).toBe(405);
    expect(home.headers.allow).toBe('GET, HEAD');
    expect(home.headers['content-type']).toContain('text/html');
    const propfind = await raw('PROPFIND', '/confirm');
    expect(propfind.status).toBe(405);
    expect(propfind.headers.allow).toBe('GET, HEAD, POST');
  });

  it('refuses token key ids that name object members with a 400, on every token route', async () => {
    for (const keyId of ['__proto__', 'constructor', 'toString']) {
      const token = `v1.confirm.AAAA.${keyId}.0.AAAA`;
      for (const [method, path] of [
        ['GET', '/confirm'],
        ['GET', '/unsubscribe'],
        ['POST', '/unsubscribe'],
      ] as const) {
        expect((await raw(method, `${path}?token=${token}`)).status, `${method} ${path} ${keyId}`).toBe(400);
      }
    }
  });

  it('never answers 5xx to malformed requests', async () => {
    const method = fc.constantFrom('GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'PROPFIND');
    const path = fc.oneof(
      fc.constantFrom(
        '/',
        '//',
        '/subscriptions',
        '/confirm',
        '/unsubscribe',
        '/editions/2026-11-26',
        '/editions/x',
        '/editions/%ZZ',
        '/editions/%E0%A4%A',
        '/editions/%',
        '/editions/%20',
      ),
      fc.webPath(),
    );
    const query = fc.oneof(
      fc.constant(''),
      fc.string().map((s) => `?token=${encodeURIComponent(s)}`),
      fc.constantFrom('?token=', '?token=a&token=b', '?%', '?token=%E0%A4%A'),
    );
    const type = fc.constantFrom(
      'application/json',
      'application/x-www-form-urlencoded',
      'text/plain',
      'application/json; charset=utf-16',
      '',
    );
    const body = fc.oneof(
      fc.constant(undefined),
      fc.string(),
      fc.json(),
      fc.constantFrom(
        '{"email":"a@b.c","topics":"x"}',
        'email=a%40b.c&topics=x',
        '[]',
        'null',
        '{"email":{}}',
      ),
    );
    await fc.assert(
      fc.asyncProperty(method, path, query, type, body, async (m, p, q, t, b) => {
        const target = (p.startsWith('/') ? p : `/${p}`) + q;
        const { status } = await raw(
          m,
          target,
          m === 'GET' || m === 'HEAD' ? b : b,
          t ? { 'content-type': t } : {},
        );
        expect(status, `${m} ${target} ${t} ${b}`).toBeLessThan(500);
      }),
      { numRuns: 1000 },
    );
  }, 60_000);
});
