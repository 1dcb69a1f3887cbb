import { readFile } from 'node:fs/promises';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { collectPapers } from '../core/formats/open-papers.ts';
import { INGEST_PREFIX } from '../core/ingest-file.ts';
import { paperDay } from '../core/paper.ts';
import type { RankEditionResult } from '../core/rank-edition.ts';
import { readMailbox } from './mailbox.ts';
import type { LocalStack } from './stack.ts';

export const SAMPLE_FILE = new URL('../../samples/hf-daily-papers-demo.json', import.meta.url);
export const DEMO_SUBSCRIBER = 'reader@example.org';

export interface DemoRun {
  papersIngested: number;
  rejected: number;
  edition: RankEditionResult;
  digestsSent: number;
  confirmationsSent: number;
  digestHtml: string;
}

/**
 * The start-up run, through the real paths: upload the sample file (S3 event → ingest handler),
 * subscribe and confirm a demo reader over HTTP, rank the sample's newest day, send it to the
 * demo reader through the send queue, and read the digest back from the SES emulator.
 */
export async function runDemo(stack: LocalStack): Promise<DemoRun> {
  const since = Math.floor(Date.now() / 1000);
  const body = await readFile(SAMPLE_FILE);
  await stack.s3.send(
    new PutObjectCommand({
      Bucket: stack.options.bucket,
      Key: `${INGEST_PREFIX}samples/hf-daily-papers-demo.json`,
      Body: body,
      ContentType: 'application/json',
    }),
  );
  await stack.idle();
  failOnDeadLetters(stack);
  const ingest = stack.ingested.at(-1);
  if (ingest?.status !== 'ingested') {
    throw new Error(`the sample file was not ingested: ${ingest?.error ?? 'no event'}`);
  }

  const subscribed = await fetch(new URL('subscriptions', stack.urls.api), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: DEMO_SUBSCRIBER, topics: ['retrieval', 'speech'] }),
  });
  if (subscribed.status !== 202) throw new Error(`subscribing the demo reader answered ${subscribed.status}`);
  // The sign-up is worked after the answer (the sign-up queue): wait for it.
  await stack.idle();
  failOnDeadLetters(stack);
  const confirmation = (await readMailbox(stack.urls.ses)).find(
    (m) => m.at >= since && m.destination.to.includes(DEMO_SUBSCRIBER) && m.subject.startsWith('Confirm'),
  );
  // No confirmation means the reader is already active from an earlier run (data is kept on disk).
  const confirmUrl = confirmation?.body.text?.match(/https?:\/\/\S+\/confirm\?token=\S+/u)?.[0];
  if (confirmation && !confirmUrl) throw new Error('the confirmation email has no confirmation link');
  if (confirmUrl) {
    // What the confirmation page's script does: a GET only shows the page.
    const confirmed = await fetch(confirmUrl, { method: 'POST' });
    if (confirmed.status !== 200) throw new Error(`confirming the demo reader answered ${confirmed.status}`);
  }

  const sample = await collectPapers(body.toString('utf8'), { observedAt: new Date().toISOString() });
  const date = sample.papers.map(paperDay).sort().at(-1) ?? new Date().toISOString().slice(0, 10);
  // Make the sample day's edition, and send it to the demo reader alone: other subscribers of a
  // kept data folder get the editions the schedule makes, never the sample day's.
  const edition = await stack.handlers.rank({ date, dispatch: false });
  const readerId = await stack.local.operator.subscriberId(DEMO_SUBSCRIBER);
  if (edition.entries > 0)
    await stack.local.queue.enqueue([{ editionDate: date, subscriberIds: [readerId] }]);
  await stack.idle();
  failOnDeadLetters(stack);

  const sent = (await readMailbox(stack.urls.ses)).filter((m) => m.at >= since);
  const digest = sent.find(
    (m) => m.destination.to.includes(DEMO_SUBSCRIBER) && m.subject.startsWith('Trending'),
  );
  const digestHtml =
    digest?.body.html ?? (await (await fetch(new URL(`editions/${date}`, stack.urls.api))).text());
  return {
    papersIngested: ingest.accepted,
    rejected: ingest.rejected,
    edition,
    digestsSent: sent.filter((m) => m.subject.startsWith('Trending')).length,
    confirmationsSent: confirmUrl ? 1 : 0,
    digestHtml,
  };
}

function failOnDeadLetters(stack: LocalStack): void {
  if (stack.deadLetters.length > 0) {
    const detail = stack.deadLetters.map((d) => `${d.source}: ${d.error}`).join('; ');
    throw new Error(`the pipeline failed: ${detail}`);
  }
}
