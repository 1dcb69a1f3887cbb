import { parseAtomFeed, parseJsonFeed } from 'feedsmith';
import { SaxesParser } from 'saxes';
import { beforeEach, describe, expect, it } from 'vitest';
import { HtmlDigestRenderer } from '../../../functions/adapters/html-digest-renderer.ts';
import { compileTemplates } from '../../../functions/adapters/mjml-compiler.ts';
import { buildEditionPage, PAGE_PAPERS } from '../../../functions/core/archive.ts';
import { buildDigestView } from '../../../functions/core/digest.ts';
import type { Edition } from '../../../functions/core/edition.ts';
import { TOPIC_FEED_PAPERS, topicFeed } from '../../../functions/core/feeds.ts';
import type { Paper } from '../../../functions/core/paper.ts';
import { rankEdition } from '../../../functions/core/rank-edition.ts';
import { rankTrending } from '../../../functions/core/ranking.ts';
import { defaultSchedulePolicy as defaultPolicy } from '../../../functions/core/schedule-policy.ts';
import { createSelectorCache, EditionSelector } from '../../../functions/core/selection.ts';
import { sendDigests } from '../../../functions/core/send-digests.ts';
import { apiEvent as event } from '../../support/api-events.ts';
import { memoryApi } from '../../support/memory-api.ts';
import { MemoryEditionStats, MemoryReaders, NoPace } from '../../support/memory-ports.ts';
import { paper } from '../../support/papers.ts';

let api: Awaited<ReturnType<typeof memoryApi>>;
const base = 'https://papers.example.org/';
beforeEach(async () => {
  api = await memoryApi();
});

/** Text that must stay text everywhere: markup, quotes, a CDATA end, control characters. */
const HOSTILE_TITLE =
  'Evil <script>window.__pwned=1</script> "quoted" & \'single\' ]]> end\u0001\u0008\u000b';
const HOSTILE_ABSTRACT = 'We <img src=x onerror="window.__pwned=2"> break ]]> things. Second sentence here.';

function hostile(id: string, hoursAgo: number): Paper {
  return {
    ...paper(id, hoursAgo, { upvotes: 500 }),
    title: HOSTILE_TITLE,
    abstract: HOSTILE_ABSTRACT,
    keywords: ['<b>bold</b>'],
    links: { abstract: 'javascript:alert(1)', pdf: `https://arxiv.org/pdf/${id}` },
  };
}

/** Papers on two themes, so that a topic picks some and not others. */
function corpus(day: string, n = 40): Paper[] {
  return Array.from({ length: n }, (_, i) => {
    const p = paper(`${day.replaceAll('-', '')}.${String(i).padStart(5, '0')}`, 2 + i, { upvotes: 100 - i });
    const retrieval = i % 3 === 0;
    return {
      ...p,
      publishedAt: `${day}T0${i % 9}:00:00.000Z`,
      title: retrieval ? `Dense retrieval with sparse heads ${i}` : `Robot grasping policy number ${i}`,
      abstract: retrieval
        ? 'We study dense passage retrieval for open-domain question answering. Retrieval improves.'
        : 'We train a robot grasping policy with reinforcement learning. Robots grasp better.',
      keywords: retrieval ? ['retrieval'] : ['robotics'],
    };
  });
}

function editionOf(date: string, papers: Paper[]): Edition {
  const entries = rankTrending(papers, new Date(`${date}T12:00:00Z`));
  return {
    date,
    createdAt: `${date}T06:00:00.000Z`,
    mode: 'daily',
    freshSince: `${date}T00:00:00.000Z`,
    entries,
    topics: [],
  };
}

/** Makes editions the way the rank step does: edition and page stored together. */
async function makeEdition(edition: Edition): Promise<void> {
  await api.editions.create(edition);
  await api.archive.editionPages.put(buildEditionPage(edition));
}

/** A well-formedness check by a strict XML parser (saxes), independent of the code that wrote it. */
function wellFormed(xml: string): void {
  const parser = new SaxesParser({ xmlns: true });
  let error: Error | undefined;
  parser.on('error', (e) => {
    error ??= e;
  });
  parser.write(xml).close();
  if (error) throw error;
}

describe('edition pages', () => {
  it('shows the same cards as the email view model, with a subscribe call to action', async () => {
    const edition = editionOf('2026-11-26', corpus('2026-11-26'));
    await makeEdition(edition);
    const response = await api.handler(event('GET', '/editions/2026-11-26'));
    expect(response.statusCode).toBe(200);
    expect(response.headers?.['content-type']).toBe('text/html; charset=utf-8');
    const expected = buildDigestView(
      edition,
      edition.entries.slice(0, PAGE_PAPERS).map((entry) => ({ entry, reasons: entry.reasons })),
      { webViewUrl: '', footerLinks: [], postalAddress: '' },
    );
    const titles = [...(response.body ?? '').matchAll(/<h2>\d+\. <a href="[^"]+">([^<]+)<\/a><\/h2>/gu)].map(
      (m) => m[1],
    );
    expect(titles).toEqual(expected.papers.map((p) => p.title));
    expect(response.body).toContain(expected.papers[0]?.reasons[0] as string);
    expect(response.body).toContain(`<a class="button" href="${base}">Subscribe</a>`);
    expect(response.body).toContain('Thursday, 26 November 2026');
  });

  it('is cacheable by a CDN, with a strong ETag and 304 on If-None-Match, GET and HEAD alike', async () => {
    await makeEdition(editionOf('2026-11-26', corpus('2026-11-26')));
    const first = await api.handler(event('GET', '/editions/2026-11-26'));
    const etag = first.headers?.etag as string;
    expect(etag).toMatch(/^"[\w-]{32}"$/u);
    expect(first.headers?.['cache-control']).toBe('public, max-age=3600, s-maxage=604800');
    const csp = first.headers?.['content-security-policy'] as string;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    for (const method of ['GET', 'HEAD']) {
      for (const header of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
        const again = await api.handler(
          event(method, '/editions/2026-11-26', { headers: { 'if-none-match': header } }),
        );
        expect(again.statusCode, `${method} ${header}`).toBe(304);
        expect(again.body ?? '').toBe('');
        expect(again.headers?.etag).toBe(etag);
      }
      const changed = await api.handler(
        event(method, '/editions/2026-11-26', { headers: { 'if-none-match': '"stale"' } }),
      );
      expect(changed.statusCode).toBe(200);
      expect(changed.headers?.etag).toBe(etag);
    }
    const index = await api.handler(event('GET', '/editions'));
    expect(index.headers?.['cache-control']).toBe(
      'public, max-age=300, s-maxage=900, stale-while-revalidate=600',
    );
    const index304 = await api.handler(
      event('GET', '/editions', { headers: { 'if-none-match': index.headers?.etag as string } }),
    );
    expect(index304.statusCode).toBe(304);
  });

  it('answers an invalid date with a 400 page and an unknown one with a 404 page', async () => {
    const bad = await api.handler(event('GET', '/editions/2026-13-45'));
    expect(bad.statusCode).toBe(400);
    expect(bad.headers?.['content-type']).toContain('text/html');
    expect(bad.body).toContain('must be a date, YYYY-MM-DD');
    const missing = await api.handler(event('GET', '/editions/2026-01-01'));
    expect(missing.statusCode).toBe(404);
    expect(missing.body).toContain('There is no edition for 2026-01-01.');
    const badBefore = await api.handler(event('GET', '/editions', { query: { before: 'yesterday' } }));
    expect(badBefore.statusCode).toBe(400);
    expect(badBefore.body).toContain('before must be a date');
  });

  it('still shows an edition made before pages were stored (built from its parts), and rank stores its page', async () => {
    const edition = editionOf('2026-11-20', corpus('2026-11-20'));
    await api.editions.create(edition);
    const old = await api.handler(event('GET', '/editions/2026-11-20'));
    expect(old.statusCode).toBe(200);
    expect(old.body).toContain(edition.entries[0]?.paper.title as string);
    // A GET stored nothing.
    expect(api.archive.editionPages.pages.has('2026-11-20')).toBe(false);
    const index = await api.handler(event('GET', '/editions'));
    expect(index.body).toContain(`${base}editions/2026-11-20`);
    await rankEdition(
      { date: '2026-11-20', dispatch: false },
      {
        papers: {
          store: async () => ({ new: 0, updated: 0, unchanged: 0, merged: 0, linked: 0 }),
          listPublishedOn: async () => [],
          signalHistory: async () => new Map(),
        },
        editions: api.editions,
        subscribers: api.subscribers,
        queue: { enqueue: async () => {} },
        clock: api.clock,
        config: {
          windowDays: 7,
          freshDays: 2,
          editionSize: 1000,
          jobSize: 50,
          trending: (await import('../../../functions/core/ranking.ts')).defaultTrendingConfig,
          policy: defaultPolicy,
        },
        pages: api.archive.editionPages,
      },
    );
    expect(api.archive.editionPages.pages.get('2026-11-20')?.papers[0]?.title).toBe(
      edition.entries[0]?.paper.title,
    );
  });

  it('lists editions newest first, 20 a page, each with its date, size and top titles', async () => {
    for (let day = 1; day <= 23; day += 1) {
      const date = `2026-11-${String(day).padStart(2, '0')}`;
      await makeEdition(editionOf(date, corpus(date, 5)));
    }
    const first = await api.handler(event('GET', '/editions'));
    const dates = [...(first.body ?? '').matchAll(/<time datetime="(\d{4}-\d{2}-\d{2})">/gu)].map(
      (m) => m[1],
    );
    expect(dates).toHaveLength(20);
    expect(dates[0]).toBe('2026-11-23');
    expect(dates[19]).toBe('2026-11-04');
    expect(first.body).toContain('5 papers ranked');
    const top =
      api.archive.editionPages.pages
        .get('2026-11-23')
        ?.papers.slice(0, 3)
        .map((p) => p.title) ?? [];
    expect(top).toHaveLength(3);
    expect(first.body).toContain(`<ul class="titles">${top.map((t) => `<li>${t}</li>`).join('')}</ul>`);
    expect(first.body).toContain(`href="${base}editions?before=2026-11-04" rel="next"`);
    const second = await api.handler(event('GET', '/editions', { query: { before: '2026-11-04' } }));
    const older = [...(second.body ?? '').matchAll(/<time datetime="(\d{4}-\d{2}-\d{2})">/gu)].map(
      (m) => m[1],
    );
    expect(older).toEqual(['2026-11-03', '2026-11-02', '2026-11-01']);
    expect(second.body).not.toContain('rel="next"');
  });

  it('keeps hostile titles and abstracts inert in the page', async () => {
    await makeEdition(editionOf('2026-11-26', [hostile('2611.00001', 3), ...corpus('2026-11-26', 3)]));
    const page = await api.handler(event('GET', '/editions/2026-11-26'));
    // Markup from a paper is text: no element, no attribute, no javascript: link.
    expect(page.body?.match(/<script|<img|javascript:|<[a-z]+[^>]*\sonerror=/iu)?.[0]).toBeUndefined();
    expect(page.body).toContain(
      'Evil &lt;script&gt;window.__pwned=1&lt;/script&gt; &quot;quoted&quot; &amp; &#39;single&#39; ]]&gt; end',
    );
    expect(page.body).toContain('&lt;b&gt;bold&lt;/b&gt;');
  });
});

describe('public feeds', () => {
  beforeEach(async () => {
    await makeEdition(editionOf('2026-11-25', corpus('2026-11-25')));
    await makeEdition(editionOf('2026-11-26', [hostile('2611.00001', 3), ...corpus('2026-11-26')]));
  });

  it('writes Atom 1.0 that a strict XML parser and an independent feed parser read, with what the spec requires', async () => {
    const response = await api.handler(event('GET', '/feed.xml'));
    expect(response.statusCode).toBe(200);
    expect(response.headers?.['content-type']).toBe('application/atom+xml; charset=utf-8');
    const xml = response.body as string;
    wellFormed(xml);
    const feed = parseAtomFeed(xml);
    expect(feed.id).toBe(base);
    expect(feed.title?.value).toBe('Paperboy: trending research papers');
    expect(feed.updated).toBe('2026-11-26T06:00:00.000Z');
    expect(feed.links?.find((l) => l.rel === 'self')?.href).toBe(`${base}feed.xml`);
    expect(feed.entries).toHaveLength(2);
    const [newest, older] = feed.entries ?? [];
    expect(newest?.id).toBe(`${base}editions/2026-11-26`);
    expect(newest?.title?.value).toBe('Trending papers, Thursday, 26 November 2026');
    expect(newest?.updated).toBe('2026-11-26T06:00:00.000Z');
    expect(newest?.links?.[0]?.href).toBe(`${base}editions/2026-11-26`);
    expect(older?.id).toBe(`${base}editions/2026-11-25`);
    for (const entry of feed.entries ?? []) {
      expect(entry.links?.every((l) => l.href?.startsWith('https://'))).toBe(true);
      expect(entry.summary?.value).toMatch(/^1\. /u);
      expect(entry.content?.value).toContain('<h3>1. ');
    }
    // The hostile title is text: the XML decodes to it (control characters dropped), and the
    // HTML content holds it escaped, so a reader that renders the HTML shows it as text.
    expect(newest?.summary?.value).toContain(
      '1. Evil <script>window.__pwned=1</script> "quoted" & \'single\' ]]> end',
    );
    expect(newest?.content?.value).toContain('Evil &lt;script&gt;window.__pwned=1&lt;/script&gt;');
    expect(newest?.content?.value).not.toMatch(/<script|<img|javascript:/iu);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what is checked
    expect(xml).not.toMatch(/[\u0001\u0008\u000b]/u);
  });

  it('writes JSON Feed 1.1 that an independent parser reads, with what the spec requires', async () => {
    const response = await api.handler(event('GET', '/feed.json'));
    expect(response.headers?.['content-type']).toBe('application/feed+json; charset=utf-8');
    const raw = JSON.parse(response.body as string);
    expect(raw.version).toBe('https://jsonfeed.org/version/1.1');
    const feed = parseJsonFeed(raw);
    expect(feed.title).toBe('Paperboy: trending research papers');
    expect(feed.feed_url).toBe(`${base}feed.json`);
    expect(feed.items).toHaveLength(2);
    for (const item of feed.items ?? []) {
      expect(item.id).toMatch(/^https:\/\/papers\.example\.org\/editions\/2026-11-2[56]$/u);
      expect(item.content_html).toContain('<h3>1. ');
      expect(item.date_published).toMatch(/^2026-11-2[56]T06:00:00\.000Z$/u);
    }
    expect(feed.items?.[0]?.content_html).not.toMatch(/<script|<img|javascript:/iu);
    expect(feed.items?.[0]?.summary).toContain('<script>window.__pwned=1</script>');
  });

  it('answers 304 to a feed reader that holds the current feed', async () => {
    const first = await api.handler(event('GET', '/feed.xml'));
    expect(first.headers?.['cache-control']).toContain('s-maxage=900');
    const again = await api.handler(
      event('GET', '/feed.xml', { headers: { 'if-none-match': first.headers?.etag as string } }),
    );
    expect(again.statusCode).toBe(304);
    const json = await api.handler(
      event('GET', '/feed.json', { headers: { 'if-none-match': first.headers?.etag as string } }),
    );
    expect(json.statusCode).toBe(200);
  });

  it('gives a topic the papers the digest selection gives a reader of that topic alone, edition by edition', async () => {
    const response = await api.handler(event('GET', '/feed.xml', { query: { topic: 'retrieval' } }));
    expect(response.statusCode).toBe(200);
    const xml = response.body as string;
    wellFormed(xml);
    const feed = parseAtomFeed(xml);
    expect(feed.links?.find((l) => l.rel === 'self')?.href).toBe(`${base}feed.xml?topic=retrieval`);
    expect(feed.entries?.map((e) => e.id)).toEqual([
      'tag:papers.example.org,2026-11-26:topics/retrieval/2026-11-26',
      'tag:papers.example.org,2026-11-25:topics/retrieval/2026-11-25',
    ]);
    for (const [i, date] of ['2026-11-26', '2026-11-25'].entries()) {
      const edition = api.editions.items.get(date) as Edition;
      const selector = new EditionSelector(edition.entries, (e) => e.paper.publishedAt >= edition.freshSince);
      const chosen = selector.choose(
        { topics: ['retrieval'], authors: [], exclude: [], digestSize: TOPIC_FEED_PAPERS, sent: new Set() },
        'daily',
      );
      expect(chosen.length).toBeGreaterThan(0);
      const summary = feed.entries?.[i]?.summary?.value as string;
      expect(summary).toBe(chosen.map((c, n) => `${n + 1}. ${c.entry.paper.title}`).join(' · '));
      expect(summary).not.toContain('Robot');
      for (const c of chosen)
        for (const reason of c.reasons)
          expect(feed.entries?.[i]?.content?.value).toContain(reason.replaceAll('"', '&quot;'));
    }
    const json = parseJsonFeed(
      JSON.parse(
        (await api.handler(event('GET', '/feed.json', { query: { topic: 'retrieval' } }))).body as string,
      ),
    );
    expect(json.items?.map((i) => i.summary)).toEqual(feed.entries?.map((e) => e.summary?.value));
  });

  it('indexes editions only within its time budget, says the feed is partial, and completes it on the next request', async () => {
    for (const day of ['22', '23', '24'])
      await makeEdition(editionOf(`2026-11-${day}`, corpus(`2026-11-${day}`)));
    // Each look at the clock takes a second: the budget lets two editions be indexed per request.
    let ms = 0;
    const clock = {
      now: () => {
        ms += 1000;
        return new Date(ms);
      },
    };
    const deps = {
      pages: api.archive.editionPages,
      selectors: api.archive.selectors,
      links: { home: () => base, edition: (d: string) => `${base}editions/${d}` },
      clock,
    };
    const first = await topicFeed('retrieval', `${base}feed.xml?topic=retrieval`, deps, 10, 2500);
    expect(first.partial).toBe(true);
    expect(first.entries.length).toBeGreaterThan(0);
    expect(first.entries.length).toBeLessThan(5);
    let feed = first;
    for (let round = 0; round < 5 && feed.partial; round += 1) {
      feed = await topicFeed('retrieval', `${base}feed.xml?topic=retrieval`, deps, 10, 2500);
    }
    expect(feed.partial).toBe(false);
    expect(feed.entries.map((e) => e.id.split('/').at(-1))).toEqual([
      '2026-11-26',
      '2026-11-25',
      '2026-11-24',
      '2026-11-23',
      '2026-11-22',
    ]);
  });

  it('refuses a topic that is too long, too short, or holds markup, with the reason', async () => {
    for (const [topic, reason] of [
      ['x'.repeat(81), 'topic must be at most 80 characters'],
      ['x', 'topic must be at least 2 characters'],
      ['<script>', 'topic must start with a letter or digit, and hold only letters'],
      ['a\u0000b"c', 'topic must start with a letter or digit'],
    ] as const) {
      const response = await api.handler(event('GET', '/feed.xml', { query: { topic } }));
      expect(response.statusCode, topic).toBe(400);
      // Feed URLs answer errors as the site's HTML error page (docs/operations.md).
      expect(response.headers?.['content-type']).toBe('text/html; charset=utf-8');
      expect(response.body).toContain(reason);
    }
  });
});

describe('personal feeds', () => {
  const json = (body: unknown) => ({ type: 'application/json', body: JSON.stringify(body) });
  function tokenIn(path: string): string {
    const text = api.sender.sent.at(-1)?.text ?? '';
    const url = text.match(new RegExp(`https://\\S+/${path}\\?token=(\\S+)`, 'u'));
    if (!url?.[1]) throw new Error(`no ${path} link in the last email`);
    return decodeURIComponent(url[1]);
  }
  /** Signs up and confirms `email`; returns the preferences token. */
  async function activeReader(email: string, topics: string[]): Promise<string> {
    await api.handler(event('POST', '/subscriptions', json({ email, topics })));
    const confirmed = await api.handler(event('POST', '/confirm', { query: { token: tokenIn('confirm') } }));
    const link = confirmed.body?.match(/href="[^"]*\/preferences\?token=([^"]+)"/u)?.[1] as string;
    return decodeURIComponent(link.replaceAll('&amp;', '&'));
  }
  /** The personal feed's Atom link on the preferences page. */
  async function feedLink(prefs: string): Promise<string> {
    const page = await api.handler(event('GET', '/preferences', { query: { token: prefs } }));
    const href = page.body?.match(/<a href="([^"]+)" id="personal-feed">/u)?.[1];
    if (!href) throw new Error('no personal feed link on the preferences page');
    return href.replaceAll('&amp;', '&');
  }
  const get = (link: string, headers: Record<string, string> = {}) => {
    const url = new URL(link);
    return api.handler(event('GET', url.pathname, { query: Object.fromEntries(url.searchParams), headers }));
  };
  async function send(date: string, ids: string[]) {
    const renderer = new HtmlDigestRenderer(await compileTemplates());
    return sendDigests(
      { editionDate: date, subscriberIds: ids },
      {
        editions: api.editions,
        subscribers: api.subscribers,
        ledger: api.ledger,
        readers: new MemoryReaders(api.subscribers, api.ledger),
        selectorFor: createSelectorCache(),
        policy: defaultPolicy,
        sender: api.sender,
        renderer,
        links: api.links,
        clock: api.clock,
        pace: new NoPace(),
        stats: new MemoryEditionStats(),
        postalAddress: 'Paperboy, 1 Example Street',
        listId: 'daily.papers.example.org',
      },
    );
  }
  /** `N. Title` and `Why: …` lines of a digest's plain-text part, in order. */
  const digestLines = (text: string) =>
    text.split('\n').flatMap((line) => {
      const title = /^(\d+)\. (.+)$/u.exec(line);
      if (title) return [`${title[1]}. ${title[2]}`];
      const why = /^ {3}Why: (.+)$/u.exec(line);
      return why ? [`Why: ${why[1]}`] : [];
    });

  beforeEach(async () => {
    for (const date of ['2026-11-25', '2026-11-26']) {
      const papers = [...corpus(date), ...(date === '2026-11-26' ? [hostile('2611.00001', 3)] : [])];
      for (const p of papers) api.papers.items.set(p.id, p);
      await makeEdition(editionOf(date, papers));
    }
  });

  it('shows exactly the papers of the reader’s emails, with their reasons, and GETs change nothing', async () => {
    const prefs = await activeReader('ana@example.org', ['retrieval']);
    const ana = [...api.subscribers.items.values()][0] as { id: string };
    for (const date of ['2026-11-25', '2026-11-26']) expect((await send(date, [ana.id])).sent).toBe(1);
    const emails = api.sender.sent.filter((m) => m.subject.startsWith('Trending'));
    expect(emails).toHaveLength(2);
    const link = await feedLink(prefs);
    expect(link).toMatch(/^https:\/\/papers\.example\.org\/personal\/feed\.xml\?token=v2\.feed\./u);
    const before = JSON.stringify([...api.subscribers.items]);
    const response = await get(link);
    expect(response.statusCode).toBe(200);
    expect(response.headers?.['cache-control']).toBe('private, no-cache');
    wellFormed(response.body as string);
    const feed = parseAtomFeed(response.body as string);
    expect(feed.entries?.map((e) => e.title?.value)).toEqual([
      'Your papers, Thursday, 26 November 2026',
      'Your papers, Wednesday, 25 November 2026',
    ]);
    for (const [i, email] of [...emails].reverse().entries()) {
      const content = feed.entries?.[i]?.content?.value ?? '';
      const fromFeed = [
        ...content.matchAll(/<h3>(\d+)\. (?:<a [^>]+>)?([^<]+)|<strong>Why:<\/strong> ([^<]+)/gu),
      ].map((m) => (m[3] ? `Why: ${decode(m[3])}` : `${m[1]}. ${decode(m[2] as string)}`));
      expect(fromFeed.length).toBeGreaterThan(2);
      expect(fromFeed).toEqual(digestLines(email.text));
    }
    const json = parseJsonFeed(JSON.parse((await get(link.replace('feed.xml', 'feed.json'))).body as string));
    expect(json.items?.map((i) => i.title)).toEqual(feed.entries?.map((e) => e.title?.value));
    const again = await get(link, { 'if-none-match': response.headers?.etag as string });
    expect(again.statusCode).toBe(304);
    expect(JSON.stringify([...api.subscribers.items])).toBe(before);
  });

  it('stops working after a link reset (the new link works), after unsubscribe, and after erasure, each saying why', async () => {
    const prefs = await activeReader('ana@example.org', ['retrieval']);
    const old = await feedLink(prefs);
    expect((await get(old)).statusCode).toBe(200);
    const reset = await api.handler(event('POST', '/preferences/feed', { query: { token: prefs } }));
    expect(reset.statusCode).toBe(200);
    expect(reset.body).toContain('Your feed has a new link');
    const fresh = await feedLink(prefs);
    expect(fresh).not.toBe(old);
    const gone = await get(old);
    expect(gone.statusCode).toBe(404);
    expect(gone.body).toContain('This feed link was replaced by a new one.');
    expect((await get(fresh)).statusCode).toBe(200);
    // A forged token and one of another purpose are refused.
    expect((await get(fresh.replace(/.$/u, (c) => (c === 'A' ? 'B' : 'A')))).statusCode).toBe(400);
    expect(
      (await get(`https://papers.example.org/personal/feed.xml?token=${encodeURIComponent(prefs)}`))
        .statusCode,
    ).toBe(400);

    const page = await api.handler(event('GET', '/preferences', { query: { token: prefs } }));
    const unsubscribe = page.body?.match(
      /<form method="post" action="([^"]*\/unsubscribe\?token=[^"]+)">/u,
    )?.[1] as string;
    const url = new URL(unsubscribe.replaceAll('&amp;', '&'));
    expect(
      (await api.handler(event('POST', url.pathname, { query: Object.fromEntries(url.searchParams) })))
        .statusCode,
    ).toBe(200);
    const stopped = await get(fresh);
    expect(stopped.statusCode).toBe(404);
    expect(stopped.body).toContain('This feed has stopped');

    const bob = await activeReader('bob@example.org', []);
    const bobFeed = await feedLink(bob);
    expect((await api.handler(event('POST', '/privacy/erase', { query: { token: bob } }))).statusCode).toBe(
      200,
    );
    const erased = await get(bobFeed);
    expect(erased.statusCode).toBe(404);
    expect(erased.body).toContain('This feed no longer exists');
  });

  it('refuses an over-long token and a token of another purpose; its own token opens nothing else', async () => {
    const prefs = await activeReader('ana@example.org', []);
    const link = new URL(await feedLink(prefs));
    const long = await get(`${base}personal/feed.xml?token=${'a'.repeat(513)}`);
    expect(long.statusCode).toBe(400);
    expect(long.body).toContain('query.token');
    const feedToken = link.searchParams.get('token') as string;
    for (const path of ['/preferences', '/unsubscribe', '/privacy/export']) {
      expect((await api.handler(event('GET', path, { query: { token: feedToken } }))).statusCode, path).toBe(
        400,
      );
    }
  });

  it('changes nothing when every archive and feed address is fetched, with any token', async () => {
    const prefs = await activeReader('ana@example.org', ['retrieval']);
    const link = new URL(await feedLink(prefs));
    await api.editions.create(editionOf('2026-11-20', corpus('2026-11-20', 5)));
    const snapshot = () =>
      JSON.stringify([
        [...api.subscribers.items],
        [...api.ledger.items],
        [...api.archive.editionPages.pages.keys()],
      ]);
    const before = snapshot();
    for (const path of [
      '/editions',
      '/editions/2026-11-20',
      '/editions/2026-11-26',
      '/feed.xml',
      '/feed.json',
      '/personal/feed.xml',
      '/personal/feed.json',
    ]) {
      for (const query of [
        {},
        { topic: 'retrieval' },
        { token: link.searchParams.get('token') as string },
        { token: prefs },
        { before: '2026-11-26' },
      ] as Record<string, string>[]) {
        for (const method of ['GET', 'HEAD']) await api.handler(event(method, path, { query }));
      }
    }
    expect(snapshot()).toBe(before);
  });

  it('gives a reader with email frequency "none" a feed and never an email', async () => {
    const prefs = await activeReader('cleo@example.org', ['retrieval']);
    const saved = await api.handler(
      event('POST', '/preferences', { query: { token: prefs }, ...json({ frequency: 'none' }) }),
    );
    expect(saved.statusCode).toBe(200);
    expect(JSON.parse(saved.body as string).preferences.frequency).toBe('none');
    const page = await api.handler(event('GET', '/preferences', { query: { token: prefs } }));
    expect(page.body).toContain('<option value="none" selected>No email (personal feed only)</option>');
    expect(page.body).toContain('no email: your papers arrive in your personal feed');
    const cleo = [...api.subscribers.items.values()].find(
      (s) => 'email' in s && s.email === 'cleo@example.org',
    ) as { id: string };
    const mails = api.sender.sent.length;
    const result = await send('2026-11-26', [cleo.id]);
    expect(result).toMatchObject({ sent: 0, feedOnly: 1 });
    expect(api.sender.sent).toHaveLength(mails);
    const delivery = await api.ledger.get(cleo.id, '2026-11-26');
    expect(delivery).toMatchObject({ status: 'sent', channel: 'feed' });
    expect(delivery?.reasons?.[0]?.length).toBeGreaterThan(0);
    // Recorded once: a re-run records nothing more.
    expect(await send('2026-11-26', [cleo.id])).toMatchObject({ feedOnly: 0, skipped: 1 });
    const feed = parseAtomFeed((await get(await feedLink(prefs))).body as string);
    expect(feed.entries).toHaveLength(1);
    expect(feed.entries?.[0]?.summary?.value).toMatch(/^1\. Dense retrieval/u);
    // The sign-up form and API accept it too.
    const signup = await api.handler(
      event('POST', '/subscriptions', json({ email: 'dan@example.org', frequency: 'none' })),
    );
    expect(signup.statusCode).toBe(202);
    const confirmed = await api.handler(event('POST', '/confirm', { query: { token: tokenIn('confirm') } }));
    expect(confirmed.body).toContain('You chose no email: your papers arrive in your personal feed');
    const form = await api.handler(event('GET', '/'));
    expect(form.body).toContain('<option value="none">No email: my personal feed only</option>');
    const refused = await api.handler(
      event('POST', '/subscriptions', json({ email: 'eve@example.org', frequency: 'hourly' })),
    );
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain('frequency must be daily, weekly or none');
  });
});

/** The HTML escapes of the renderer, undone (for comparing text). */
function decode(html: string): string {
  return html
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&amp;', '&');
}
