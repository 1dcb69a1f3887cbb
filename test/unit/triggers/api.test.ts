import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { signToken, subscriberIdFor } from '../../../functions/core/tokens.ts';
import { methodsOf, routes } from '../../../functions/triggers/api/routes.ts';
import { apiEvent } from '../../support/api-events.ts';
import { memoryApi } from '../../support/memory-api.ts';
import { testKeys } from '../../support/memory-ports.ts';
import { NOW } from '../../support/papers.ts';

let api: Awaited<ReturnType<typeof memoryApi>>;
const base = 'https://papers.example.org/';
beforeEach(async () => {
  api = await memoryApi();
});

const event = apiEvent;
const json = (body: unknown) => ({ type: 'application/json', body: JSON.stringify(body) });
const form = (fields: Record<string, string> | [string, string][]) => ({
  type: 'application/x-www-form-urlencoded',
  body: new URLSearchParams(fields).toString(),
});
const idOf = (email: string) => subscriberIdFor(email, testKeys);
/** The token of the last email's link to `path`. */
function tokenIn(path: string): string {
  const text = api.sender.sent.at(-1)?.text ?? '';
  const url = text.match(new RegExp(`https://\\S+/${path}\\?token=(\\S+)`, 'u'));
  if (!url?.[1]) throw new Error(`no ${path} link in the last email`);
  return decodeURIComponent(url[1]);
}
/** Signs up and confirms `email`; returns the preferences token. */
async function activeReader(email = 'ana@example.org'): Promise<string> {
  await api.handler(event('POST', '/subscriptions', json({ email })));
  const confirmToken = tokenIn('confirm');
  const confirmed = await api.handler(event('POST', '/confirm', { query: { token: confirmToken } }));
  expect(confirmed.statusCode).toBe(200);
  const link = confirmed.body?.match(/href="[^"]*\/preferences\?token=([^"]+)"/u)?.[1] as string;
  return decodeURIComponent(link.replaceAll('&amp;', '&'));
}

describe('the sign-up form and API', () => {
  it('serves the form, which posts without JavaScript, with this week’s topics to pick', async () => {
    await api.editions.create({
      date: '2026-11-26',
      createdAt: NOW.toISOString(),
      mode: 'daily',
      freshSince: NOW.toISOString(),
      entries: [],
      topics: ['retrieval', 'speech <recognition>'],
    });
    const response = await api.handler(event('GET', '/'));
    expect(response.statusCode).toBe(200);
    expect(response.headers?.['content-type']).toContain('text/html');
    expect(response.body).toContain(`<form method="post" action="${base}subscriptions">`);
    expect(response.body).toContain('<input type="checkbox" name="topics" value="retrieval"');
    expect(response.body).toContain('speech &lt;recognition&gt;');
    expect(response.body).toContain('name="digestSize"');
  });

  it('answers 202 with the same body whatever the address: new, pending, active, unsubscribed, bounced', async () => {
    const answers = [];
    answers.push(await api.handler(event('POST', '/subscriptions', json({ email: 'new@example.org' }))));
    answers.push(await api.handler(event('POST', '/subscriptions', json({ email: 'new@example.org' }))));
    await activeReader('active@example.org');
    answers.push(await api.handler(event('POST', '/subscriptions', json({ email: 'active@example.org' }))));
    const bounced = idOf('bounced@example.org');
    api.subscribers.items.set(bounced, {
      ...(await api.subscribers.get(idOf('active@example.org'))),
      id: bounced,
      email: 'bounced@example.org',
      status: 'bounced',
    } as never);
    answers.push(await api.handler(event('POST', '/subscriptions', json({ email: 'bounced@example.org' }))));
    for (const answer of answers) {
      expect(answer.statusCode).toBe(202);
      expect(answer.body).toBe(answers[0]?.body);
    }
  });

  it('reads form posts: lists as comma-separated fields, picked topics as repeated fields, numbers as text', async () => {
    const body: [string, string][] = [
      ['email', 'ana@example.org'],
      ['topics', 'retrieval, speech ,'],
      ['topics', 'robotics'],
      ['authors', 'Chen Xu'],
      ['exclude', ''],
      ['frequency', 'weekly'],
      ['digestSize', '12'],
    ];
    const response = await api.handler(event('POST', '/subscriptions', form(body)));
    expect(response.statusCode).toBe(202);
    expect(response.body).toContain('Check your inbox');
    expect(api.subscribers.items.get(idOf('ana@example.org'))).toMatchObject({
      topics: ['retrieval', 'speech', 'robotics'],
      authors: ['Chen Xu'],
      exclude: [],
      frequency: 'weekly',
      digestSize: 12,
    });
  });

  it('says what was wrong and where, with no stack trace', async () => {
    const response = await api.handler(
      event('POST', '/subscriptions', json({ email: 'nope', digestSize: 1 })),
    );
    expect(response.statusCode).toBe(400);
    const body = JSON.parse(response.body ?? '{}');
    expect(body.error).toBe('invalid_request');
    expect(body.issues.map((i: { path: string }) => i.path).sort()).toEqual([
      'body.digestSize',
      'body.email',
    ]);
    expect(response.body).not.toMatch(/at .*\.ts/u);
  });

  it('refuses an address with a line break: nothing typed can reach an email header', async () => {
    for (const email of [
      'a@example.org\r\nBcc: victim@example.org',
      'a@example.org\nX: y',
      'a@exa\rmple.org',
    ]) {
      const response = await api.handler(event('POST', '/subscriptions', json({ email })));
      expect(response.statusCode, JSON.stringify(email)).toBe(400);
    }
    expect(api.sender.sent).toHaveLength(0);
  });

  it('reads base64 bodies as API Gateway sends them, and refuses other content types', async () => {
    const encoded = await api.handler(
      event('POST', '/subscriptions', { ...json({ email: 'b64@example.org' }), base64: true }),
    );
    expect(encoded.statusCode).toBe(202);
    const response = await api.handler(
      event('POST', '/subscriptions', { type: 'text/plain', body: 'hello' }),
    );
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body ?? '{}').message).toMatch(/application\/json/u);
  });

  it('treats a filled honeypot as a bot: same answer, nothing stored, nothing sent', async () => {
    const response = await api.handler(
      event('POST', '/subscriptions', json({ email: 'bot@example.org', website: 'http://spam' })),
    );
    expect(response.statusCode).toBe(202);
    expect(api.subscribers.items.size).toBe(0);
    expect(api.sender.sent).toHaveLength(0);
  });

  it('limits sign-ups per address and requests per IP with a 429 and Retry-After', async () => {
    const statuses = [];
    for (let i = 0; i < 7; i += 1) {
      statuses.push(
        (await api.handler(event('POST', '/subscriptions', json({ email: 'flood@example.org' })))).statusCode,
      );
    }
    expect(statuses).toEqual([202, 202, 202, 202, 202, 429, 429]);
    const refused = await api.handler(event('POST', '/subscriptions', json({ email: 'flood@example.org' })));
    expect(refused.headers?.['retry-after']).toBe('60');
    expect(JSON.parse(refused.body ?? '{}').error).toBe('too_many_requests');
    // Only one confirmation went out for all of them.
    expect(api.sender.sent.filter((m) => m.to === 'flood@example.org')).toHaveLength(1);

    const byIp = await memoryApi({ limits: { perIpPerMinute: 3 } });
    const codes = [];
    for (let i = 0; i < 4; i += 1) {
      codes.push(
        (await byIp.handler(event('POST', '/subscriptions', json({ email: `p${i}@example.org` }))))
          .statusCode,
      );
    }
    expect(codes).toEqual([202, 202, 202, 429]);
  });
});

describe('confirming', () => {
  it('shows a page on GET that confirms by a script-driven POST, with a button for no script, and changes nothing', async () => {
    await api.handler(event('POST', '/subscriptions', json({ email: 'ana@example.org' })));
    const token = tokenIn('confirm');
    const page = await api.handler(event('GET', '/confirm', { query: { token } }));
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<form id="confirm-form" method="post"');
    expect(page.body).toContain(`action="${base}confirm?token=${encodeURIComponent(token)}"`);
    expect(page.body).toContain("document.getElementById('confirm-form').submit()");
    // The page's script is allowed by its hash, and nothing else is.
    const csp = String(page.headers?.['content-security-policy']);
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'/u);
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(api.subscribers.items.get(idOf('ana@example.org'))?.status).toBe('pending');
    const posted = await api.handler(event('POST', '/confirm', { query: { token } }));
    expect(posted.statusCode).toBe(200);
    expect(posted.body).toContain('/preferences?token=');
    expect(api.subscribers.items.get(idOf('ana@example.org'))?.status).toBe('active');
  });

  it('refuses a link sent for an earlier sign-up', async () => {
    const prefs = await activeReader();
    const first = tokenIn('confirm');
    const unsubscribeToken = decodeURIComponent(
      (await api.handler(event('GET', '/preferences', { query: { token: prefs } }))).body
        ?.match(/unsubscribe\?token=([^"]+)"/u)?.[1]
        ?.replaceAll('&amp;', '&') as string,
    );
    await api.handler(event('POST', '/unsubscribe', { query: { token: unsubscribeToken } }));
    await api.handler(event('POST', '/subscriptions', json({ email: 'ana@example.org' })));
    const second = tokenIn('confirm');
    expect(second).not.toBe(first);
    const old = await api.handler(event('POST', '/confirm', { query: { token: first } }));
    expect(old.statusCode).toBe(400);
    expect(api.subscribers.items.get(idOf('ana@example.org'))?.status).toBe('pending');
    expect((await api.handler(event('POST', '/confirm', { query: { token: second } }))).statusCode).toBe(200);
  });
});

describe('the preference centre', () => {
  it('shows the reader’s preferences and saves a form post or JSON', async () => {
    const token = await activeReader();
    const page = await api.handler(event('GET', '/preferences', { query: { token } }));
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('You get up to 10 papers every day.');
    const saved = await api.handler(
      event('POST', '/preferences', {
        query: { token },
        ...form({
          topics: 'speech, robotics',
          frequency: 'weekly',
          digestSize: '5',
          authors: '',
          exclude: 'survey',
        }),
      }),
    );
    expect(saved.statusCode).toBe(200);
    expect(saved.body).toContain('Saved. You get up to 5 papers once a week.');
    expect(saved.body).toContain('value="speech, robotics"');
    const viaJson = await api.handler(
      event('POST', '/preferences', { query: { token }, ...json({ digestSize: 7 }) }),
    );
    expect(JSON.parse(viaJson.body ?? '{}')).toMatchObject({
      status: 'active',
      preferences: {
        topics: ['speech', 'robotics'],
        digestSize: 7,
        frequency: 'weekly',
        exclude: ['survey'],
      },
    });
  });

  it('pauses for some weeks and resumes', async () => {
    const token = await activeReader();
    const paused = await api.handler(
      event('POST', '/preferences', { query: { token }, ...form({ pauseWeeks: '2' }) }),
    );
    expect(paused.body).toContain('Paused until 2026-12-11');
    expect(paused.body).toContain('Resume now');
    const resumed = await api.handler(
      event('POST', '/preferences', { query: { token }, ...form({ resume: 'true' }) }),
    );
    expect(resumed.body).not.toContain('Paused until');
    expect(api.subscribers.items.get(idOf('ana@example.org'))).not.toHaveProperty('pausedUntil');
  });

  it('offers a fresh link for an expired one, and sends it', async () => {
    const token = await activeReader();
    api.clock.advance(91 * 86_400_000);
    const page = await api.handler(event('GET', '/preferences', { query: { token } }));
    expect(page.statusCode).toBe(410);
    expect(page.body).toContain('Email me a fresh link');
    const before = api.sender.sent.length;
    const sent = await api.handler(event('POST', '/preferences/link', { query: { token } }));
    expect(sent.statusCode).toBe(200);
    expect(api.sender.sent).toHaveLength(before + 1);
    const fresh = tokenIn('preferences');
    expect((await api.handler(event('GET', '/preferences', { query: { token: fresh } }))).statusCode).toBe(
      200,
    );
  });
});

describe('unsubscribing and coming back', () => {
  it('shows a button on GET and changes nothing; the one-click POST unsubscribes with a 200 and offers to come back', async () => {
    await activeReader();
    const token = signToken(
      { purpose: 'unsubscribe', subscriberId: idOf('ana@example.org'), expiresAt: 0 },
      testKeys,
    );
    const page = await api.handler(event('GET', '/unsubscribe', { query: { token } }));
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<form method="post"');
    expect(api.subscribers.items.get(idOf('ana@example.org'))?.status).toBe('active');
    const done = await api.handler(event('POST', '/unsubscribe', { query: { token } }));
    expect(done.statusCode).toBe(200);
    expect(done.headers?.location).toBeUndefined();
    expect(api.subscribers.items.get(idOf('ana@example.org'))?.status).toBe('unsubscribed');
    expect(done.body).toContain(`action="${base}resubscribe?token=`);
    const before = api.sender.sent.length;
    expect((await api.handler(event('POST', '/resubscribe', { query: { token } }))).statusCode).toBe(200);
    expect(api.sender.sent).toHaveLength(before + 1);
    expect(api.subscribers.items.get(idOf('ana@example.org'))?.status).toBe('pending');
  });
});

describe('the reader’s data', () => {
  it('exports everything stored about the reader on GET, as a download', async () => {
    const token = await activeReader();
    await api.ledger.claim(idOf('ana@example.org'), '2026-11-26', ['2611.00001']);
    await api.ledger.complete(idOf('ana@example.org'), '2026-11-26', 'm-1');
    const response = await api.handler(event('GET', '/privacy/export', { query: { token } }));
    expect(response.statusCode).toBe(200);
    expect(response.headers?.['content-disposition']).toContain('attachment');
    const data = JSON.parse(response.body ?? '{}');
    expect(data.subscriber).toMatchObject({ email: 'ana@example.org', status: 'active' });
    expect(data.papersReceived).toEqual([{ paperId: '2611.00001', sentAt: expect.any(String) }]);
  });

  it('erases behind a confirmation step; every link to the reader dies; a new sign-up is possible', async () => {
    const token = await activeReader();
    const step = await api.handler(event('GET', '/privacy/erase', { query: { token } }));
    expect(step.statusCode).toBe(200);
    expect(step.body).toContain('Erase my data');
    expect(api.subscribers.items.get(idOf('ana@example.org'))?.status).toBe('active');
    const erased = await api.handler(event('POST', '/privacy/erase', { query: { token } }));
    expect(erased.statusCode).toBe(200);
    const record = api.subscribers.items.get(idOf('ana@example.org'));
    expect(record).toEqual({
      id: idOf('ana@example.org'),
      status: 'erased',
      version: expect.any(Number),
      erasedAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(JSON.stringify(record)).not.toContain('ana@example.org');
    for (const path of ['/preferences', '/privacy/export', '/privacy/erase']) {
      expect(
        (await api.handler(event('GET', path, { query: { token } }))).statusCode,
        path,
      ).toBeGreaterThanOrEqual(400);
    }
    await api.handler(event('POST', '/subscriptions', json({ email: 'ana@example.org' })));
    expect(api.subscribers.items.get(idOf('ana@example.org'))?.status).toBe('pending');
    expect(api.sender.sent.at(-1)?.subject).toBe('Confirm your Paperboy subscription');
  });
});

describe('link scanners and hostile input', () => {
  it('change nothing by fetching every GET route, with any token', async () => {
    const prefs = await activeReader();
    const snapshot = JSON.stringify([...api.subscribers.items]);
    const sent = api.sender.sent.length;
    const unsubscribeToken = signToken(
      { purpose: 'unsubscribe', subscriberId: idOf('ana@example.org'), expiresAt: 0 },
      testKeys,
    );
    for (const path of [
      '/',
      '/confirm',
      '/preferences',
      '/unsubscribe',
      '/privacy/export',
      '/privacy/erase',
      '/editions/2026-11-26',
    ]) {
      for (const token of [prefs, unsubscribeToken, 'garbage']) {
        for (const method of ['GET', 'HEAD']) await api.handler(event(method, path, { query: { token } }));
      }
    }
    expect(JSON.stringify([...api.subscribers.items])).toBe(snapshot);
    expect(api.sender.sent).toHaveLength(sent);
  });

  it('keeps hostile input inert in pages', async () => {
    const token = await activeReader();
    await api.handler(
      event('POST', '/preferences', {
        query: { token },
        ...json({ topics: ['<script>alert(1)</script>', '"onmouseover="x'] }),
      }),
    );
    const page = await api.handler(event('GET', '/preferences', { query: { token } }));
    expect(page.body).not.toContain('<script>alert(1)');
    expect(page.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page.body).toContain('&quot;onmouseover=&quot;x');
  });

  it('answers a bad link with a 400 page, an unknown path with 404, HEAD like GET without a body', async () => {
    const bad = await api.handler(event('GET', '/confirm', { query: { token: 'v1.confirm.x.k1.0.forged' } }));
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('This link is invalid or has expired.');
    expect((await api.handler(event('GET', '/nowhere'))).statusCode).toBe(404);
    expect((await api.handler(event('GET', '/editions/not-a-date'))).statusCode).toBe(400);
    expect((await api.handler(event('GET', '/editions/2026-01-01'))).statusCode).toBe(404);
    const head = await api.handler(event('HEAD', '/'));
    expect(head.statusCode).toBe(200);
    expect(head.body).toBe('');
  });

  it('puts security headers on every answer', async () => {
    for (const response of [
      await api.handler(event('GET', '/')),
      await api.handler(event('GET', '/nowhere')),
      await api.handler(event('POST', '/subscriptions', json({ email: 'x' }))),
    ]) {
      expect(response.headers).toMatchObject({
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'cache-control': 'no-store',
      });
    }
  });

  it('hides internal failures behind an opaque 500', async () => {
    api.subscribers.get = async () => {
      throw new Error('connection reset by peer at 10.0.0.1');
    };
    const token = signToken({ purpose: 'unsubscribe', subscriberId: 'sub1', expiresAt: 0 }, testKeys);
    const response = await api.handler(event('POST', '/unsubscribe', { query: { token } }));
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('10.0.0.1');
    expect(response.body).toContain('Something went wrong on our side');
  });

  it('answers 1,000 generated malformed requests with no 5xx', async () => {
    const token = await activeReader();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'HEAD', 'PUT', 'DELETE'),
        fc.constantFrom(
          '/',
          '/subscriptions',
          '/confirm',
          '/preferences',
          '/preferences/link',
          '/unsubscribe',
          '/resubscribe',
          '/privacy/export',
          '/privacy/erase',
          '/editions/2026-11-26',
        ),
        fc.oneof(
          fc.constant(token),
          fc.string(),
          fc.constant(`${token}x`),
          fc.constant('v2.preferences.a.b.k1.0.c'),
        ),
        fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'text/plain'),
        fc.oneof(
          fc.json(),
          fc.string(),
          fc.constantFrom('digestSize=abc', 'pauseWeeks=99', 'topics=%ZZ', 'email=a%40b.c&digestSize=1e9'),
        ),
        async (method, path, t, type, body) => {
          const response = await api.handler(event(method, path, { query: { token: t }, type, body }));
          expect(response.statusCode, `${method} ${path} ${type} ${body}`).toBeLessThan(500);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('paths and methods the table does not answer', () => {
  it('refuses a path with a malformed percent-escape with a 400 that says so, on GET and HEAD, never a 500', async () => {
    for (const path of ['/editions/%ZZ', '/editions/%E0%A4%A', '/editions/%', '/%ZZ', '/confirm/%E0']) {
      const get = await api.handler(event('GET', path));
      expect(get.statusCode, path).toBe(400);
      expect(get.headers?.['content-type'], path).toContain('text/html');
      expect(get.body, path).toContain('malformed percent-escape');
      const head = await api.handler(event('HEAD', path));
      expect(head.statusCode, path).toBe(400);
      expect(head.body, path).toBe('');
    }
    // A parameter that decodes to nothing is bad input too, not a failure of ours.
    expect((await api.handler(event('GET', '/editions/%20'))).statusCode).toBe(400);
    // HEAD has no body, whatever raised the error.
    const refused = await api.handler(event('HEAD', '/confirm'));
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toBe('');
  });

  it('answers a malformed path as it answers any bad input to its route: the same page, its own reason', async () => {
    const malformed = await api.handler(event('GET', '/editions/%E0%A4%A'));
    const wrongDate = await api.handler(event('GET', '/editions/not-a-date'));
    expect(malformed.statusCode).toBe(wrongDate.statusCode);
    expect(malformed.headers).toEqual(wrongDate.headers);
    const title = (body = '') => body.match(/<h1>([^<]*)<\/h1>/u)?.[1];
    expect(title(malformed.body)).toBe(title(wrongDate.body));
    expect(malformed.body).toContain('path: has a malformed percent-escape');
  });

  it('answers a known address asked with another method with a 405 and the Allow of the route table', async () => {
    const put = await api.handler(event('PUT', '/subscriptions', json({ email: 'ana@example.org' })));
    expect(put.statusCode).toBe(405);
    expect(put.headers?.allow).toBe('POST');
    expect(put.headers?.['content-type']).toContain('application/json');
    expect(JSON.parse(put.body ?? '{}')).toMatchObject({ error: 'method_not_allowed' });
    expect(api.sender.sent).toHaveLength(0);
    for (const method of ['DELETE', 'POST']) {
      const home = await api.handler(event(method, '/'));
      expect(home.statusCode, method).toBe(405);
      expect(home.headers?.allow, method).toBe('GET, HEAD');
      expect(home.headers?.['content-type'], method).toContain('text/html');
      expect(home.body, method).toContain('does not accept');
    }
    expect((await api.handler(event('PATCH', '/confirm/'))).headers?.allow).toBe('GET, HEAD, POST');
    // Even a method the router does not know, with the headers of every answer.
    const propfind = await api.handler(event('PROPFIND', '/subscriptions'));
    expect(propfind.statusCode).toBe(405);
    expect(propfind.headers).toMatchObject({ allow: 'POST', 'x-content-type-options': 'nosniff' });
    expect(JSON.parse(propfind.body ?? '{}')).toMatchObject({ error: 'method_not_allowed' });
    // An unknown address is still a 404.
    expect((await api.handler(event('PUT', '/nowhere'))).statusCode).toBe(404);
  });

  it('lists in Allow exactly the methods the table has for every address, in the format its routes speak', async () => {
    const byPath = new Map<string, typeof routes>();
    for (const route of routes) byPath.set(route.path, [...(byPath.get(route.path) ?? []), route]);
    for (const [pattern, here] of byPath) {
      const path = pattern.replace(':date', '2026-11-26');
      const allowed = here.flatMap(methodsOf);
      for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'PROPFIND']) {
        if (allowed.includes(method as never)) continue;
        const response = await api.handler(event(method, path));
        expect(response.statusCode, `${method} ${path}`).toBe(405);
        expect(String(response.headers?.allow).split(', ').sort(), `${method} ${path}`).toEqual(
          [...allowed].sort(),
        );
        const json = here.every((route) => route.kind === 'api');
        expect(response.headers?.['content-type'], `${method} ${path}`).toContain(
          json ? 'application/json' : 'text/html',
        );
      }
    }
  });

  it('never answers 5xx to percent-garbage in any path of the table', async () => {
    const garbage = fc
      .array(fc.oneof(fc.constantFrom('%', '%Z', '%ZZ', '%E0', '%E0%A4', '%C3', '%20', '%2F'), fc.string()), {
        minLength: 1,
        maxLength: 4,
      })
      .map((parts) => parts.join('').replaceAll('/', '').replaceAll('?', '').replaceAll('#', ''));
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routes),
        fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE'),
        garbage,
        async (route, method, junk) => {
          const path = route.path.includes(':') ? route.path.replace(':date', junk) : `${route.path}/${junk}`;
          const response = await api.handler(event(method, path));
          expect(response.statusCode, `${method} ${path}`).toBeLessThan(500);
        },
      ),
      { numRuns: 500 },
    );
  });
});
