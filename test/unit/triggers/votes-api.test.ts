import { beforeEach, describe, expect, it } from 'vitest';
import { subscriberIdFor } from '../../../functions/core/tokens.ts';
import { routes } from '../../../functions/triggers/api/routes.ts';
import { apiEvent as event } from '../../support/api-events.ts';
import { memoryApi } from '../../support/memory-api.ts';
import { testKeys } from '../../support/memory-ports.ts';
import { paper } from '../../support/papers.ts';

let api: Awaited<ReturnType<typeof memoryApi>>;
beforeEach(async () => {
  api = await memoryApi();
  api.papers.items.set('2611.00001', {
    ...paper('2611.00001', 2),
    title: 'Dense retrieval with learned sparse experts',
    abstract: 'We study dense retrieval and sparse experts for passage ranking.',
  });
  api.papers.items.set('2611.00002', { ...paper('2611.00002', 2), title: 'Legged robot locomotion' });
});

const json = (body: unknown) => ({ type: 'application/json', body: JSON.stringify(body) });
const idOf = (email: string) => subscriberIdFor(email, testKeys);

/** Signs up and confirms; returns the preferences token. */
async function activeReader(email = 'ana@example.org'): Promise<string> {
  await api.handler(event('POST', '/subscriptions', json({ email })));
  const text = api.sender.sent.at(-1)?.text ?? '';
  const token = decodeURIComponent(text.match(/\/confirm\?token=(\S+)/u)?.[1] ?? '');
  const confirmed = await api.handler(event('POST', '/confirm', { query: { token } }));
  const link = confirmed.body?.match(/href="[^"]*\/preferences\?token=([^"]+)"/u)?.[1] as string;
  return decodeURIComponent(link.replaceAll('&amp;', '&'));
}

/** The query of the reader's "more / fewer like this" link for a paper, as a digest carries it. */
async function voteQuery(email: string, paperId: string, vote: 'more' | 'fewer') {
  const subscriber = await api.subscribers.get(idOf(email));
  if (!subscriber || subscriber.status === 'erased') throw new Error('no reader');
  const links = await api.links.feedback(subscriber.id, subscriber.signupId, [paperId], api.clock.now());
  const url = new URL(links.get(paperId)?.[vote] as string);
  return Object.fromEntries(url.searchParams);
}

describe('“more / fewer like this” links', () => {
  it('are rate limited when they change state, and only then', () => {
    const at = (method: string) => routes.find((r) => r.path === '/feedback' && r.method === method);
    expect(at('GET')?.limited).toBe(false);
    expect(at('POST')?.limited).toBe(true);
    expect(routes.find((r) => r.path === '/preferences/learned')?.limited).toBe(true);
  });

  it('GET shows a page whose script posts the vote, with a button; the GET alone stores nothing', async () => {
    await activeReader();
    const query = await voteQuery('ana@example.org', '2611.00001', 'more');
    const page = await api.handler(event('GET', '/feedback', { query }));
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Dense retrieval with learned sparse experts');
    expect(page.body).toContain('<form id="vote-form" method="post"');
    expect(page.body).toContain('Yes, more like this');
    expect(page.body).toContain("document.getElementById('vote-form').submit()");
    // The form posts back to the same token, paper and vote.
    const action = new URL((page.body?.match(/action="([^"]+)"/u)?.[1] ?? '').replaceAll('&amp;', '&'));
    expect(Object.fromEntries(action.searchParams)).toEqual(query);
    // Link scanners fetch it (and HEAD it): nothing changes.
    await api.handler(event('HEAD', '/feedback', { query }));
    expect(api.learned.items.size).toBe(0);
  });

  it('POST records the vote, the same vote again changes nothing, the other vote replaces it', async () => {
    await activeReader();
    const more = await voteQuery('ana@example.org', '2611.00001', 'more');
    const first = await api.handler(event('POST', '/feedback', { query: more }));
    expect(first.statusCode).toBe(200);
    expect(first.body).toContain('more papers like this one');
    const stored = structuredClone(api.learned.items.get(idOf('ana@example.org')));
    expect(stored?.votes).toEqual([expect.objectContaining({ paperId: '2611.00001', vote: 'more' })]);
    expect(stored?.liked.map((t) => t.s)).toContain('retrieval');
    await api.handler(event('POST', '/feedback', { query: more }));
    expect(api.learned.items.get(idOf('ana@example.org'))).toEqual(stored);
    await api.handler(event('POST', '/feedback', { query: { ...more, vote: 'fewer' } }));
    const after = api.learned.items.get(idOf('ana@example.org'));
    expect(after?.votes).toEqual([expect.objectContaining({ paperId: '2611.00001', vote: 'fewer' })]);
    expect(after?.liked).toEqual([]);
  });

  it('refuses a link moved to another paper, a bad vote, and a broken token, storing nothing', async () => {
    await activeReader();
    const query = await voteQuery('ana@example.org', '2611.00001', 'more');
    const moved = await api.handler(event('POST', '/feedback', { query: { ...query, paper: '2611.00002' } }));
    expect(moved.statusCode).toBe(400);
    expect(moved.body).toContain('This link is invalid or has expired.');
    const badVote = await api.handler(event('POST', '/feedback', { query: { ...query, vote: 'maybe' } }));
    expect(badVote.statusCode).toBe(400);
    expect(badVote.body).toContain('query.vote');
    const broken = await api.handler(event('GET', '/feedback', { query: { ...query, token: 'garbage' } }));
    expect(broken.statusCode).toBe(400);
    expect(api.learned.items.size).toBe(0);
  });

  it('an expired link gets the link-expired page, which can email a fresh preferences link', async () => {
    await activeReader();
    const query = await voteQuery('ana@example.org', '2611.00001', 'more');
    api.clock.advance(61 * 86_400_000);
    const page = await api.handler(event('GET', '/feedback', { query }));
    expect(page.statusCode).toBe(410);
    expect(page.body).toContain('links work for 60 days');
    const action = new URL((page.body?.match(/action="([^"]+)"/u)?.[1] ?? '').replaceAll('&amp;', '&'));
    const sent = api.sender.sent.length;
    const fresh = await api.handler(
      event('POST', action.pathname, { query: Object.fromEntries(action.searchParams) }),
    );
    expect(fresh.statusCode).toBe(200);
    expect(api.sender.sent).toHaveLength(sent + 1);
    expect(api.sender.sent.at(-1)?.subject).toBe('Your Paperboy preferences link');
    expect(api.learned.items.size).toBe(0);
  });

  it('a reader who unsubscribed gets a clear page and nothing is stored; an erased one’s link is dead', async () => {
    await activeReader();
    const query = await voteQuery('ana@example.org', '2611.00001', 'more');
    const record = await api.subscribers.get(idOf('ana@example.org'));
    if (!record || record.status === 'erased') throw new Error('the reader was not stored');
    await api.subscribers.replace({ ...record, status: 'unsubscribed', version: 99 }, record?.version ?? 0);
    const page = await api.handler(event('POST', '/feedback', { query }));
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Nothing was recorded');
    expect(api.learned.items.size).toBe(0);
  });

  it('the preferences page shows what was learned and resets it; export has it; erase removes it', async () => {
    const preferences = await activeReader();
    for (const [id, vote] of [
      ['2611.00001', 'more'],
      ['2611.00002', 'fewer'],
    ] as const)
      await api.handler(event('POST', '/feedback', { query: await voteQuery('ana@example.org', id, vote) }));
    const page = await api.handler(event('GET', '/preferences', { query: { token: preferences } }));
    expect(page.body).toContain('You asked for more like 1 paper and fewer like 1 paper.');
    expect(page.body).toMatch(/<strong>More of:<\/strong> [^<]*retrieval/u);
    expect(page.body).toMatch(/<strong>Less of:<\/strong> [^<]*legged/u);
    expect(page.body).toContain('Reset what Paperboy learned');

    const exported = await api.handler(event('GET', '/privacy/export', { query: { token: preferences } }));
    expect(JSON.parse(exported.body ?? '{}').learned.votes).toHaveLength(2);

    const reset = await api.handler(event('POST', '/preferences/learned', { query: { token: preferences } }));
    expect(reset.statusCode).toBe(200);
    expect(reset.body).toContain('What Paperboy learned from your clicks is forgotten.');
    expect(reset.body).toContain('Nothing yet.');
    // Emptied at the next version, not deleted: a vote that read it before cannot write over it.
    expect(api.learned.items.get(idOf('ana@example.org'))).toMatchObject({
      votes: [],
      liked: [],
      version: 3,
    });

    await api.handler(
      event('POST', '/feedback', { query: await voteQuery('ana@example.org', '2611.00001', 'more') }),
    );
    expect(api.learned.items.get(idOf('ana@example.org'))?.votes).toHaveLength(1);
    await api.handler(event('POST', '/privacy/erase', { query: { token: preferences } }));
    expect(api.learned.items.size).toBe(0);
  });

  it('a query parameter given twice is a 400 naming it, on every route, and stores nothing', async () => {
    const preferences = await activeReader();
    const query = await voteQuery('ana@example.org', '2611.00001', 'more');
    const twice = (method: string, path: string, raw: string) => {
      const request = event(method, path, { query: {} });
      request.rawQueryString = raw;
      return api.handler(request);
    };
    const base = new URLSearchParams(query);
    for (const [name, extra] of [
      ['vote', 'vote=fewer'],
      ['paper', 'paper=2611.00002'],
      ['token', `token=${encodeURIComponent(query.token as string)}`],
    ] as const) {
      for (const method of ['GET', 'POST']) {
        const response = await twice(method, '/feedback', `${base.toString()}&${extra}`);
        expect(response.statusCode).toBe(400);
        expect(response.body).toContain(`query.${name}: given more than once`);
      }
    }
    const page = await twice(
      'GET',
      '/preferences',
      `token=${encodeURIComponent(preferences)}&token=${encodeURIComponent(preferences)}`,
    );
    expect(page.statusCode).toBe(400);
    expect(page.body).toContain('query.token: given more than once');
    expect(api.learned.items.size).toBe(0);
  });

  it('an unreadable stored profile: the page says so, and the next vote replaces it (no 503)', async () => {
    const preferences = await activeReader();
    api.learned.unreadable.set(idOf('ana@example.org'), 1);
    const page = await api.handler(event('GET', '/preferences', { query: { token: preferences } }));
    expect(page.body).toContain('Something was stored from your clicks but could not be read');
    const vote = await api.handler(
      event('POST', '/feedback', { query: await voteQuery('ana@example.org', '2611.00001', 'more') }),
    );
    expect(vote.statusCode).toBe(200);
    expect(api.learned.items.get(idOf('ana@example.org'))?.votes).toHaveLength(1);
    const after = await api.handler(event('GET', '/preferences', { query: { token: preferences } }));
    expect(after.body).toContain('You asked for more like 1 paper and fewer like 0 papers.');
  });

  it('an expired link moved to another paper is invalid, not offered a fresh link that would then fail', async () => {
    await activeReader();
    const query = await voteQuery('ana@example.org', '2611.00001', 'more');
    api.clock.advance(61 * 86_400_000);
    for (const method of ['GET', 'POST']) {
      const moved = await api.handler(
        event(method, '/feedback', { query: { ...query, paper: '2611.00002' } }),
      );
      expect(moved.statusCode).toBe(400);
      expect(moved.body).toContain('This link is invalid or has expired.');
      expect(moved.body).not.toContain('preferences/link');
    }
  });
});
