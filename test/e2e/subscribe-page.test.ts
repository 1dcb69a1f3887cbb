import { mkdir, readFile } from 'node:fs/promises';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_FILE } from '../../functions/local/demo.ts';
import { header, readMailbox, type StoredEmail } from '../../functions/local/mailbox.ts';
import { chromiumSkipReason, hasChromium, launchChromium } from '../support/browser.ts';
import { bootTestStack } from '../support/local-stack.ts';

if (!hasChromium) console.warn(chromiumSkipReason);

const SCREENSHOTS = new URL('../../.build/screenshots/subscription', import.meta.url).pathname;

describe.skipIf(!hasChromium)('the subscription flow in Chromium', () => {
  let stack: Awaited<ReturnType<typeof bootTestStack>>;
  let browser: Browser;
  // Kept after the run (git-ignored) for a person to look at.
  const shots = () => SCREENSHOTS;
  beforeAll(async () => {
    stack = await bootTestStack();
    browser = await launchChromium();
    await mkdir(SCREENSHOTS, { recursive: true });
    // Papers for a digest, so that the reader can use the links a digest carries.
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

  /** The page fits its width (no horizontal scroll), at 375 px and at 1280 px, with a screenshot of each. */
  async function checkLayout(page: Page, name: string): Promise<void> {
    for (const width of [375, 1280]) {
      await page.setViewportSize({ width, height: 900 });
      const overflow = await page.evaluate<number>(
        'document.documentElement.scrollWidth - document.documentElement.clientWidth',
      );
      expect(overflow, `${name} at ${width} px`).toBeLessThanOrEqual(0);
      await page.screenshot({ path: `${shots()}/${name}-${width}.png`, fullPage: true });
    }
  }

  /** Tabs through the page: every link, field and button is reached by the keyboard, in order. */
  async function checkKeyboard(page: Page, name: string): Promise<void> {
    // Browser-side code as text: this project is type-checked for Node, without the DOM's types.
    const controls =
      await page.evaluate<number>(`[...document.querySelectorAll('a[href], button, input:not([type=hidden]), select')]
      .filter((el) => el.tabIndex >= 0 && !el.closest('[aria-hidden=true]')).length`);
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

  it('subscribe → confirm by one click → preferences → export → unsubscribe from a digest → resubscribe → erase', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();

    // 1. The sign-up page.
    await page.goto(stack.urls.api);
    expect(await page.title()).toBe('Subscribe · Paperboy');
    await checkLayout(page, 'subscribe');
    await checkKeyboard(page, 'subscribe');
    await page.getByLabel('Email address').fill('reader@example.org');
    await page.getByLabel(/^Topics/u).fill('retrieval, speech');
    await page.getByLabel('How often').selectOption('daily');
    await page.getByLabel(/Papers per email/u).fill('5');
    await page.getByRole('button', { name: 'Subscribe' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Check your inbox');

    // 2. One click on the emailed link confirms (the page's script posts).
    const [confirmation] = await mails('reader@example.org', 'Confirm');
    await page.goto(linkIn(confirmation, 'confirm'));
    await expect.poll(() => page.locator('h1').textContent()).toBe('You are subscribed');
    await checkLayout(page, 'confirmed');

    // 3. Preferences, from the confirmed page's link.
    await page.getByRole('link', { name: /Choose your topics/u }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Your preferences');
    await checkLayout(page, 'preferences');
    await checkKeyboard(page, 'preferences');
    expect(await page.getByLabel(/^Topics/u).inputValue()).toBe('retrieval, speech');
    await page.getByLabel(/^Topics/u).fill('speech, robotics');
    await page.getByRole('button', { name: 'Save preferences' }).click();
    await expect
      .poll(() => page.locator('.status').textContent())
      .toContain('Saved. You get up to 5 papers every day.');
    const preferencesUrl = page.url();

    // 4. Export: a JSON download of what is stored.
    const download = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: /Download everything/u }).click(),
    ]).then(([d]) => d);
    const exported = JSON.parse(await readFile((await download.path()) as string, 'utf8'));
    expect(exported.subscriber).toMatchObject({
      email: 'reader@example.org',
      topics: ['speech', 'robotics'],
    });

    // 5. A digest arrives; its unsubscribe link shows a page whose button unsubscribes.
    await stack.handlers.rank({ date: '2026-11-26' });
    const [digest] = await mails('reader@example.org', 'Trending');
    expect(header(digest as StoredEmail, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
    expect(digest?.body.text).toMatch(/Preferences: http/u);
    await page.goto(linkIn(digest, 'unsubscribe'));
    expect(await page.locator('h1').textContent()).toBe('Unsubscribe from Paperboy?');
    await page.getByRole('button', { name: 'Unsubscribe' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('You are unsubscribed');
    await checkLayout(page, 'unsubscribed');

    // 6. "That was a mistake": a new confirmation, and one click again.
    await page.getByRole('button', { name: 'Resubscribe' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Check your inbox');
    const confirmations = await mails('reader@example.org', 'Confirm');
    expect(confirmations).toHaveLength(2);
    await page.goto(linkIn(confirmations.at(-1), 'confirm'));
    await expect.poll(() => page.locator('h1').textContent()).toBe('You are subscribed');

    // 7. Erase, behind its confirmation step. The old preferences link stops working.
    await page.getByRole('link', { name: /Choose your topics/u }).click();
    await page.getByRole('link', { name: 'Erase my data' }).click();
    expect(await page.locator('h1').textContent()).toBe('Erase your data?');
    await checkLayout(page, 'erase');
    await page.getByRole('button', { name: 'Erase my data' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Your data is erased');
    const id = await stack.local.operator.subscriberId('reader@example.org');
    expect(await stack.local.operator.subscribers.get(id)).toMatchObject({ status: 'erased' });
    expect(JSON.stringify(await stack.local.operator.subscribers.get(id))).not.toContain(
      'reader@example.org',
    );
    const old = await page.goto(preferencesUrl);
    expect(old?.status()).toBeGreaterThanOrEqual(400);
    await context.close();
  });

  it('works with scripts off: the form posts, the confirmation page has a button', async () => {
    const context: BrowserContext = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(stack.urls.api);
    await page.getByLabel('Email address').fill('noscript@example.org');
    await page.getByRole('button', { name: 'Subscribe' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Check your inbox');
    const [confirmation] = await mails('noscript@example.org', 'Confirm');
    await page.goto(linkIn(confirmation, 'confirm'));
    // Without the script, nothing happens until the button is pressed.
    expect(await page.locator('h1').textContent()).toBe('Confirm your subscription');
    const id = await stack.local.operator.subscriberId('noscript@example.org');
    expect((await stack.local.operator.subscribers.get(id))?.status).toBe('pending');
    await checkKeyboard(page, 'confirm');
    await page.getByRole('button', { name: 'Confirm my subscription' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('You are subscribed');
    expect((await stack.local.operator.subscribers.get(id))?.status).toBe('active');
    await context.close();
  });

  it('shows a clear page for a broken link, with the same layout', async () => {
    const page = await browser.newPage();
    const response = await page.goto(new URL('unsubscribe?token=garbage', stack.urls.api).toString());
    expect(response?.status()).toBe(400);
    expect(await page.locator('p.lead').textContent()).toBe('This link is invalid or has expired.');
    await checkLayout(page, 'error');
    await page.close();
  });
});
