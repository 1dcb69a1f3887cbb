import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMailbox } from '../../functions/local/mailbox.ts';
import { chromiumSkipReason, hasChromium, launchChromium } from '../support/browser.ts';
import { bootTestStack } from '../support/local-stack.ts';

if (!hasChromium) console.warn(chromiumSkipReason);

describe.skipIf(!hasChromium)('subscribe and unsubscribe pages in Chromium', () => {
  let stack: Awaited<ReturnType<typeof bootTestStack>>;
  let browser: Browser;
  beforeAll(async () => {
    stack = await bootTestStack();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.cleanup();
  });

  it('subscribes with the form (no JavaScript), confirms by the emailed link, and unsubscribes with the button', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();

    await page.goto(stack.urls.api);
    expect(await page.title()).toBe('Subscribe · Paperboy');
    await page.getByLabel('Email address').fill('reader@example.org');
    await page.getByLabel(/Topics/u).fill('retrieval, speech');
    await page.getByLabel('How often').selectOption('weekly');
    await page.getByRole('button', { name: 'Subscribe' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Check your inbox');

    const mail = (await readMailbox(stack.urls.ses)).find((m) =>
      m.destination.to.includes('reader@example.org'),
    );
    const confirmLink = mail?.body.html
      ?.match(/href="([^"]+\/confirm\?token=[^"]+)"/u)?.[1]
      ?.replaceAll('&amp;', '&');
    expect(confirmLink).toBeDefined();
    await page.goto(confirmLink as string);
    expect(await page.locator('h1').textContent()).toBe('You are subscribed');

    // The unsubscribe link every digest carries for this subscriber.
    const subscriberId = mail?.body.text?.match(/token=v1\.confirm\.([^.]+)\./u)?.[1] as string;
    await page.goto(await stack.local.operator.links.unsubscribe(subscriberId));
    expect(await page.locator('h1').textContent()).toBe('Unsubscribe from Paperboy?');
    await page.getByRole('button', { name: 'Unsubscribe' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('You are unsubscribed');

    expect((await stack.local.operator.subscribers.get(subscriberId))?.status).toBe('unsubscribed');
    await page.screenshot({ path: `${stack.options.dataDir}/unsubscribed.png` });
    await context.close();
  });

  it('shows a clear page for a broken link', async () => {
    const page = await browser.newPage();
    const response = await page.goto(new URL('unsubscribe?token=garbage', stack.urls.api).toString());
    expect(response?.status()).toBe(400);
    expect(await page.locator('p.lead').textContent()).toBe('This link is invalid or has expired.');
    await page.close();
  });
});
