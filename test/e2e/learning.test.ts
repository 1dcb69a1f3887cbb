import { mkdir, readFile } from 'node:fs/promises';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoLearnedProfiles } from '../../functions/adapters/dynamo-learned-profiles.ts';
import { SAMPLE_DAYS } from '../../functions/local/demo.ts';
import { readMailbox, type StoredEmail } from '../../functions/local/mailbox.ts';
import { documentClient } from '../../functions/shared/aws/dynamodb.ts';
import { chromiumSkipReason, hasChromium, launchChromium } from '../support/browser.ts';
import { bootTestStack } from '../support/local-stack.ts';

if (!hasChromium) console.warn(chromiumSkipReason);

const SCREENSHOTS = new URL('../../.build/screenshots/learning', import.meta.url).pathname;
const VOTER = 'voter@example.org';
const CONTROL = 'control@example.org';

/** A digest's papers as its text part lists them: rank, title, why, the vote links. */
function papersOf(mail: StoredEmail | undefined): { title: string; why: string; more?: string }[] {
  const text = mail?.body.text ?? '';
  return [...text.matchAll(/^\d+\. (.+)\n((?: {3}.*\n)*)/gmu)].map((m) => ({
    title: m[1] as string,
    why: /^ {3}Why: (.*)$/mu.exec(m[2] as string)?.[1] ?? '',
    more: /^ {3}More like this: (\S+)$/mu.exec(m[2] as string)?.[1],
  }));
}

describe.skipIf(!hasChromium)('learning from one click, in Chromium on the local stack', () => {
  let stack: Awaited<ReturnType<typeof bootTestStack>>;
  let browser: Browser;
  beforeAll(async () => {
    stack = await bootTestStack();
    browser = await launchChromium();
    await mkdir(SCREENSHOTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.cleanup();
  });

  const upload = async (key: string, body: Buffer | string) => {
    await stack.s3.send(
      new PutObjectCommand({ Bucket: stack.options.bucket, Key: `incoming/${key}`, Body: body }),
    );
    await stack.idle();
  };
  const mails = async (to: string, subject: string): Promise<StoredEmail[]> => {
    await stack.idle();
    return (await readMailbox(stack.urls.ses)).filter(
      (m) => m.destination.to.includes(to) && m.subject.startsWith(subject),
    );
  };
  /** Signs up (no topics: the trending order) and confirms by the emailed link's POST. */
  const subscribe = async (email: string) => {
    const signup = await fetch(new URL('subscriptions', stack.urls.api), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, digestSize: 5 }),
    });
    expect(signup.status).toBe(202);
    const [confirmation] = await mails(email, 'Confirm');
    const link = confirmation?.body.text?.match(/https?:\/\/\S+\/confirm\?token=\S+/u)?.[0] as string;
    expect((await fetch(link, { method: 'POST' })).status).toBe(200);
  };

  it('a click on “More like this” in a digest changes the next edition, and the reason says so', async () => {
    const [day1, day2] = [SAMPLE_DAYS.at(-2), SAMPLE_DAYS.at(-1)];
    if (!day1 || !day2) throw new Error('the samples have no two days');
    await upload('day1.json', await readFile(day1.url));
    await subscribe(VOTER);
    await subscribe(CONTROL);

    // 1. The first edition: both readers get the same trending digest, with vote links.
    await stack.handlers.rank({ date: day1.day });
    const [first] = await mails(VOTER, 'Trending');
    const [controlFirst] = await mails(CONTROL, 'Trending');
    const firstPapers = papersOf(first);
    expect(firstPapers).toHaveLength(5);
    expect(papersOf(controlFirst).map((p) => p.title)).toEqual(firstPapers.map((p) => p.title));
    const liked = firstPapers[0];
    if (!liked?.more) throw new Error('no “More like this” link in the digest');
    expect(first?.body.html).toContain('>More like this</a>');

    // 2. The reader opens the link in a browser: the page posts the vote as it loads.
    const page = await browser.newPage();
    const response = await page.goto(liked.more);
    expect(response?.status()).toBe(200);
    await expect.poll(() => page.locator('h1').textContent()).toBe('Thanks: noted');
    await page.screenshot({ path: `${SCREENSHOTS}/voted.png`, fullPage: true });
    await page.close();
    const learned = new DynamoLearnedProfiles(documentClient(), stack.options.tableName);
    const voterId = await stack.local.operator.subscriberId(VOTER);
    const profile = await learned.get(voterId);
    expect(profile?.votes).toEqual([expect.objectContaining({ vote: 'more' })]);
    expect(await learned.get(await stack.local.operator.subscriberId(CONTROL))).toBeUndefined();

    // 3. The next day: its papers, and three new ones on the liked paper's subject, with no
    //    upvotes (last in the trending order) and words of its title.
    await upload('day2.json', await readFile(day2.url));
    const words = liked.title.split(/\s+/u).filter((w) => w.length > 3);
    const alike = [0, 1, 2].map((i) => ({
      id: `2611.9990${i}`,
      title: `${['Revisiting', 'Scaling', 'Rethinking'][i]} ${words.join(' ')}`,
      abstract: `A follow-up on ${words.join(', ')}: we extend ${words.slice(0, 3).join(' ')} to new settings (${i}).`,
      authors: [`Follow Up ${i}`],
      publishedAt: `${day2.day}T00:00:00.000Z`,
      keywords: [],
      categories: [],
    }));
    await upload('alike.jsonl', `${alike.map((p) => JSON.stringify(p)).join('\n')}\n`);
    await stack.handlers.rank({ date: day2.day });

    const [, second] = await mails(VOTER, 'Trending');
    const [, controlSecond] = await mails(CONTROL, 'Trending');
    const voterPapers = papersOf(second);
    const controlPapers = papersOf(controlSecond);
    const alikeTitles = new Set(alike.map((p) => p.title));
    // Without the click: the trending order, none of them.
    expect(controlPapers.filter((p) => alikeTitles.has(p.title))).toEqual([]);
    // With it: they lead the digest, and say why.
    expect(
      voterPapers
        .slice(0, 3)
        .map((p) => p.title)
        .sort(),
    ).toEqual([...alikeTitles].sort());
    for (const p of voterPapers.slice(0, 3)) expect(p.why).toContain('similar to 1 paper you liked');
    // The liked paper itself is not sent again.
    expect(voterPapers.map((p) => p.title)).not.toContain(liked.title);

    // 4. With scripts off, the link's page changes nothing until its button is pressed.
    const fewer = second?.body.text?.match(/^ {3}Fewer like this: (\S+)$/mu)?.[1];
    if (!fewer) throw new Error('no “Fewer like this” link in the digest');
    const context = await browser.newContext({ javaScriptEnabled: false });
    const noScript = await context.newPage();
    await noScript.goto(fewer);
    expect(await noScript.locator('h1').textContent()).toBe('Fewer papers like this one');
    expect((await learned.get(voterId))?.votes).toHaveLength(1);
    await noScript.getByRole('button', { name: 'Yes, fewer like this' }).click();
    await expect.poll(() => noScript.locator('h1').textContent()).toBe('Thanks: noted');
    expect((await learned.get(voterId))?.votes.map((v) => v.vote)).toEqual(['more', 'fewer']);
    await context.close();
  });
});
