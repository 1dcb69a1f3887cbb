import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HtmlDigestRenderer } from '../../../functions/adapters/html-digest-renderer.ts';
import { HtmlPageRenderer } from '../../../functions/adapters/html-page-renderer.ts';
import { compileTemplates } from '../../../functions/adapters/mjml-compiler.ts';
import { LinkBuilder } from '../../../functions/core/links.ts';
import { subscriberIdFor } from '../../../functions/core/tokens.ts';
import { createApiHandler } from '../../../functions/triggers/api/api.ts';
import { apiEvent } from '../../support/api-events.ts';
import {
  FixedClock,
  MemoryEditions,
  MemorySubscribers,
  RecordingSender,
  testKeys,
  testTokenKeys,
} from '../../support/memory-ports.ts';

let templates: Awaited<ReturnType<typeof compileTemplates>>;
beforeAll(async () => {
  templates = await compileTemplates();
});

let handler: ReturnType<typeof createApiHandler>;
let sender: RecordingSender;
let subscribers: MemorySubscribers;
const base = 'https://papers.example.org/';
beforeEach(() => {
  const clock = new FixedClock(new Date('2026-11-27T06:00:00Z'));
  sender = new RecordingSender();
  subscribers = new MemorySubscribers(clock);
  handler = createApiHandler({
    subscribers,
    editions: new MemoryEditions(),
    sender,
    renderer: new HtmlDigestRenderer(templates),
    pages: new HtmlPageRenderer(templates.pages),
    links: new LinkBuilder(base, testTokenKeys),
    keys: testTokenKeys,
    clock,
  });
});

const event = apiEvent;

describe('api handler', () => {
  it('serves the subscribe form, which posts without JavaScript', async () => {
    const response = await handler(event('GET', '/'));
    expect(response.statusCode).toBe(200);
    expect(response.headers?.['content-type']).toContain('text/html');
    expect(response.body).toContain(`<form method="post" action="${base}subscriptions">`);
  });

  it('answers 202 with the same body for a new and for a known address', async () => {
    const json = { type: 'application/json', body: JSON.stringify({ email: 'ana@example.org' }) };
    const first = await handler(event('POST', '/subscriptions', json));
    const second = await handler(event('POST', '/subscriptions', json));
    expect(first.statusCode).toBe(202);
    expect(second).toEqual(first);
  });

  it('reads form posts, with each list as one comma-separated field', async () => {
    const body = new URLSearchParams({
      email: 'ana@example.org',
      topics: 'retrieval, speech ,',
      authors: 'Chen Xu',
      exclude: '',
      frequency: 'weekly',
    }).toString();
    const response = await handler(
      event('POST', '/subscriptions', { type: 'application/x-www-form-urlencoded', body }),
    );
    expect(response.statusCode).toBe(202);
    expect(response.body).toContain('Check your inbox');
    expect(subscribers.items.get(subscriberIdFor('ana@example.org', testKeys))).toMatchObject({
      topics: ['retrieval', 'speech'],
      authors: ['Chen Xu'],
      exclude: [],
      frequency: 'weekly',
    });
  });

  it('says what was wrong and where, with no stack trace', async () => {
    const response = await handler(
      event('POST', '/subscriptions', {
        type: 'application/json',
        body: JSON.stringify({ email: 'nope', digestSize: 1 }),
      }),
    );
    expect(response.statusCode).toBe(400);
    const body = JSON.parse(response.body ?? '{}');
    expect(body.error).toBe('invalid_request');
    expect(body.issues.map((i: { path: string }) => i.path)).toEqual(['body.email', 'body.digestSize']);
    expect(response.body).not.toMatch(/at .*\.ts/u);
  });

  it('refuses a body that is not JSON or a form', async () => {
    const response = await handler(event('POST', '/subscriptions', { type: 'text/plain', body: 'hello' }));
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body ?? '{}').message).toMatch(/application\/json/u);
  });

  it('treats a filled honeypot as a bot: same answer, nothing stored, nothing sent', async () => {
    const body = JSON.stringify({ email: 'bot@example.org', website: 'http://spam' });
    const response = await handler(event('POST', '/subscriptions', { type: 'application/json', body }));
    expect(response.statusCode).toBe(202);
    expect(subscribers.items.size).toBe(0);
    expect(sender.sent).toHaveLength(0);
  });

  it('shows an unsubscribe button on GET and changes nothing', async () => {
    const token =
      new URL(await new LinkBuilder(base, testTokenKeys).unsubscribe('sub1')).searchParams.get('token') ?? '';
    const response = await handler(event('GET', '/unsubscribe', { query: { token } }));
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('<form method="post"');
    expect(response.body).toContain(`unsubscribe?token=${encodeURIComponent(token)}`);
  });

  it('answers a bad link with a 400 page, and an unknown path with 404', async () => {
    const bad = await handler(event('GET', '/confirm', { query: { token: 'v1.confirm.x.k1.0.forged' } }));
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('This link is invalid or has expired.');
    expect((await handler(event('GET', '/nowhere'))).statusCode).toBe(404);
    expect((await handler(event('GET', '/editions/not-a-date'))).statusCode).toBe(400);
    expect((await handler(event('GET', '/editions/2026-01-01'))).statusCode).toBe(404);
  });

  it('hides internal failures behind an opaque 500', async () => {
    subscribers.create = async () => {
      throw new Error('connection reset by peer at 10.0.0.1');
    };
    const response = await handler(
      event('POST', '/subscriptions', {
        type: 'application/json',
        body: JSON.stringify({ email: 'a@example.org' }),
      }),
    );
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('10.0.0.1');
  });
});
