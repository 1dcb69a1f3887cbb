import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoPaperRepository } from '../../functions/adapters/dynamo-paper-repository.ts';
import {
  DEMO_EDITIONS,
  DEMO_SUBSCRIBER,
  DEMO_TOPICS,
  type DemoRun,
  describeDemo,
  isVelocityReason,
  runDemo,
  SAMPLE_DAYS,
} from '../../functions/local/demo.ts';
import { readMailbox } from '../../functions/local/mailbox.ts';
import { documentClient } from '../../functions/shared/aws/dynamodb.ts';
import { bootTestStack } from '../support/local-stack.ts';

let stack: Awaited<ReturnType<typeof bootTestStack>>;
let run: DemoRun;
const OTHER_READER = 'other@example.org';

beforeAll(async () => {
  stack = await bootTestStack();
  // Another active subscriber, who must get none of the demo's editions.
  await fetch(new URL('subscriptions', stack.urls.api), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: OTHER_READER }),
  });
  await stack.idle();
  const confirmation = (await readMailbox(stack.urls.ses)).find((m) =>
    m.destination.to.includes(OTHER_READER),
  );
  const link = confirmation?.body.text?.match(/http\S+\/confirm\?token=\S+/u)?.[0];
  expect((await fetch(link as string, { method: 'POST' })).status).toBe(200);

  run = await runDemo(stack);
}, 120_000);
afterAll(async () => {
  await stack?.cleanup();
});

const titles = (digest: DemoRun['editions'][number]['digest']) => digest?.papers.map((p) => p.title) ?? [];

describe('the start-up demo (npm start)', () => {
  it('ingests one file a day, in order, each re-reporting earlier papers with newer counts', () => {
    expect(run.files.map((f) => [f.day, f.result.status, f.result.rejected])).toEqual(
      SAMPLE_DAYS.map((d) => [d.day, 'ingested', 0]),
    );
    expect(run.files.map((f) => f.result.accepted)).toEqual([22, 33, 33, 35, 40]);
    for (const file of run.files.slice(1)) expect(file.result.stored.updated, file.day).toBeGreaterThan(0);
  });

  it('observes each file at the observed-at time it was uploaded with, so velocity shows at once', async () => {
    const papers = new DynamoPaperRepository(documentClient(), stack.options.tableName);
    // "Late-Interaction Retrieval with Learned Token Pruning", listed on three mornings.
    const history = await papers.signalHistory(['2611.08003'], '2026-11-01T00:00:00.000Z');
    expect(history.get('2611.08003')?.map((p) => [p.observedAt, p.upvotes, p.stars])).toEqual([
      ['2026-11-22T06:00:00.000Z', 14, 45],
      ['2026-11-23T06:00:00.000Z', 38, 110],
      ['2026-11-24T06:00:00.000Z', 52, 140],
    ]);
    // "Multi-Vector Image Retrieval…": 3 upvotes on the 25th, 78 on the 26th, one day apart.
    const edition = await stack.local.operator.editions.get('2026-11-26');
    const entry = edition?.entries.find((e) => e.paper.id === '2611.09503');
    expect(entry?.parts.upvotesPerDay).toBe(75);
    expect(entry?.parts.starsPerDay).toBe(178);
    expect(entry?.reasons).toContain('+75 upvotes/day (▲ 78)');
  });

  it('sends both editions to the demo reader alone, on topic, the second repeating none of the first', async () => {
    const digests = (await readMailbox(stack.urls.ses)).filter((m) => m.subject.startsWith('Trending'));
    expect(digests.map((m) => [m.destination.to, m.subject])).toEqual(
      DEMO_EDITIONS.map((date) => [[DEMO_SUBSCRIBER], `Trending papers for ${date}`]),
    );
    expect(run).toMatchObject({ digestsSent: 2, confirmationsSent: 1, repeated: [] });
    const [first, second] = run.editions.map((e) => e.digest);
    expect(titles(first).length).toBeGreaterThan(0);
    expect(titles(second).length).toBeGreaterThan(0);
    expect(titles(second).filter((title) => titles(first).includes(title))).toEqual([]);
    // Every paper is there for a topic of the reader's, and says where it matched.
    const topics = DEMO_TOPICS.map((t) => t.toLowerCase());
    for (const paper of [...(first?.papers ?? []), ...(second?.papers ?? [])]) {
      const said = paper.reasons
        .filter((r) => /^(?:matches|about|related to) “/iu.test(r))
        .join(' ')
        .toLowerCase();
      expect(said, paper.title).not.toBe('');
      expect(topics.some((t) => said.includes(t.slice(0, 5))) || /related to/u.test(said), paper.title).toBe(
        true,
      );
    }
    // Papers seen on two mornings say how fast they are rising.
    expect(second?.papers.some((p) => p.reasons.some(isVelocityReason))).toBe(true);
    expect(run.digestHtml).toContain(titles(second)[0]);
  });

  it('prints the files, the editions, the digests and never-twice', () => {
    const lines = describeDemo(run, {
      mailbox: stack.urls.mailbox,
      api: stack.urls.api,
      digestPath: 'x.html',
    });
    expect(lines).toContain(
      '  2026-11-26  samples/hf-daily-papers-2026-11-26.json  40 papers: 22 new, 18 with newer counts (0 rejected)',
    );
    expect(lines.find((l) => l.startsWith('edition 2026-11-26:'))).toContain(
      'none of them in the 2026-11-25 digest (never twice)',
    );
    expect(lines.some((l) => /\+\d+ upvotes\/day \(▲ \d+\)/u.test(l))).toBe(true);
    expect(lines).toContain('emails sent: 2 digest(s), 1 confirmation(s)');
    expect(lines).toContain(`mailbox: ${stack.urls.mailbox}`);
  });

  it('run again on kept data, changes nothing and sends nothing', async () => {
    const again = await runDemo(stack);
    expect(again.files.map((f) => f.result.stored.new + f.result.stored.updated)).toEqual([0, 0, 0, 0, 0]);
    expect(again).toMatchObject({ digestsSent: 0, confirmationsSent: 0, repeated: [] });
    expect(again.editions.map((e) => [e.edition.created, e.digest])).toEqual([
      [false, undefined],
      [false, undefined],
    ]);
    expect(again.digestHtml).toContain('Thursday, 26 November 2026');
    const lines = describeDemo(again, { mailbox: '', api: '', digestPath: '' });
    expect(lines.filter((l) => l.includes('no digest sent'))).toHaveLength(2);
  });

  it('observes a file at its upload time when its observed-at cannot be used', async () => {
    const paper = {
      id: '2611.99901',
      title: 'A paper observed at upload',
      abstract: 'About speech.',
      publishedAt: '2026-11-26T00:00:00Z',
      signals: { upvotes: 3 },
    };
    const started = Date.now();
    await stack.s3.send(
      new PutObjectCommand({
        Bucket: stack.options.bucket,
        Key: 'incoming/bad-observed-at.jsonl',
        Body: `${JSON.stringify(paper)}\n`,
        Metadata: { 'observed-at': 'this morning' },
      }),
    );
    await stack.idle();
    expect(stack.ingested.at(-1)).toMatchObject({ status: 'ingested', accepted: 1 });
    const papers = new DynamoPaperRepository(documentClient(), stack.options.tableName);
    const [point] = (await papers.signalHistory([paper.id], '2026-11-01T00:00:00.000Z')).get(paper.id) ?? [];
    // S3 keeps LastModified to the second.
    expect(Date.parse(point?.observedAt ?? '')).toBeGreaterThanOrEqual(Math.floor(started / 1000) * 1000);
  });
});
