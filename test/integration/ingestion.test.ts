import { readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoPaperRepository } from '../../functions/adapters/dynamo-paper-repository.ts';
import type { IngestFileResult } from '../../functions/core/ingest-file.ts';
import type { Paper } from '../../functions/core/paper.ts';
import { titleId } from '../../functions/core/text.ts';
import { SAMPLE_FILE } from '../../functions/local/demo.ts';
import { documentClient } from '../../functions/shared/aws/dynamodb.ts';
import { bootTestStack } from '../support/local-stack.ts';
import { paper } from '../support/papers.ts';
import { hasSharedData, readSample, sharedDataSkipReason } from '../support/shared-data.ts';

let stack: Awaited<ReturnType<typeof bootTestStack>>;
let papers: DynamoPaperRepository;
beforeAll(async () => {
  stack = await bootTestStack();
  papers = new DynamoPaperRepository(documentClient(), stack.options.tableName);
});
afterAll(async () => {
  await stack?.cleanup();
});

async function upload(key: string, body: string | Buffer): Promise<IngestFileResult> {
  await stack.s3.send(new PutObjectCommand({ Bucket: stack.options.bucket, Key: key, Body: body }));
  await stack.idle();
  const result = stack.ingested.findLast((r) => r.key === key);
  if (!result) throw new Error(`no ingest result for ${key}`);
  return result;
}
const readJson = async (key: string) => {
  const object = await stack.s3.send(new GetObjectCommand({ Bucket: stack.options.bucket, Key: key }));
  return JSON.parse((await object.Body?.transformToString()) ?? 'null');
};

if (!hasSharedData) console.warn(sharedDataSkipReason);

describe.skipIf(!hasSharedData)('every shared sample through S3 → ingest → table', () => {
  it.each([
    ['hf-daily-papers-2026-06-12.json', 'hf-daily', 30],
    ['hf-daily-papers-2024-10-25.json', 'hf-daily', 29],
    ['arxiv-api-2026-search-10.xml', 'arxiv-api', 10],
    ['arxiv-api-2016-idlist-1.xml', 'arxiv-api', 1],
    ['arxiv-api-2026-zero-results.xml', 'arxiv-api', 0],
    ['arxiv-rss-2026-4items.xml', 'arxiv-rss', 4],
  ])('%s: %s, %i papers, also gzip-compressed', async (name, format, count) => {
    const text = await readSample(name);
    expect(await upload(`incoming/samples/${name}`, text)).toMatchObject({
      status: 'ingested',
      format,
      accepted: count,
      rejected: 0,
    });
    // The same content gzipped, under a name that says nothing: detected from the bytes.
    const zipped = await upload(`incoming/samples/${name}.bin`, gzipSync(text));
    expect(zipped).toMatchObject({ status: 'ingested', format, accepted: count, stored: { new: 0 } });
  });

  it('quarantines the arXiv error answer with its reason', async () => {
    const result = await upload(
      'incoming/samples/error.xml',
      await readSample('arxiv-api-2026-error-400.xml'),
    );
    expect(result).toMatchObject({
      status: 'quarantined',
      error: 'read as arxiv-api: the arXiv API answered with an error: incorrect id format for abc',
    });
    expect((await readJson('quarantine/incoming/samples/error.xml.error.json')).error).toContain(
      'incorrect id format',
    );
  });

  it('links the near-duplicate of the seed page to its canonical paper and leaves it out of candidates', async () => {
    const result = await upload('incoming/samples/page.txt', await readSample('hf-papers-page.txt'));
    expect(result).toMatchObject({
      status: 'ingested',
      format: 'page-dump',
      accepted: 235,
      stored: { new: 234, linked: 1 },
    });
    // A page dump has no dates: its papers carry the upload time.
    const canonical = (await papers.get(
      titleId('Trained Rank Pruning for Efficient Deep Neural Networks'),
    )) as Paper;
    const day = canonical.publishedAt.slice(0, 10);
    const listed = await papers.listPublishedOn([day]);
    const titles = listed.filter((p) => p.source === 'page-dump').map((p) => p.title);
    expect(titles).toHaveLength(234);
    expect(titles).toContain('Trained Rank Pruning for Efficient Deep Neural Networks');
    expect(titles).not.toContain('TRP: Trained Rank Pruning for Efficient Deep Neural Networks');
  });
});

describe('one record per paper, whatever comes in', () => {
  it('merges a page-dump copy into the paper that has an arXiv id, across files and sources', async () => {
    await upload('incoming/demo.json', await readFile(SAMPLE_FILE));
    const target = (await papers.get('2611.10000')) as Paper;
    const dump = [
      'Get trending papers in your email inbox!',
      `Subscribe${target.title}`,
      `${target.abstract} With a sentence the arXiv version does not have, which makes this abstract longer.`,
    ].join('\n');
    const result = await upload('incoming/page-with-known-paper.txt', dump);
    expect(result).toMatchObject({ format: 'page-dump', accepted: 1, stored: { merged: 1, new: 0 } });
    const merged = (await papers.get('2611.10000')) as Paper;
    expect(merged.abstract).toContain('which makes this abstract longer'); // the richer field wins
    expect(merged.signals.upvotes).toBe(target.signals.upvotes); // the dump has no votes: none lost
  });

  it('keeps the newest signals whatever the order, and a snapshot for every observation', async () => {
    const newer = paper('2611.77777', 5, { upvotes: 50, observedAt: '2026-11-26T12:00:00.000Z' });
    const older = paper('2611.77777', 5, { upvotes: 5, stars: 7, observedAt: '2026-11-25T12:00:00.000Z' });
    await papers.store([newer]);
    expect(await papers.store([older])).toMatchObject({ updated: 1 }); // stars were new
    expect(await papers.store([older])).toMatchObject({ unchanged: 1 });
    expect((await papers.get('2611.77777'))?.signals).toEqual({
      upvotes: 50,
      stars: 7,
      observedAt: '2026-11-26T12:00:00.000Z',
    });
    const { Items } = await documentClient().send(
      new QueryCommand({
        TableName: stack.options.tableName,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :s)',
        ExpressionAttributeValues: { ':pk': 'PAPER#2611.77777', ':s': 'SIGNAL#' },
      }),
    );
    expect(Items?.map((i) => [i.observedAt, i.upvotes])).toEqual([
      ['2026-11-25T12:00:00.000Z', 5],
      ['2026-11-26T12:00:00.000Z', 50],
    ]);
  });

  it('loses no update when writers race on one paper', async () => {
    const observations = Array.from({ length: 12 }, (_, i) =>
      paper('2611.88888', 5, { upvotes: i, observedAt: new Date(Date.UTC(2026, 10, 1, i)).toISOString() }),
    );
    await Promise.all(observations.map((o) => papers.store([o])));
    expect((await papers.get('2611.88888'))?.signals.upvotes).toBe(11);
  });

  it('changes nothing when the same S3 event arrives twice', async () => {
    const first = await upload('incoming/again.json', await readFile(SAMPLE_FILE));
    const replay = await stack.handlers.ingest({
      Records: [
        { eventName: 'ObjectCreated:Put', s3: { object: { key: 'incoming/again.json', eTag: 'x' } } },
      ],
    });
    expect(first.stored.new).toBe(0);
    expect(replay[0]?.stored).toEqual({ new: 0, updated: 0, unchanged: 40, merged: 0, linked: 0 });
  });
});

describe('files that cannot be read: quarantined with a report, valid records kept', () => {
  it.each([
    ['binary data', Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x01, 0x02]), /binary data/u],
    ['wrong encoding', Buffer.from('Get trending papers\nR\xe9seaux\n', 'latin1'), /not UTF-8/u],
    ['not any format', Buffer.from('<html><body>hi</body></html>'), /root <html>/u],
    [
      'entity expansion',
      Buffer.from(
        '<?xml version="1.0"?><!DOCTYPE f [<!ENTITY a "aa">]><feed xmlns="http://www.w3.org/2005/Atom"/>',
      ),
      /entity expansion/u,
    ],
  ])('%s', async (name, body, reason) => {
    const key = `incoming/bad/${name.replace(/ /gu, '-')}`;
    const result = await upload(key, body);
    expect(result).toMatchObject({ status: 'quarantined', error: expect.stringMatching(reason) });
    expect((await readJson(`quarantine/${key}.error.json`)).error).toMatch(reason);
    await expect(readJson(key)).rejects.toThrow();
  });

  it('a truncated gzip keeps the papers before the cut, and says so', async () => {
    const items = JSON.parse(await readFile(SAMPLE_FILE, 'utf8')).map(
      (item: { paper: { id: string } }, i: number) => ({
        ...item,
        paper: { ...item.paper, id: `2612.${String(i).padStart(5, '0')}` },
      }),
    );
    const zipped = gzipSync(JSON.stringify(items));
    const result = await upload(
      'incoming/truncated.json.gz',
      zipped.subarray(0, Math.floor(zipped.length * 0.6)),
    );
    expect(result).toMatchObject({
      status: 'quarantined',
      error: expect.stringMatching(/truncated|ends early/u),
    });
    expect(result.accepted).toBeGreaterThan(0);
    expect(result.accepted).toBeLessThan(40);
    const report = await readJson('quarantine/incoming/truncated.json.gz.error.json');
    expect(report.papersStoredBeforeTheFailure).toBe(result.accepted);
    // Every record before the cut is stored; none after it.
    const ids = items.map((item: { paper: { id: string } }) => item.paper.id);
    const stored = await Promise.all(ids.map((id: string) => papers.get(id)));
    expect(stored.slice(0, result.accepted).every(Boolean)).toBe(true);
    expect(stored.slice(result.accepted).some(Boolean)).toBe(false);
    expect(stack.deadLetters).toEqual([]);
  });
});
