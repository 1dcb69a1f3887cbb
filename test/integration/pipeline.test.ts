import { readFile } from 'node:fs/promises';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_FILE } from '../../functions/local/demo.ts';
import { header, readMailbox, type StoredEmail } from '../../functions/local/mailbox.ts';
import { documentClient } from '../../functions/shared/aws/dynamodb.ts';
import { bootTestStack } from '../support/local-stack.ts';

let stack: Awaited<ReturnType<typeof bootTestStack>>;
beforeAll(async () => {
  stack = await bootTestStack();
});
afterAll(async () => {
  await stack?.cleanup();
});

const upload = async (key: string, body: string | Buffer) => {
  await stack.s3.send(new PutObjectCommand({ Bucket: stack.options.bucket, Key: key, Body: body }));
  await stack.idle();
};
const readObject = async (key: string) => {
  const object = await stack.s3.send(new GetObjectCommand({ Bucket: stack.options.bucket, Key: key }));
  return JSON.parse((await object.Body?.transformToString()) ?? 'null');
};
const mailTo = async (address: string, subjectStart: string): Promise<StoredEmail[]> =>
  (await readMailbox(stack.urls.ses)).filter(
    (m) => m.destination.to.includes(address) && m.subject.startsWith(subjectStart),
  );

async function subscribeAndConfirm(email: string): Promise<void> {
  const response = await fetch(new URL('subscriptions', stack.urls.api), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email }),
  });
  expect(response.status).toBe(202);
  // The sign-up is worked after the answer, through the sign-up queue.
  await stack.idle();
  const [confirmation] = await mailTo(email, 'Confirm');
  const link = confirmation?.body.text?.match(/http\S+\/confirm\?token=\S+/u)?.[0];
  expect(link, 'confirmation link').toBeDefined();
  // The link's page confirms by a POST (its script); the GET alone changes nothing.
  expect((await fetch(link as string)).status).toBe(200);
  expect((await fetch(link as string, { method: 'POST' })).status).toBe(200);
}

describe('the pipeline on the local stack', () => {
  it('ingests an uploaded file into the papers table through the S3 event, idempotently', async () => {
    const body = await readFile(SAMPLE_FILE);
    await upload('incoming/2026-11-26/hf daily.json', body);
    const [result] = stack.ingested;
    expect(result).toMatchObject({
      key: 'incoming/2026-11-26/hf daily.json',
      status: 'ingested',
      accepted: 40,
      stored: { new: 40 },
    });
    const db = documentClient();
    const { Item } = await db.send(
      new GetCommand({ TableName: stack.options.tableName, Key: { PK: 'PAPER#2611.10000', SK: 'PAPER' } }),
    );
    expect(Item?.title).toBe('Retrieval-Augmented Speech Recognition for Rare Named Entities');
    const day = await db.send(
      new QueryCommand({
        TableName: stack.options.tableName,
        IndexName: 'GSI1',
        KeyConditionExpression: 'GSI1PK = :d',
        ExpressionAttributeValues: { ':d': 'DAY#2026-11-26' },
      }),
    );
    expect(day.Items?.length).toBeGreaterThan(0);

    // The same S3 event delivered again changes nothing.
    const replay = await stack.handlers.ingest({
      Records: [
        {
          eventName: 'ObjectCreated:Put',
          s3: { object: { key: 'incoming/2026-11-26/hf+daily.json', eTag: 'x' } },
        },
      ],
    });
    expect(replay[0]).toMatchObject({ accepted: 40, stored: { new: 0, unchanged: 40 } });
  });

  it('keeps the good records of a partly bad file and reports the bad ones with index and reason', async () => {
    const good = JSON.parse((await readFile(SAMPLE_FILE, 'utf8')).toString())[0];
    const bad = { ...good, paper: { ...good.paper, id: '2611.99999', title: '' } };
    await upload('incoming/partly-bad.json', JSON.stringify([bad, good]));
    expect(stack.ingested.at(-1)).toMatchObject({ status: 'ingested', accepted: 1, rejected: 1 });
    const report = await readObject('reports/incoming/partly-bad.json.rejects.json');
    expect(report.rejected).toEqual([{ index: 0, field: 'paper.title', reason: expect.any(String) }]);
  });

  it('quarantines a file that is not readable at all, with an error report, without crashing', async () => {
    await upload('incoming/broken.json', '[{"this is": "cut off');
    expect(stack.ingested.at(-1)).toMatchObject({
      status: 'quarantined',
      error: expect.stringContaining('ends early'),
    });
    expect((await readObject('quarantine/incoming/broken.json.error.json')).error).toContain('ends early');
    await expect(readObject('incoming/broken.json')).rejects.toThrow();
    expect(stack.deadLetters).toEqual([]);
  });

  it('ranks, sends once with one-click unsubscribe, and honours the unsubscribe at once', async () => {
    await subscribeAndConfirm('stays@example.org');
    await subscribeAndConfirm('leaves@example.org');

    const edition = await stack.handlers.rank({ date: '2026-11-26' });
    await stack.idle();
    expect(edition).toMatchObject({ created: true, subscribers: 2 });
    const [digest] = await mailTo('leaves@example.org', 'Trending');
    expect(digest).toBeDefined();
    // Its first paper is the edition's best for this reader: with no topics, the trending top.
    const stored = await stack.local.operator.editions.get('2026-11-26');
    const topTitle = stored?.entries[0]?.paper.title as string;
    expect(digest?.body.html).toContain(topTitle);
    expect(digest?.body.text).toContain(`1. ${topTitle}`);
    expect(digest?.body.text).toContain('Why: ');
    expect(header(digest as StoredEmail, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
    const unsubscribeUrl = header(digest as StoredEmail, 'List-Unsubscribe')?.match(/^<(.+)>$/u)?.[1];
    expect(unsubscribeUrl).toMatch(/\/unsubscribe\?token=/u);
    expect(unsubscribeUrl).not.toContain('leaves@example.org');

    // The same edition dispatched again reaches nobody twice.
    const again = await stack.handlers.rank({ date: '2026-11-26' });
    await stack.idle();
    expect(again.created).toBe(false);
    expect(await mailTo('stays@example.org', 'Trending')).toHaveLength(1);
    expect(await mailTo('leaves@example.org', 'Trending')).toHaveLength(1);

    // A link scanner's GET changes nothing; the RFC 8058 POST unsubscribes with 200, no redirect.
    expect((await fetch(unsubscribeUrl as string)).status).toBe(200);
    const oneClick = await fetch(unsubscribeUrl as string, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
      redirect: 'manual',
    });
    expect(oneClick.status).toBe(200);

    // The next edition reaches the one who stayed, and not the one who left.
    await stack.handlers.rank({ date: '2026-11-27' });
    await stack.idle();
    const staysDigests = await mailTo('stays@example.org', 'Trending');
    expect(staysDigests).toHaveLength(2);
    // Never twice: the second digest repeats no paper of the first.
    const titlesOf = (mail: StoredEmail | undefined) =>
      (mail?.body.text ?? '')
        .split('\n')
        .filter((line) => /^\d+\. /u.test(line))
        .map((line) => line.replace(/^\d+\. /u, ''));
    const [firstDigest, secondDigest] = staysDigests;
    expect(titlesOf(secondDigest).length).toBeGreaterThan(0);
    expect(titlesOf(secondDigest).filter((title) => titlesOf(firstDigest).includes(title))).toEqual([]);
    expect(await mailTo('leaves@example.org', 'Trending')).toHaveLength(1);
    expect(stack.deadLetters).toEqual([]);
  });

  it('serves the web view of an edition', async () => {
    const response = await fetch(new URL('editions/2026-11-26', stack.urls.api));
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('Thursday, 26 November 2026');
  });
});
