import { beforeEach, describe, expect, it } from 'vitest';
import { HtmlDigestRenderer } from '../../../functions/adapters/html-digest-renderer.ts';
import { compileTemplates } from '../../../functions/adapters/mjml-compiler.ts';
import { buildEditionPage, TOPIC_RULE } from '../../../functions/core/archive.ts';
import type { Edition } from '../../../functions/core/edition.ts';
import type { Paper } from '../../../functions/core/paper.ts';
import { rankTrending } from '../../../functions/core/ranking.ts';
import { defaultSchedulePolicy } from '../../../functions/core/schedule-policy.ts';
import { createSelectorCache } from '../../../functions/core/selection.ts';
import { sendDigests } from '../../../functions/core/send-digests.ts';
import { apiEvent as event } from '../../support/api-events.ts';
import { memoryApi } from '../../support/memory-api.ts';
import { MemoryEditionStats, MemoryReaders, NoPace } from '../../support/memory-ports.ts';
import { paper } from '../../support/papers.ts';

// Regressions for the attack on issue 14 (archive and feeds): each test failed before its fix.

let api: Awaited<ReturnType<typeof memoryApi>>;
const base = 'https://papers.example.org/';
beforeEach(async () => {
  api = await memoryApi();
});

function papersOf(day: string, n = 12): Paper[] {
  return Array.from({ length: n }, (_, i) => ({
    ...paper(`${day.replaceAll('-', '')}.${String(i).padStart(5, '0')}`, 2 + i, { upvotes: 100 - i }),
    publishedAt: `${day}T0${i % 9}:00:00.000Z`,
    title: i % 2 ? `Café culture retrieval study ${i}` : `Robot grasping policy number ${i}`,
    abstract: 'We study café retrieval and robot grasping. It works.',
    keywords: ['retrieval'],
  }));
}

async function makeEdition(date: string): Promise<Edition> {
  const edition: Edition = {
    date,
    createdAt: `${date}T06:00:00.000Z`,
    mode: 'daily',
    freshSince: `${date}T00:00:00.000Z`,
    entries: rankTrending(papersOf(date), new Date(`${date}T12:00:00Z`)),
    topics: [],
  };
  await api.editions.create(edition);
  await api.archive.editionPages.put(buildEditionPage(edition));
  return edition;
}

const json = (body: unknown) => ({ type: 'application/json', body: JSON.stringify(body) });
function tokenIn(path: string): string {
  const text = api.sender.sent.at(-1)?.text ?? '';
  const url = text.match(new RegExp(`https://\\S+/${path}\\?token=(\\S+)`, 'u'));
  if (!url?.[1]) throw new Error(`no ${path} link in the last email`);
  return decodeURIComponent(url[1]);
}
async function activeReader(email: string): Promise<string> {
  await api.handler(event('POST', '/subscriptions', json({ email, topics: ['retrieval'] })));
  const confirmed = await api.handler(event('POST', '/confirm', { query: { token: tokenIn('confirm') } }));
  const link = confirmed.body?.match(/href="[^"]*\/preferences\?token=([^"]+)"/u)?.[1] as string;
  return decodeURIComponent(link.replaceAll('&amp;', '&'));
}

describe('"Reset this link" after unsubscribing (F3)', () => {
  it('says nothing was reset because the reader unsubscribed, and changes nothing', async () => {
    const prefs = await activeReader('ana@example.org');
    const page = await api.handler(event('GET', '/preferences', { query: { token: prefs } }));
    const action = page.body?.match(/<form method="post" action="([^"]*\/unsubscribe\?token=[^"]+)">/u)?.[1];
    if (!action) throw new Error('no unsubscribe form on the preferences page');
    const unsubscribe = new URL(action.replaceAll('&amp;', '&'));
    await api.handler(
      event('POST', unsubscribe.pathname, { query: Object.fromEntries(unsubscribe.searchParams) }),
    );
    const before = JSON.stringify([...api.subscribers.items]);
    const reset = await api.handler(event('POST', '/preferences/feed', { query: { token: prefs } }));
    expect(reset.statusCode).toBe(409);
    expect(reset.headers?.['content-type']).toContain('text/html');
    expect(reset.body).toContain('Nothing was reset: your personal feed is off because you unsubscribed');
    expect(reset.body).not.toContain('new link');
    expect(JSON.stringify([...api.subscribers.items])).toBe(before);
  });
});

describe('feed errors (F4, F5)', () => {
  it('a personal feed link without its token says the link is incomplete', async () => {
    for (const query of [{}, { token: '' }] as Record<string, string>[]) {
      for (const path of ['/personal/feed.xml', '/personal/feed.json']) {
        const response = await api.handler(event('GET', path, { query }));
        expect(response.statusCode).toBe(400);
        expect(response.body).toContain('this feed link is incomplete');
        expect(response.body).not.toContain('expected string');
      }
    }
  });

  it('every feed URL, public or personal, Atom or JSON, answers errors as the HTML error page', async () => {
    const cases: [string, Record<string, string>, string, number][] = [
      ['GET', { topic: '<b>' }, '/feed.xml', 400],
      ['GET', { topic: '<b>' }, '/feed.json', 400],
      ['GET', { token: 'nonsense' }, '/personal/feed.xml', 400],
      ['GET', { token: 'nonsense' }, '/personal/feed.json', 400],
      ['POST', {}, '/feed.xml', 405],
      ['POST', {}, '/feed.json', 405],
      ['POST', {}, '/personal/feed.json', 405],
    ];
    for (const [method, query, path, status] of cases) {
      const response = await api.handler(event(method, path, { query }));
      expect(response.statusCode, `${method} ${path}`).toBe(status);
      expect(response.headers?.['content-type'], `${method} ${path}`).toBe('text/html; charset=utf-8');
    }
  });
});

describe('one address per page (F6)', () => {
  it('redirects a known address with trailing slashes to itself without them, query kept', async () => {
    await makeEdition('2026-11-26');
    for (const [path, query, location] of [
      ['/editions/', {}, `${base}editions`],
      ['/editions/2026-11-26/', {}, `${base}editions/2026-11-26`],
      ['/feed.xml/', {}, `${base}feed.xml`],
      ['/feed.json//', { topic: 'café au lait' }, `${base}feed.json?topic=caf%C3%A9+au+lait`],
      ['/personal/feed.xml/', { token: 'abc' }, `${base}personal/feed.xml?token=abc`],
    ] as [string, Record<string, string>, string][]) {
      for (const method of ['GET', 'HEAD']) {
        const response = await api.handler(event(method, path, { query }));
        expect(response.statusCode, `${method} ${path}`).toBe(301);
        expect(response.headers?.location).toBe(location);
        if (method === 'HEAD') expect(response.body).toBe('');
      }
    }
    // Other methods keep their method and body: nothing is done at the slashed address.
    const before = JSON.stringify([...api.subscribers.items]);
    const post = await api.handler(event('POST', '/unsubscribe/', { query: { token: 'x' } }));
    expect(post.statusCode).toBe(308);
    expect(post.headers?.location).toBe(`${base}unsubscribe?token=x`);
    expect(JSON.stringify([...api.subscribers.items])).toBe(before);
    // Unknown addresses (and a protocol-relative one) are not redirected.
    for (const path of ['/nothing/', '//evil.example/', '/editions/a/b/']) {
      expect((await api.handler(event('GET', path))).statusCode, path).toBe(404);
    }
    // The canonical addresses answer as before.
    expect((await api.handler(event('GET', '/editions'))).statusCode).toBe(200);
    expect((await api.handler(event('GET', '/'))).statusCode).toBe(200);
  });
});

describe('feed autodiscovery (F7)', () => {
  it('the archive pages and the home page link both feeds in their head, by absolute URL', async () => {
    await makeEdition('2026-11-26');
    for (const path of ['/editions', '/editions/2026-11-26', '/']) {
      const html = (await api.handler(event('GET', path))).body as string;
      const head = html.slice(0, html.indexOf('</head>'));
      expect(head, path).toContain(
        `<link rel="alternate" type="application/atom+xml" title="Paperboy (Atom)" href="${base}feed.xml">`,
      );
      expect(head, path).toContain(
        `<link rel="alternate" type="application/feed+json" title="Paperboy (JSON Feed)" href="${base}feed.json">`,
      );
    }
  });
});

describe('topics (F8)', () => {
  it('takes a topic in NFC, so an accent typed as a combining mark works, and says the real rule', async () => {
    await makeEdition('2026-11-26');
    const nfd = await api.handler(event('GET', '/feed.json', { query: { topic: 'cafe\u0301 retrieval' } }));
    expect(nfd.statusCode).toBe(200);
    const feed = JSON.parse(nfd.body as string);
    expect(feed.feed_url).toBe(`${base}feed.json?topic=caf%C3%A9+retrieval`);
    expect(feed.title).toBe('Paperboy: café retrieval');
    // Marks with no precomposed form (Devanagari) are letters' marks too.
    expect((await api.handler(event('GET', '/feed.xml', { query: { topic: 'हिन्दी' } }))).statusCode).toBe(
      200,
    );
    for (const topic of ['<script>', '-lead', 'a;b']) {
      const refused = await api.handler(event('GET', '/feed.xml', { query: { topic } }));
      expect(refused.statusCode, topic).toBe(400);
      expect(refused.body).toContain(TOPIC_RULE.replaceAll('&', '&amp;').replaceAll("'", '&#39;'));
    }
  });
});

describe('archive paging (F10)', () => {
  it('offers a Newer link from every older page, leading exactly one page back', async () => {
    const dates = Array.from({ length: 45 }, (_, i) =>
      new Date(Date.UTC(2026, 9, 1 + i)).toISOString().slice(0, 10),
    );
    for (const date of dates) await api.editions.create({ ...(await makeEdition(date)) });
    const listed = (html: string) => [...html.matchAll(/<time datetime="([^"]+)">/gu)].map((m) => m[1]);
    const link = (html: string, rel: string) => {
      const href = html.match(new RegExp(`<a href="([^"]+)" rel="${rel}">`, 'u'))?.[1];
      return href ? new URL(href.replaceAll('&amp;', '&')) : undefined;
    };
    const open = async (url: URL) =>
      (await api.handler(event('GET', url.pathname, { query: Object.fromEntries(url.searchParams) })))
        .body as string;
    const pages = [(await api.handler(event('GET', '/editions'))).body as string];
    expect(link(pages[0] as string, 'prev')).toBeUndefined();
    for (let i = 0; i < 2; i += 1) pages.push(await open(link(pages[i] as string, 'next') as URL));
    expect(pages.map((p) => listed(p).length)).toEqual([20, 20, 5]);
    for (const i of [2, 1]) {
      const newer = link(pages[i] as string, 'prev') as URL;
      expect(newer, `page ${i + 1}`).toBeDefined();
      const back = await open(newer);
      expect(listed(back)).toEqual(listed(pages[i - 1] as string));
      // And on from there: Older leads back down.
      expect(listed(await open(link(back, 'next') as URL))).toEqual(listed(pages[i] as string));
    }
    // Page 2 reached by Newer from page 3 offers Newer again; the newest page does not.
    const two = await open(link(pages[2] as string, 'prev') as URL);
    expect(link(two, 'prev')).toBeDefined();
    expect(
      (await api.handler(event('GET', '/editions', { query: { before: '2026-11-01', after: '2026-10-01' } })))
        .statusCode,
    ).toBe(400);
  });
});

describe('feed-only digests outside the feed (F9)', () => {
  it('are counted apart from emails, and the export says each digest went to the feed, with its reasons', async () => {
    await makeEdition('2026-11-26');
    const prefs = await activeReader('cleo@example.org');
    await api.handler(
      event('POST', '/preferences', { query: { token: prefs }, ...json({ frequency: 'none' }) }),
    );
    const cleo = [...api.subscribers.items.values()].find(
      (s) => 'email' in s && s.email === 'cleo@example.org',
    ) as { id: string };
    const stats = new MemoryEditionStats();
    const result = await sendDigests(
      { editionDate: '2026-11-26', subscriberIds: [cleo.id] },
      {
        editions: api.editions,
        subscribers: api.subscribers,
        ledger: api.ledger,
        readers: new MemoryReaders(api.subscribers, api.ledger),
        selectorFor: createSelectorCache(),
        policy: defaultSchedulePolicy,
        sender: api.sender,
        renderer: new HtmlDigestRenderer(await compileTemplates()),
        links: api.links,
        clock: api.clock,
        pace: new NoPace(),
        stats,
        postalAddress: 'Paperboy, 1 Example Street',
        listId: 'daily.papers.example.org',
      },
    );
    expect(result).toMatchObject({ sent: 0, feedOnly: 1 });
    expect(stats.counts.get('2026-11-26')).toEqual({ feedOnly: 1 });
    const exported = JSON.parse(
      (await api.handler(event('GET', '/privacy/export', { query: { token: prefs } }))).body as string,
    );
    const delivery = exported.deliveries.find((d: { editionDate: string }) => d.editionDate === '2026-11-26');
    expect(delivery).toMatchObject({ status: 'sent', channel: 'feed' });
    expect(delivery.papers.length).toBeGreaterThan(0);
    expect(delivery.papers[0].reasons[0]).toMatch(/retrieval/iu);
  });
});
