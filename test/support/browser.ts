import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);
export const chromiumSkipReason = `browser tests skipped: ${CHROMIUM} not found (install it with: sudo apt-get update && sudo apt-get install -y chromium)`;

/** Debian's Chromium, headless, with no network chatter of its own. */
export async function launchChromium(): Promise<Browser> {
  // Playwright gives each launch a fresh, temporary profile of its own.
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}
