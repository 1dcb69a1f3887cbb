import { mkdir, readFile } from 'node:fs/promises';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { parseAtomFeed, parseJsonFeed } from 'feedsmith';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_FILE } from '../../functions/local/demo.ts';
import { readMailbox, type StoredEmail } from '../../functions/local/mailbox.ts';
import { chromiumSkipReason, hasChromium, launchChromium } from '../support/browser.ts';
import { bootTestStack } from '../support/local-stack.ts';

if (!hasChromium) console.warn(chromiumSkipReason);

const SCREENSHOTS = new URL('../../.build/screenshots/archive', import.meta.url).pathname;
const EDITION = '2026-11-26';

/**
 * The archive and the personal feed on the local stack, in Chromium: the pages at phone and
 * desktop widths, by keyboard; a reader's feed against the email the mailbox received; the feed
 * link's end after a reset and after unsubscribing.
 */
describe.skipIf(!hasChromium)('the archive and the personal feed in Chromium', () => {
  let stack: Awaited<ReturnType<typeof bootTestStack>>;
  let browser: Browser;
  beforeAll(async () => {
    stack = await bootTestStack();
    browser = await launchChromium();
    await mkdir(SCREENSHOTS, { recursive: true });
    await stack.s3.send(
      new PutObjectCommand({
        Bucket: stack.options.bucket,
        Key: 'incoming/sample.json',
        Body: await readFile(SAMPLE_FILE),
      }),
    );
    await stack.idle();
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.cleanup();
  });

  const mails = async (to: string, subject: string): Promise<StoredEmail[]> => {
    await stack.idle();
    return (await readMailbox(stack.urls.ses)).filter(
      (m) => m.destination.to.includes(to) && m.subject.startsWith(subject),
    );
  };
  const linkIn = (mail: StoredEmail | undefined, path: string): string => {
    const link = mail?.body.text?.match(new RegExp(`https?://\\S+/${path}\\?token=\\S+`, 'u'))?.[0];
    if (!link) throw new Error(`no ${path} link in "${mail?.subject}"`);
    return link;
  };

  /** No horizontal scroll at 375 px and at 1280 px, with a screenshot of each. */
  async function checkLayout(page: Page, name: string): Promise<void> {
    for (const width of [375, 1280]) {
      await page.setViewportSize({ width, height: 900 });
      const overflow = await page.evaluate<number>(
        'document.documentElement.scrollWidth - document.documentElement.clientWidth',
      );
      expect(overflow, `${name} at ${width} px`).toBeLessThanOrEqual(0);
      await page.screenshot({ path: `${SCREENSHOTS}/${name}-${width}.png`, fullPage: true });
    }
  }

  /** Tab reaches every link and button of the page, each once. */
  async function checkKeyboard(page: Page, name: string): Promise<void> {
    const controls = await page.evaluate<number>(
      `[...document.querySelectorAll('a[href], button, input:not([type=hidden]), select')].filter((el) => el.tabIndex >= 0).length`,
    );
    expect(controls, `${name}: controls`).toBeGreaterThan(2);
    const reached = new Set<string>();
    await page.evaluate('document.activeElement?.blur()');
    for (let i = 0; i < controls + 2; i += 1) {
      await page.keyboard.press('Tab');
      const id = await page.evaluate<string>(`(() => {
        const el = document.activeElement;
        if (!el || el === document.body) return '';
        return el.tagName + ':' + [...document.querySelectorAll('*')].indexOf(el);
      })()`);
      if (id) reached.add(id);
    }
    expect(reached.size, `${name}: controls reached by Tab`).toBe(controls);
  }

  /** `N. Title` and `Why: …` lines, in order: of a digest's text part, or of a feed entry's HTML. */
  const emailLines = (text: string) =>
    text.split('\n').flatMap((line) => {
      const title = /^(\d+)\. (.+)$/u.exec(line);
      if (title) return [`${title[1]}. ${title[2]}`];
      const why = /^ {3}Why: (.+)$/u.exec(line);
      return why ? [`Why: ${why[1]}`] : [];
    });
  const feedLines = (html: string) =>
    [...html.matchAll(/<h3>(\d+)\. (?:<a [^>]+>)?([^<]+)|<strong>Why:<\/strong> ([^<]+)/gu)].map((m) =>
      m[3] ? `Why: ${decode(m[3])}` : `${m[1]}. ${decode(m[2] as string)}`,
    );

  it('shows every edition and each one’s cards, at 375 px and 1280 px, by keyboard, with no CSP violation', async () => {
    await stack.handlers.rank({ date: EDITION });
    const page = await browser.newPage();
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content.Security.Policy|Refused to/iu.test(message.text())) violations.push(message.text());
    });
    const index = await page.goto(new URL('editions', stack.urls.api).toString());
    expect(index?.status()).toBe(200);
    expect(index?.headers()['cache-control']).toContain('s-maxage=');
    expect(await page.locator('h1').textContent()).toBe('Every edition');
    await checkLayout(page, 'index');
    await checkKeyboard(page, 'index');
    // The styles apply (the policy lets the layout's style block through): a card is laid out.
    expect(await page.evaluate<string>('getComputedStyle(document.querySelector("nav.site")).display')).toBe(
      'flex',
    );
    await page.getByRole('link', { name: /Trending papers, Thursday, 26 November 2026/u }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Trending papers');
    expect(await page.locator('ol.cards > li').count()).toBeGreaterThan(5);
    expect(await page.getByRole('link', { name: 'Subscribe' }).count()).toBe(2);
    await checkLayout(page, 'edition');
    await checkKeyboard(page, 'edition');
    // Revalidation: the browser's conditional GET gets a 304.
    const etag = (await page.request.get(page.url())).headers().etag as string;
    const again = await page.request.get(page.url(), { headers: { 'if-none-match': etag } });
    expect(again.status()).toBe(304);
    expect(violations).toEqual([]);
    await page.close();
  });

  it('gives a reader a feed of exactly their emails’ papers, which stops after a link reset and after unsubscribing', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const signup = await fetch(new URL('subscriptions', stack.urls.api), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'feeds@example.org', topics: ['language models'], digestSize: 8 }),
    });
    expect(signup.status).toBe(202);
    await page.goto(linkIn((await mails('feeds@example.org', 'Confirm'))[0], 'confirm'));
    await expect.poll(() => page.locator('h1').textContent()).toBe('You are subscribed');
    await page.getByRole('link', { name: /Choose your topics/u }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Your preferences');
    await checkLayout(page, 'preferences-feed');
    await checkKeyboard(page, 'preferences-feed');

    // An edition is sent (the rank step dispatches, the send worker sends): the mailbox has it.
    await stack.handlers.rank({ date: '2026-11-27' });
    const [digest] = await mails('feeds@example.org', 'Trending');
    const expected = emailLines(digest?.body.text ?? '');
    expect(expected.filter((l) => l.startsWith('Why:')).length).toBeGreaterThan(0);

    const feedUrl = (await page.locator('#personal-feed').getAttribute('href')) as string;
    const response = await fetch(feedUrl);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/atom+xml; charset=utf-8');
    const feed = parseAtomFeed(await response.text());
    expect(feed.entries).toHaveLength(1);
    expect(feedLines(feed.entries?.[0]?.content?.value ?? '')).toEqual(expected);
    const json = parseJsonFeed(await (await fetch(feedUrl.replace('feed.xml', 'feed.json'))).json());
    expect(feedLines(json.items?.[0]?.content_html ?? '')).toEqual(expected);

    // "Reset this link": the old link stops, the new one works.
    await page.getByRole('button', { name: 'Reset this link' }).click();
    await expect.poll(() => page.locator('.status').textContent()).toContain('Your feed has a new link');
    const fresh = (await page.locator('#personal-feed').getAttribute('href')) as string;
    expect(fresh).not.toBe(feedUrl);
    const old = await fetch(feedUrl);
    expect(old.status).toBe(404);
    expect(await old.text()).toContain('This feed link was replaced by a new one.');
    expect((await fetch(fresh)).status).toBe(200);

    // Unsubscribing (the digest's one-click link) stops the feed.
    const unsubscribe = await fetch(linkIn(digest, 'unsubscribe'), { method: 'POST' });
    expect(unsubscribe.status).toBe(200);
    const stopped = await page.goto(fresh);
    expect(stopped?.status()).toBe(404);
    expect(await page.locator('p.lead').textContent()).toContain('This feed has stopped');
    await context.close();
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
