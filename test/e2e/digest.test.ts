import { mkdir, readFile } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FULL_CARDS, HtmlDigestRenderer } from '../../functions/adapters/html-digest-renderer.ts';
import { compileTemplates } from '../../functions/adapters/mjml-compiler.ts';
import { buildDigestView, type DigestView } from '../../functions/core/digest.ts';
import { collectPapers } from '../../functions/core/formats/open-papers.ts';
import type { Paper } from '../../functions/core/paper.ts';
import { rankTrending } from '../../functions/core/ranking.ts';
import { SAMPLE_FILE } from '../../functions/local/demo.ts';
import { chromiumSkipReason, hasChromium, launchChromium } from '../support/browser.ts';

if (!hasChromium) console.warn(chromiumSkipReason);

const SCREENSHOTS = new URL('../../.build/screenshots/digest', import.meta.url).pathname;
const NOW = new Date('2026-11-26T06:00:00.000Z');

/** What a hostile or careless source can put in a paper, past the parsers' checks. */
const hostile: Paper = {
  id: '2611.99999',
  title: `Evil <script>window.__pwned = 1</script> ${'Supercalifragilisticexpialidocious'.repeat(8)}`,
  abstract: `We test <img src=x onerror="window.__pwned = 2"> everything, see https://example.org/${'a'.repeat(220)} for the data. A second sentence.`,
  authors: [
    `Unbrokennamewithoutanyspace${'x'.repeat(80)}`,
    ...Array.from({ length: 2000 }, (_, i) => `Author ${i}`),
  ],
  publishedAt: '2026-11-25T18:00:00.000Z',
  source: 'hf-daily',
  links: {
    abstract: 'javascript:window.__pwned = 3',
    pdf: 'https://arxiv.org/pdf/2611.99999',
    code: 'data:text/html,<script>window.__pwned = 4</script>',
    project: 'http://example.org/not-https',
    thumbnail: 'javascript:window.__pwned = 5',
  },
  keywords: ['<b>bold</b>', 'k'.repeat(80), '" onmouseover="window.__pwned = 6'],
  categories: [],
  signals: { observedAt: NOW.toISOString(), upvotes: 3, stars: 12_345 },
};

/** A plain placeholder for every image, so that the screenshots show where thumbnails go. */
const THUMBNAIL_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="675" viewBox="0 0 1200 675">
  <rect width="1200" height="675" fill="#dfe7f2"/><rect x="90" y="90" width="640" height="56" rx="8" fill="#6f819c"/>
  <rect x="90" y="200" width="1020" height="26" rx="6" fill="#a8b6ca"/><rect x="90" y="250" width="880" height="26" rx="6" fill="#a8b6ca"/>
  <rect x="90" y="360" width="420" height="230" rx="10" fill="#f2b36f"/><rect x="560" y="360" width="550" height="230" rx="10" fill="#9fc9a8"/></svg>`;

/** Every visible text, and the lowest contrast ratio (WCAG) of its colour on its background. */
const LOWEST_CONTRAST = `(() => {
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0)) return c.slice(0, 3);
    }
    return rgb(getComputedStyle(document.documentElement).backgroundColor).slice(0, 3);
  };
  let lowest = { ratio: 99, text: '' };
  for (const el of document.body.querySelectorAll('*')) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || !el.checkVisibility({ opacityProperty: true, visibilityProperty: true })) continue;
    const [a, b] = [lum(rgb(getComputedStyle(el).color)), lum(background(el))];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < lowest.ratio) lowest = { ratio, text: el.textContent.trim().slice(0, 60) };
  }
  return lowest;
})()`;

describe.skipIf(!hasChromium)('the digest email in Chromium', () => {
  let browser: Browser;
  let view: DigestView;
  let html: string;
  /** Thirty papers, the hostile one twelfth: ten full cards, then the compact list. */
  let longView: DigestView;
  let long: string;
  let notice: string;
  beforeAll(async () => {
    const sample = SAMPLE_FILE;
    const { papers } = await collectPapers(await readFile(sample, 'utf8'), { observedAt: NOW.toISOString() });
    // The samples have no thumbnails: every third paper gets one of the test's own (never loaded).
    const illustrated = papers.map((paper, i) =>
      i % 3 === 0
        ? { ...paper, links: { ...paper.links, thumbnail: `https://example.org/thumbnails/${paper.id}.png` } }
        : paper,
    );
    const ranked = rankTrending([...illustrated, hostile], NOW);
    const evil = ranked.find((entry) => entry.paper.id === hostile.id);
    if (!evil) throw new Error('the hostile paper was not ranked');
    const digest = (entries: typeof ranked) =>
      buildDigestView(
        { date: '2026-11-26', mode: 'daily' },
        // Every paper with a reader's vote links (their colours are checked with the rest).
        entries.map((entry) => ({
          entry,
          reasons: entry.reasons,
          feedback: {
            more: `https://papers.example.org/feedback?token=t&paper=${entry.paper.id}&vote=more`,
            fewer: `https://papers.example.org/feedback?token=t&paper=${entry.paper.id}&vote=fewer`,
          },
        })),
        {
          webViewUrl: 'https://papers.example.org/editions/2026-11-26',
          footerLinks: [
            { text: 'Preferences', url: 'https://papers.example.org/preferences?token=p' },
            { text: 'Unsubscribe', url: 'https://papers.example.org/unsubscribe?token=u' },
          ],
          postalAddress: 'Paperboy, 1 Example Street, 00000 Exampletown',
        },
      );
    const others = ranked.filter((entry) => entry !== evil);
    // Nine realistic papers, with the hostile one second (in the first screen of the screenshots).
    view = digest([others[0], evil, ...others.slice(1, 9)] as typeof ranked);
    longView = digest([...others.slice(0, 11), evil, ...others.slice(11, 29)] as typeof ranked);
    const renderer = new HtmlDigestRenderer(await compileTemplates());
    html = renderer.renderDigest(view);
    long = renderer.renderDigest(longView);
    notice = renderer.renderNotice({
      title: 'Confirm your Paperboy subscription',
      preheader: 'One click and the trending papers arrive in your inbox.',
      heading: 'Confirm your subscription',
      body: "Someone (we hope you) asked to receive the day's trending research papers at this address.",
      buttonText: 'Confirm subscription',
      url: 'https://papers.example.org/confirm?token=v2.confirm.abc.s1.k1.0.sig',
      footnote:
        'If you did not ask for this, ignore this email: nothing will be sent. The link works for 7 days.',
      postalAddress: 'Paperboy, 1 Example Street, 00000 Exampletown',
    });
    browser = await launchChromium();
    await mkdir(SCREENSHOTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
  });

  async function open(
    width: number,
    colorScheme: 'light' | 'dark',
    images: 'on' | 'off',
    content = html,
  ): Promise<{ page: Page; close: () => Promise<void> }> {
    const context = await browser.newContext({ viewport: { width, height: 900 }, colorScheme });
    const page = await context.newPage();
    // No request leaves the page: images get a placeholder, or fail as when a client blocks them.
    await page.route('**/*', (route) =>
      images === 'on'
        ? route.fulfill({ status: 200, contentType: 'image/svg+xml', body: THUMBNAIL_SVG })
        : route.abort(),
    );
    await page.setContent(content, { waitUntil: 'load' });
    return { page, close: () => context.close() };
  }

  it('fits 375 px and 1280 px without horizontal scroll, in light and dark, readable, with no script run', async () => {
    expect(view.papers).toHaveLength(10);
    expect(longView.papers).toHaveLength(30);
    for (const [digest, content] of [
      ['', html],
      ['long-', long],
    ] as const) {
      for (const colorScheme of ['light', 'dark'] as const) {
        for (const width of [375, 1280]) {
          const name = `${digest}${colorScheme}-${width}`;
          const { page, close } = await open(width, colorScheme, 'on', content);
          const overflow = await page.evaluate<number>(
            'document.documentElement.scrollWidth - document.documentElement.clientWidth',
          );
          expect(overflow, `${name}: horizontal overflow`).toBeLessThanOrEqual(0);
          expect(await page.evaluate('typeof window.__pwned'), `${name}: a script ran`).toBe('undefined');
          // The scheme really changed the colours: the card is dark in dark mode.
          const card = await page.evaluate<string>(
            `getComputedStyle(document.querySelector('.pb-card')).backgroundColor`,
          );
          expect(card, name).toBe(colorScheme === 'dark' ? 'rgb(24, 27, 33)' : 'rgb(255, 255, 255)');
          const lowest = await page.evaluate<{ ratio: number; text: string }>(LOWEST_CONTRAST);
          expect(lowest.ratio, `${name}: contrast of “${lowest.text}”`).toBeGreaterThanOrEqual(4.5);
          // Every thumbnail shown fits its card.
          const widest = await page.evaluate<number>(
            `Math.max(0, ...[...document.images].map((i) => i.getBoundingClientRect().right - i.closest('.pb-card').getBoundingClientRect().right))`,
          );
          expect(widest, `${name}: an image sticks out of its card`).toBeLessThanOrEqual(0);
          await page.screenshot({ path: `${SCREENSHOTS}/${name}.png`, fullPage: true });
          await close();
        }
      }
    }
  });

  it('reads well with images off: every title is there, every image has its alt text', async () => {
    for (const colorScheme of ['light', 'dark'] as const) {
      const { page, close } = await open(375, colorScheme, 'off');
      const text = await page.evaluate<string>('document.body.innerText');
      for (const paper of view.papers) expect(text).toContain(paper.title);
      expect(text).toContain('Evil <script>window.__pwned = 1</script>');
      // The reader's links near the top, before the first paper, and again in the footer.
      expect(text.indexOf('Preferences · Unsubscribe')).toBeLessThan(
        text.indexOf(view.papers[0]?.title ?? '?'),
      );
      expect(text.lastIndexOf('Unsubscribe')).toBeGreaterThan(text.indexOf(view.papers.at(-1)?.title ?? '?'));
      const images = await page.evaluate<{ alt: string; loaded: boolean }[]>(
        '[...document.images].map((i) => ({ alt: i.alt, loaded: i.naturalWidth > 0 }))',
      );
      expect(images.length).toBe(view.papers.filter((p) => p.thumbnail).length);
      expect(images.length).toBeGreaterThan(0);
      for (const image of images) {
        expect(image.loaded).toBe(false);
        expect(image.alt).toMatch(/^Preview of the paper “.+”$/u);
      }
      const overflow = await page.evaluate<number>(
        'document.documentElement.scrollWidth - document.documentElement.clientWidth',
      );
      expect(overflow).toBeLessThanOrEqual(0);
      expect(await page.evaluate('typeof window.__pwned')).toBe('undefined');
      await page.screenshot({ path: `${SCREENSHOTS}/images-off-${colorScheme}-375.png`, fullPage: true });
      await close();
    }
  });

  it('links only to https pages: the hostile paper keeps its PDF link and loses the rest', async () => {
    const { page, close } = await open(375, 'light', 'off');
    const hrefs = await page.evaluate<string[]>(
      `[...document.querySelectorAll('[href], [src]')].map((e) => e.getAttribute('href') ?? e.getAttribute('src'))`,
    );
    expect(hrefs.length).toBeGreaterThan(30);
    for (const href of hrefs) expect(href).toMatch(/^https:\/\//u);
    const card = await page.evaluate<{ links: string[]; titleIsLink: boolean }>(`(() => {
      const card = document.querySelectorAll('.pb-card')[1];
      return {
        links: [...card.querySelectorAll('a.pb-pill')].map((a) => a.textContent),
        titleIsLink: card.querySelector('h2 a') !== null,
      };
    })()`);
    expect(card).toEqual({ links: ['PDF'], titleIsLink: true });
    await close();
  });

  it('lists the papers past the first ten compactly, the hostile one inert, with no image, TL;DR or keyword', async () => {
    const { page, close } = await open(375, 'light', 'off', long);
    expect(await page.evaluate('typeof window.__pwned')).toBe('undefined');
    const list = await page.evaluate<{
      cards: number;
      entries: string[];
      hostile: { links: string[]; title: string };
      extras: number;
    }>(`(() => {
      const entries = [...document.querySelectorAll('.pb-brief')];
      const hostile = entries[1];
      return {
        cards: document.querySelectorAll('.pb-card').length,
        entries: entries.map((e) => e.querySelector('h3').textContent),
        hostile: {
          links: [...hostile.querySelectorAll('a.pb-pill')].map((a) => a.textContent),
          title: hostile.querySelector('h3 a').textContent,
        },
        extras: entries.reduce((n, e) => n + e.querySelectorAll('img, .pb-chip').length + (e.textContent.includes('TL;DR') ? 1 : 0), 0),
      };
    })()`);
    // Ten full cards, and one card for the list.
    expect(list.cards).toBe(FULL_CARDS + 1);
    expect(list.entries).toEqual(longView.papers.slice(FULL_CARDS).map((p) => `#${p.rank} ${p.title}`));
    // Its title links to its PDF, its only https link: no pill repeats it.
    expect(list.hostile).toEqual({ links: [], title: longView.papers[11]?.title });
    expect(list.extras).toBe(0);
    await close();
  });

  it('lays the confirmation email out like the digest, in both schemes', async () => {
    for (const colorScheme of ['light', 'dark'] as const) {
      for (const width of [375, 1280]) {
        const name = `notice-${colorScheme}-${width}`;
        const { page, close } = await open(width, colorScheme, 'on', notice);
        const overflow = await page.evaluate<number>(
          'document.documentElement.scrollWidth - document.documentElement.clientWidth',
        );
        expect(overflow, `${name}: horizontal overflow`).toBeLessThanOrEqual(0);
        const lowest = await page.evaluate<{ ratio: number; text: string }>(LOWEST_CONTRAST);
        expect(lowest.ratio, `${name}: contrast of “${lowest.text}”`).toBeGreaterThanOrEqual(4.5);
        const text = await page.evaluate<string>('document.body.innerText');
        expect(text).toContain('PAPERBOY');
        expect(text).toContain('Paperboy, 1 Example Street, 00000 Exampletown');
        await page.screenshot({ path: `${SCREENSHOTS}/${name}.png`, fullPage: true });
        await close();
      }
    }
  });
});
