import { readFile } from 'node:fs/promises';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { OBSERVED_AT_METADATA } from '../adapters/s3-file-store.ts';
import { INGEST_PREFIX, type IngestFileResult } from '../core/ingest-file.ts';
import type { RankEditionResult } from '../core/rank-edition.ts';
import { stripControl } from '../core/text.ts';
import { readMailbox, type StoredEmail } from './mailbox.ts';
import type { LocalStack } from './stack.ts';

/** One morning's file of the sample: what the daily papers API answered that day. */
export interface SampleDay {
  /** The UTC day the file was fetched, `YYYY-MM-DD`. */
  day: string;
  /** Its path in the repository, as the summary prints it. */
  path: string;
  url: URL;
  /** When its signals were observed: the upload carries it as the `observed-at` metadata. */
  observedAt: string;
}

const sampleDay = (day: string): SampleDay => {
  const path = `samples/hf-daily-papers-${day}.json`;
  return { day, path, url: new URL(`../../${path}`, import.meta.url), observedAt: `${day}T06:00:00.000Z` };
};

/**
 * Five days of fictional daily papers (samples/README.md), oldest first. Each day's file lists
 * that day's new papers and again the previous days' ones, with the counts they had grown to.
 */
export const SAMPLE_DAYS: readonly SampleDay[] = [
  '2026-11-22',
  '2026-11-23',
  '2026-11-24',
  '2026-11-25',
  '2026-11-26',
].map(sampleDay);
/** The newest day's file (40 papers): the one tests upload on its own. */
export const SAMPLE_FILE = (SAMPLE_DAYS.at(-1) as SampleDay).url;
export const DEMO_SUBSCRIBER = 'reader@example.org';
export const DEMO_TOPICS = ['retrieval', 'speech'];
/** Fewer than the default 10, so that the first digest leaves some of its day's papers to the second. */
export const DEMO_DIGEST_SIZE = 8;
/** The editions the demo makes and sends to its reader, in order: the day before the newest, then the newest. */
export const DEMO_EDITIONS = ['2026-11-25', '2026-11-26'];

export interface DemoFile extends SampleDay {
  result: IngestFileResult;
}

/** A digest as its reader got it, read back from the SES emulator. */
export interface DemoDigest {
  subject: string;
  papers: { title: string; reasons: string[] }[];
  html: string;
}

export interface DemoEdition {
  edition: RankEditionResult;
  /** Undefined when this run sent the reader nothing for it (a kept data folder: sent before). */
  digest?: DemoDigest;
}

export interface DemoRun {
  files: DemoFile[];
  editions: DemoEdition[];
  digestsSent: number;
  confirmationsSent: number;
  /** Titles of the last digest that an earlier digest of this run already had: never twice says none. */
  repeated: string[];
  /** The newest edition's digest as sent (or its web view when this run sent none). */
  digestHtml: string;
}

/**
 * The start-up run, through the real paths, as the days would have gone:
 * 1. upload each day's file up to the day before the newest, in order, with its observation
 *    time as `observed-at` metadata (S3 event → ingest handler; each file's counts become a
 *    signal snapshot at 06:00 of its day), waiting for each;
 * 2. subscribe and confirm a demo reader with topics over HTTP;
 * 3. make that day's edition and send it to the demo reader alone (through the send queue);
 * 4. upload the newest day's file, make its edition and send it likewise: the reader gets none of
 *    the first digest's papers again, and papers seen on two mornings carry their velocity;
 * 5. read both digests back from the SES emulator.
 * An edition is made after its own day's file and before the next one, so that it ranks with the
 * counts known on its day, as the schedule would.
 */
export async function runDemo(stack: LocalStack): Promise<DemoRun> {
  // Only what this run sends counts: the mailbox may hold an earlier run's messages.
  const before = new Set((await readMailbox(stack.urls.ses)).map((m) => m.messageId));
  const newMail = async () => (await readMailbox(stack.urls.ses)).filter((m) => !before.has(m.messageId));
  const files: DemoFile[] = [];
  const uploadUntil = async (date: string) => {
    for (const day of SAMPLE_DAYS.filter((d) => d.day <= date).slice(files.length)) {
      files.push(await uploadDay(stack, day));
    }
  };

  await uploadUntil(DEMO_EDITIONS[0] as string);
  const confirmationsSent = await subscribeDemoReader(stack, newMail);
  const readerId = await stack.local.operator.subscriberId(DEMO_SUBSCRIBER);

  const editions: DemoEdition[] = [];
  for (const date of DEMO_EDITIONS) {
    await uploadUntil(date);
    // The day's edition, sent to the demo reader alone: other subscribers of a kept data folder
    // get the editions the schedule makes, never the sample days'.
    const edition = await stack.handlers.rank({ date, dispatch: false });
    if (edition.entries > 0)
      await stack.local.queue.enqueue([{ editionDate: date, subscriberIds: [readerId] }]);
    await stack.idle();
    // SES's events for what went out (send, delivery): the feedback loop records them.
    await stack.sesEvents.pump();
    await stack.idle();
    failOnDeadLetters(stack);
    const mail = (await newMail()).find(
      (m) => m.destination.to.includes(DEMO_SUBSCRIBER) && digestDate(m.subject) === date,
    );
    editions.push({ edition, ...(mail && { digest: readDigest(mail) }) });
  }

  const sent = (await newMail()).filter((m) => digestDate(m.subject) !== undefined);
  const [last, ...earlier] = editions.map((e) => e.digest).reverse();
  const seen = new Set(earlier.flatMap((digest) => digest?.papers.map((p) => p.title) ?? []));
  const newest = DEMO_EDITIONS.at(-1) as string;
  return {
    files,
    editions,
    digestsSent: sent.length,
    confirmationsSent,
    repeated: (last?.papers ?? []).map((p) => p.title).filter((title) => seen.has(title)),
    digestHtml: last?.html ?? (await (await fetch(new URL(`editions/${newest}`, stack.urls.api))).text()),
  };
}

/** Uploads one day's file as the collector would, and waits for its ingest. */
async function uploadDay(stack: LocalStack, day: SampleDay): Promise<DemoFile> {
  const key = `${INGEST_PREFIX}${day.path}`;
  const before = stack.ingested.length;
  await stack.s3.send(
    new PutObjectCommand({
      Bucket: stack.options.bucket,
      Key: key,
      Body: await readFile(day.url),
      ContentType: 'application/json',
      Metadata: { [OBSERVED_AT_METADATA]: day.observedAt },
    }),
  );
  await stack.idle();
  failOnDeadLetters(stack);
  const result = stack.ingested.slice(before).find((r) => r.key === key);
  if (result?.status !== 'ingested') {
    throw new Error(`the sample file ${day.path} was not ingested: ${result?.error ?? 'no event'}`);
  }
  return { ...day, result };
}

/** Subscribes the demo reader over HTTP and confirms by the emailed link; how many confirmations came. */
async function subscribeDemoReader(
  stack: LocalStack,
  newMail: () => Promise<StoredEmail[]>,
): Promise<number> {
  const subscribed = await fetch(new URL('subscriptions', stack.urls.api), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: DEMO_SUBSCRIBER, topics: DEMO_TOPICS, digestSize: DEMO_DIGEST_SIZE }),
  });
  if (subscribed.status !== 202) throw new Error(`subscribing the demo reader answered ${subscribed.status}`);
  // The sign-up is worked after the answer (the sign-up queue): wait for it.
  await stack.idle();
  failOnDeadLetters(stack);
  const confirmation = (await newMail()).find(
    (m) => m.destination.to.includes(DEMO_SUBSCRIBER) && m.subject.startsWith('Confirm'),
  );
  // No confirmation means the reader is already active from an earlier run (data is kept on disk).
  const confirmUrl = confirmation?.body.text?.match(/https?:\/\/\S+\/confirm\?token=\S+/u)?.[0];
  if (confirmation && !confirmUrl) throw new Error('the confirmation email has no confirmation link');
  if (!confirmUrl) return 0;
  // What the confirmation page's script does: a GET only shows the page.
  const confirmed = await fetch(confirmUrl, { method: 'POST' });
  if (confirmed.status !== 200) throw new Error(`confirming the demo reader answered ${confirmed.status}`);
  return 1;
}

/** The papers of a digest and their reasons, from its plain-text part (`1. Title` … `Why: a · b`). */
export function readDigest(mail: StoredEmail): DemoDigest {
  const papers: DemoDigest['papers'] = [];
  for (const line of (mail.body.text ?? '').split('\n')) {
    const title = line.match(/^\d+\. (.+)$/u)?.[1];
    if (title) papers.push({ title, reasons: [] });
    const why = line.match(/^\s+Why: (.+)$/u)?.[1];
    const paper = papers.at(-1);
    if (why && paper) paper.reasons = why.split(' · ');
  }
  return { subject: mail.subject, papers, html: mail.body.html ?? '' };
}

const digestDate = (subject: string) =>
  subject.match(/^(?:Trending papers for|The week's best papers,) (\d{4}-\d{2}-\d{2})$/u)?.[1];

/** A reason measured between two snapshots: `+12 upvotes/day (▲ 40)`, `★ 190 (+178/day)`. */
export const isVelocityReason = (reason: string) => /\/day\b/u.test(reason);

/** What `npm start` prints about the run, line by line. */
export function describeDemo(
  run: DemoRun,
  where: { mailbox: string; api: string; digestPath: string },
): string[] {
  // Titles and reasons come from paper files: no control character reaches the terminal.
  const safe = stripControl;
  const cut = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);
  const at = run.files[0]?.observedAt.slice(11, 16) ?? '';
  const lines = [`papers ingested, one file a day, each observed at ${at} UTC of its day (observed-at):`];
  for (const { day, path, result } of run.files) {
    const { stored } = result;
    lines.push(
      `  ${day}  ${path}  ${result.accepted} papers: ${stored.new} new, ${stored.updated} with newer counts` +
        (stored.unchanged ? `, ${stored.unchanged} unchanged` : '') +
        ` (${result.rejected} rejected)`,
    );
  }
  lines.push(
    `demo reader: ${DEMO_SUBSCRIBER}, topics ${DEMO_TOPICS.map((t) => `“${t}”`).join(', ')}, ${DEMO_DIGEST_SIZE} papers a digest`,
  );
  for (const [index, { edition, digest }] of run.editions.entries()) {
    const made =
      `${edition.entries} papers ranked from ${edition.candidates} candidates` +
      (edition.created ? '' : ' (kept from an earlier run)');
    if (!digest) {
      lines.push(
        `edition ${edition.date}: ${made}; no digest sent (the demo reader already has it; --fresh starts over)`,
      );
      continue;
    }
    const previous = run.editions[index - 1];
    // Never twice: the last digest against the ones before it in this run.
    const repeats =
      index === 0 || !previous?.digest || index !== run.editions.length - 1
        ? ''
        : run.repeated.length === 0
          ? `, none of them in the ${previous.edition.date} digest (never twice)`
          : `, ${run.repeated.length} of them sent before`;
    lines.push(`edition ${edition.date}: ${made}; digest sent with ${digest.papers.length} papers${repeats}`);
    for (const [i, paper] of digest.papers.entries()) {
      lines.push(
        `  ${String(i + 1).padStart(2)}. ${cut(safe(paper.title), 60)}  ${safe(paper.reasons.join(' · '))}`,
      );
    }
  }
  lines.push(
    `emails sent: ${run.digestsSent} digest(s), ${run.confirmationsSent} confirmation(s)`,
    `mailbox: ${where.mailbox}`,
    `subscribe: ${where.api}`,
    `digest saved: ${where.digestPath}`,
  );
  return lines;
}

function failOnDeadLetters(stack: LocalStack): void {
  if (stack.deadLetters.length > 0) {
    const detail = stack.deadLetters.map((d) => `${d.source}: ${d.error}`).join('; ');
    throw new Error(`the pipeline failed: ${detail}`);
  }
}
