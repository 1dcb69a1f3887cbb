import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchPut } from '../../functions/adapters/dynamo-batch.ts';
import { DynamoDeliveryLedger } from '../../functions/adapters/dynamo-delivery-ledger.ts';
import { DynamoPaperRepository } from '../../functions/adapters/dynamo-paper-repository.ts';
import { subscriberItem } from '../../functions/adapters/dynamo-subscriber-repository.ts';
import { DELIVERY_HEADER, DELIVERY_TAGS } from '../../functions/core/delivery-tags.ts';
import type { Subscriber } from '../../functions/core/subscriber.ts';
import { SAMPLE_FILE } from '../../functions/local/demo.ts';
import { header, readMailbox, type StoredEmail } from '../../functions/local/mailbox.ts';
import { writeStackInfo } from '../../functions/local/stack-info.ts';
import { documentClient } from '../../functions/shared/aws/dynamodb.ts';
import { bootTestStack } from '../support/local-stack.ts';
import { FixedClock } from '../support/memory-ports.ts';
import { paper } from '../support/papers.ts';

const BIN = new URL('../../bin/paperboy.mjs', import.meta.url).pathname;
const FIRST = '2026-11-26';
const SECOND = '2026-11-27';
let stack: Awaited<ReturnType<typeof bootTestStack>>;

/** Runs the real CLI in its own process, attached to the test stack as to a running `npm start`. */
async function paperboy(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      'node',
      [BIN, ...args, '--data-dir', stack.options.dataDir],
      { env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'ERROR' } },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code: number; stdout: string; stderr: string };
    return { code: failure.code, stdout: failure.stdout, stderr: failure.stderr };
  }
}
const json = async (...args: string[]) => {
  const result = await paperboy(...args, '--json');
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout);
};

function reader(id: string, email: string): Subscriber {
  return {
    id,
    email,
    status: 'active',
    topics: [],
    authors: [],
    exclude: [],
    frequency: 'daily',
    digestSize: 4,
    signupId: `signup-${id}`,
    version: 1,
    createdAt: '2026-11-01T00:00:00.000Z',
    updatedAt: '2026-11-01T00:00:00.000Z',
  };
}
const ADDRESSES = [
  'ana@example.org',
  'ben@example.org',
  // SES's mailbox simulator: a permanent bounce, answered as SES answers it.
  'bounce@simulator.amazonses.com',
];
/** Subscriber ids as the api function derives them from addresses (so the CLI finds them by address). */
const idOf = (email: string) => stack.local.operator.subscriberId(email);
/** The messages of one edition sent to an address (by the delivery header every digest carries). */
const mailOf = async (to: string, edition: string): Promise<StoredEmail[]> =>
  (await readMailbox(stack.urls.ses)).filter(
    (m) => m.destination.to.includes(to) && header(m, DELIVERY_HEADER)?.endsWith(`/${edition}`),
  );

beforeAll(async () => {
  stack = await bootTestStack();
  const { tableName, bucket, sender, timeZone, dataDir } = stack.options;
  await writeStackInfo({
    pid: process.pid,
    role: 'npm-start',
    state: 'running',
    command: 'npm start (test)',
    urls: stack.urls,
    dataDir,
    tableName,
    bucket,
    sender,
    timeZone,
  });
  // As `npm start` does: SES's events for what the emulator took, every second.
  stack.sesEvents.start(1000);
  await stack.s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: `incoming/${FIRST}/papers.json`,
      Body: await readFile(SAMPLE_FILE),
    }),
  );
  await stack.idle();
  const readers = await Promise.all(ADDRESSES.map(async (email) => reader(await idOf(email), email)));
  await batchPut(documentClient(), tableName, readers.map(subscriberItem));
  // The day's edition, made and not yet sent.
  expect(await stack.handlers.rank({ date: FIRST, dispatch: false })).toMatchObject({ created: true });
}, 60_000);
afterAll(async () => {
  await stack?.cleanup();
});

describe('the delivery commands against a running stack', { timeout: 90_000 }, () => {
  it('send --dry-run counts who would get it, and sends nothing', async () => {
    const report = await json('send', '--edition', FIRST, '--dry-run');
    expect(report).toMatchObject({ edition: FIRST, dryRun: true, due: 3, sent: 3, failed: 0 });
    expect(await readMailbox(stack.urls.ses)).toEqual([]);
  });

  it('preview writes the exact email a subscriber gets, headers included', async () => {
    const out = join(stack.options.dataDir, 'ana.html');
    const text = join(stack.options.dataDir, 'ana.txt');
    const report = await json(
      'preview',
      '--subscriber',
      'ana@example.org',
      '--edition',
      FIRST,
      '--out',
      out,
      '--text',
      text,
    );
    expect(report).toMatchObject({ edition: FIRST, papers: 4, out });
    expect(report.headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    const html = await readFile(out, 'utf8');
    expect(html).toContain('<!doctype html>');
    expect(await readFile(text, 'utf8')).toContain('1. ');
    // Nothing was claimed: the send below still sends Ana hers, and it is this very email
    // (the links' tokens carry their own time, so they are compared without their values).
    await json('send', '--edition', FIRST);
    const [sent] = await mailOf('ana@example.org', FIRST);
    const withoutTokens = (s: string) => s.replace(/token=[^"&\s]+/gu, 'token=…');
    expect(withoutTokens(sent?.body.html ?? '')).toBe(withoutTokens(html));
    const missing = await paperboy('preview', '--subscriber', 'nobody@example.org', '--out', out);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no subscriber has that address');
  });

  it('send sends each due reader once: a second run sends nothing and says so', async () => {
    expect((await mailOf('ben@example.org', FIRST)).length).toBe(1);
    const again = await paperboy('send', '--edition', FIRST);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('sent 0 of');
    expect(again.stdout).toContain('nothing to send: every due reader has this edition already');
    // Whoever SES's events have bounced by now is no longer due; everyone due already has it.
    const report = await json('send', '--edition', FIRST);
    expect(report).toMatchObject({ sent: 0, failed: 0 });
    expect(report.skipped).toBe(report.due);
    for (const to of ['ana@example.org', 'ben@example.org', 'bounce@simulator.amazonses.com']) {
      expect((await mailOf(to, FIRST)).length, to).toBe(1);
    }
  });

  it("stats counts the edition's sends and SES's answers: the simulator's bounce suppressed its address", async () => {
    const stats = await json('stats', '--edition', FIRST);
    expect(stats).toMatchObject({ edition: FIRST, sent: 3, delivered: 2, bounced: 1, hangingClaims: [] });
  });

  it('feedback feeds SES events from a file; a malformed one is reported with its place, the rest applied', async () => {
    const [bens] = await mailOf('ben@example.org', FIRST);
    const complaint = {
      'detail-type': 'Email Complaint Received',
      source: 'aws.ses',
      detail: {
        eventType: 'Complaint',
        mail: {
          messageId: bens?.messageId,
          destination: ['ben@example.org'],
          tags: {
            [DELIVERY_TAGS.subscriber]: [await idOf('ben@example.org')],
            [DELIVERY_TAGS.edition]: [FIRST],
          },
        },
        complaint: { complaintFeedbackType: 'abuse' },
      },
    };
    const file = join(stack.options.dataDir, 'events.jsonl');
    // A control command is not an SES event: a file cannot resolve deliveries.
    const command = JSON.stringify({ check: 'hanging-claims', resolve: true });
    await writeFile(
      file,
      `${JSON.stringify(complaint)}\n{"detail": {"eventType": "Bounce"}}\nnot json\n${command}\n`,
    );
    const result = await paperboy('feedback', file);
    expect(result.code).toBe(2);
    expect(result.stdout).toContain('4 event(s): 1 complained, 3 malformed');
    expect(result.stdout).toContain('line 4: not an SES event');
    // The same file again applies nothing twice.
    expect((await paperboy('feedback', file)).stdout).toContain('4 event(s): 1 ignored, 3 malformed');
    expect(result.stdout).toContain('line 2: not an SES event: detail.mail');
    expect(result.stdout).toContain('line 3: not JSON');
    const stats = await json('stats', '--edition', FIRST);
    expect(stats).toMatchObject({ complained: 1 });
  });

  it('keeps a bounced and a complaining address out of the next edition', async () => {
    const at = new Date(`${SECOND}T05:00:00Z`);
    await new DynamoPaperRepository(documentClient(), stack.options.tableName).store(
      Array.from({ length: 6 }, (_, i) => ({
        ...paper(`2611.20${i}`, 0, { upvotes: 50 - i }),
        publishedAt: new Date(at.getTime() - i * 60_000).toISOString(),
      })),
    );
    await stack.handlers.rank({ date: SECOND, dispatch: false });
    const report = await json('send', '--edition', SECOND);
    expect(report).toMatchObject({ edition: SECOND, due: 1, sent: 1 });
    expect((await mailOf('ana@example.org', SECOND)).length).toBe(1);
    expect(await mailOf('ben@example.org', SECOND)).toEqual([]);
    expect(await mailOf('bounce@simulator.amazonses.com', SECOND)).toEqual([]);
  });

  it('lists a delivery a dead worker left sending, and resolve releases it and sends it', async () => {
    // Cy's claim was written 20 minutes ago by a worker that died before calling SES.
    const { tableName } = stack.options;
    const cy = await idOf('cy@example.org');
    await batchPut(documentClient(), tableName, [subscriberItem(reader(cy, 'cy@example.org'))]);
    const then = new FixedClock(new Date(Date.now() - 20 * 60_000));
    expect(
      await new DynamoDeliveryLedger(documentClient(), tableName, then).claim(cy, SECOND, ['2611.200']),
    ).toBe(true);
    const stats = await json('stats', '--edition', SECOND);
    expect(stats.hangingClaims).toEqual([
      { subscriberId: cy, editionDate: SECOND, claimedAt: expect.any(String) },
    ]);
    const text = await paperboy('stats', '--edition', SECOND);
    expect(text.stdout).toContain('1 delivery(ies) left sending past 15 minutes');
    expect(await mailOf('cy@example.org', SECOND)).toEqual([]);

    const resolved = await json('deliveries', 'resolve');
    expect(resolved).toMatchObject({ released: 1, jobs: 1, sending: 0 });
    expect((await mailOf('cy@example.org', SECOND)).length).toBe(1);
    expect((await json('stats', '--edition', SECOND)).hangingClaims).toEqual([]);
    expect(await json('deliveries', 'resolve')).toMatchObject({ released: 0 });
  });
});
