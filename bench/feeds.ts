/**
 * The archive and the feeds under load on the local stack (issue 14): 20 clients in a closed
 * loop for a few seconds each, requests per second and p99, for
 * - GET /editions/{date} (its stored page) beside the old path, kept in bench/old-edition-page.ts
 *   (the whole edition's parts read per request, rendered as the email's HTML), served on the
 *   same DynamoDB by a plain HTTP server in this process;
 * - GET /editions and GET /feed.xml (20 editions) beside GET / (a page from memory), same run;
 * - GET /feed.xml?topic=… : a topic's feed on a cold function (10 editions read and indexed)
 *   beside the same feed once the editions' indexes are kept (another topic), and under load.
 * Editions are made realistic in size: 1,000 candidates of about 800 bytes each (~800 KB).
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoEditionPages } from '../functions/adapters/dynamo-edition-pages.ts';
import { DynamoEditionRepository } from '../functions/adapters/dynamo-edition-repository.ts';
import { HtmlDigestRenderer } from '../functions/adapters/html-digest-renderer.ts';
import { compileTemplates } from '../functions/adapters/mjml-compiler.ts';
import { buildEditionPage } from '../functions/core/archive.ts';
import type { Edition } from '../functions/core/edition.ts';
import { LinkBuilder } from '../functions/core/links.ts';
import type { Paper } from '../functions/core/paper.ts';
import { rankTrending } from '../functions/core/ranking.ts';
import { EditionSelector } from '../functions/core/selection.ts';
import { defaultLocalOptions, startLocalStack } from '../functions/local/stack.ts';
import { documentClient } from '../functions/shared/aws/dynamodb.ts';
import { CACHE_POLICY } from '../functions/shared/http-cache.ts';
import { type BenchResult, result } from './harness.ts';
import { editionView } from './old-edition-page.ts';

const CLIENTS = 20;
const SECONDS = 3;
const EDITIONS = 20;
const CANDIDATES = 1000;
const WORDS = [
  'retrieval',
  'robotics',
  'speech',
  'diffusion',
  'graph',
  'agents',
  'vision',
  'language',
  'reasoning',
  'protein',
];

function syntheticPaper(date: string, i: number): Paper {
  const topic = WORDS[i % WORDS.length] as string;
  const other = WORDS[(i * 7 + 3) % WORDS.length] as string;
  const id = `${date.slice(2, 4)}${date.slice(5, 7)}.${date.slice(8)}${String(i).padStart(3, '0')}`;
  return {
    id,
    title: `Scaling ${topic} models with ${other} supervision: study number ${i} of ${date}`,
    abstract: `We study ${topic} with ${other}. ${'Our method improves results on standard benchmarks while using fewer parameters and less data. '.repeat(5)}`,
    authors: [
      'Ada Lovelace',
      'Alan Turing',
      'Grace Hopper',
      'Edsger Dijkstra',
      'Barbara Liskov',
      'Donald Knuth',
    ],
    publishedAt: new Date(Date.parse(`${date}T05:00:00Z`) - (i % 48) * 3_600_000).toISOString(),
    source: 'hf-daily',
    links: {
      abstract: `https://arxiv.org/abs/${id}`,
      pdf: `https://arxiv.org/pdf/${id}`,
      code: `https://github.com/example/${topic}-${i}`,
    },
    keywords: [topic, other, 'deep learning', 'benchmarks'],
    categories: ['cs.LG'],
    signals: { observedAt: `${date}T05:00:00Z`, upvotes: (i * 37) % 200, stars: (i * 53) % 900 },
  };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

/** `CLIENTS` clients, each sending its next request when the last is answered, for `SECONDS`. */
async function load(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ rps: number; p99: number }> {
  const latencies: number[] = [];
  const started = performance.now();
  const until = started + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (performance.now() < until) {
        const at = performance.now();
        const response = await fetch(url, { headers });
        await response.arrayBuffer();
        if (response.status >= 400) throw new Error(`${url} answered ${response.status}`);
        latencies.push(performance.now() - at);
      }
    }),
  );
  return { rps: latencies.length / ((performance.now() - started) / 1000), p99: percentile(latencies, 99) };
}

async function once(url: string): Promise<number> {
  const at = performance.now();
  const response = await fetch(url);
  await response.arrayBuffer();
  if (response.status >= 400) throw new Error(`${url} answered ${response.status}`);
  return performance.now() - at;
}

export async function benchFeeds(): Promise<BenchResult[]> {
  const dataDir = await mkdtemp(join(tmpdir(), 'paperboy-bench-'));
  const stack = await startLocalStack({
    ...defaultLocalOptions,
    dataDir,
    persist: false,
    ports: { api: 0, dynamodb: 0, s3: 0, ses: 0 },
  });
  let old: Server | undefined;
  try {
    const db = documentClient();
    const editions = new DynamoEditionRepository(db, stack.options.tableName);
    const pages = new DynamoEditionPages(db, stack.options.tableName);
    const dates = Array.from({ length: EDITIONS }, (_, i) =>
      new Date(Date.UTC(2026, 10, 26 - i)).toISOString().slice(0, 10),
    );
    let partBytes = 0;
    for (const date of dates) {
      const papers = Array.from({ length: CANDIDATES }, (_, i) => syntheticPaper(date, i));
      const edition: Edition = {
        date,
        createdAt: `${date}T06:00:00.000Z`,
        mode: 'daily',
        freshSince: new Date(Date.parse(`${date}T00:00:00Z`) - 86_400_000).toISOString(),
        entries: rankTrending(papers, new Date(`${date}T06:00:00Z`)),
        topics: [],
      };
      partBytes = Buffer.byteLength(JSON.stringify(edition.entries));
      await editions.create(edition);
      await pages.put(buildEditionPage(edition));
    }
    const pageBytes = Buffer.byteLength(JSON.stringify(await pages.get(dates[0] as string)));

    // The old path, unchanged, on the same table.
    const templates = await compileTemplates();
    const renderer = new HtmlDigestRenderer(templates);
    const links = new LinkBuilder(stack.urls.api, {
      current: () => Promise.reject(new Error('no tokens here')),
      refresh: () => Promise.reject(new Error('no tokens here')),
    });
    old = createServer((req, res) => {
      const date = (req.url ?? '').split('/').at(-1) as string;
      editionView(date, { editions, links, postalAddress: '' })
        .then((view) => {
          res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
          res.end(renderer.renderDigest(view));
        })
        .catch((error: unknown) => {
          res.writeHead(500);
          res.end(String(error));
        });
    });
    await new Promise<void>((resolve) => old?.listen(0, '127.0.0.1', resolve));
    const oldBase = `http://127.0.0.1:${(old.address() as AddressInfo).port}`;
    const api = (path: string) => new URL(path, stack.urls.api).toString();
    const newest = dates[0] as string;

    // Warm-up: connections, key ring, the pages kept by the warm function.
    for (const url of [
      api(''),
      api('editions'),
      api(`editions/${newest}`),
      api('feed.xml'),
      `${oldBase}/editions/${newest}`,
    ]) {
      await once(url);
    }
    const home = await load(api(''));
    const stored = await load(api(`editions/${newest}`));
    const index = await load(api('editions'));
    const feedBytes = (await (await fetch(api('feed.xml'))).arrayBuffer()).byteLength;
    const feed = await load(api('feed.xml'));
    const etag = (await fetch(api('feed.xml'))).headers.get('etag') ?? '';
    const notModified = await load(api('feed.xml'), { 'if-none-match': etag });
    // A topic's feed: the first request indexes the 10 newest editions; another topic then only chooses.
    // Each request indexes what its budget allows and says so (a short Cache-Control) until the
    // 10 editions are indexed.
    const heapBefore = process.memoryUsage().heapUsed;
    let coldTopic = 0;
    let coldRequests = 0;
    for (let partial = true; partial && coldRequests < 10; coldRequests += 1) {
      const at = performance.now();
      const response = await fetch(api('feed.xml?topic=retrieval'));
      await response.arrayBuffer();
      coldTopic += performance.now() - at;
      partial = response.headers.get('cache-control') === CACHE_POLICY.partial;
    }
    global.gc?.();
    const heapAfter = process.memoryUsage().heapUsed;
    const warmTopic = await once(api('feed.xml?topic=protein%20folding'));
    const topicLoad = await load(api('feed.xml?topic=speech'));
    // Where a cold topic feed's time goes: reading an edition's parts, and indexing them.
    let at = performance.now();
    const read = await editions.get(newest);
    const readMs = performance.now() - at;
    at = performance.now();
    new EditionSelector(read?.entries ?? []);
    const indexMs = performance.now() - at;
    // Last: the old path's garbage (every request's parts) must not slow the others.
    const fromParts = await load(`${oldBase}/editions/${newest}`);
    const kb = (n: number) => `${Math.round(n / 1024)} KB`;
    return [
      result(
        `GET /editions/{date} (stored page, ${kb(pageBytes)}), ${CLIENTS} clients: requests/s`,
        stored.rps,
        'req/s',
        `old path: the edition's parts (${kb(partBytes)}) read per request`,
        fromParts.rps,
        true,
      ),
      result(
        `GET /editions/{date} (stored page), ${CLIENTS} clients: p99`,
        stored.p99,
        'ms',
        'old path: the edition read per request',
        fromParts.p99,
        false,
      ),
      result(
        `GET /editions (index of ${EDITIONS}), ${CLIENTS} clients: requests/s`,
        index.rps,
        'req/s',
        'GET / (a page from memory)',
        home.rps,
        true,
      ),
      result(
        `GET /editions, ${CLIENTS} clients: p99`,
        index.p99,
        'ms',
        'GET / (a page from memory)',
        home.p99,
        false,
      ),
      result(
        `GET /feed.xml (${EDITIONS} editions, ${kb(feedBytes)}), ${CLIENTS} clients: requests/s`,
        feed.rps,
        'req/s',
        'GET / (a page from memory)',
        home.rps,
        true,
      ),
      result(
        `GET /feed.xml, ${CLIENTS} clients: p99`,
        feed.p99,
        'ms',
        'GET / (a page from memory)',
        home.p99,
        false,
      ),
      result(
        `GET /feed.xml with If-None-Match (304), ${CLIENTS} clients: requests/s`,
        notModified.rps,
        'req/s',
        'GET /feed.xml (200, whole feed)',
        feed.rps,
        true,
      ),
      result(
        `GET /feed.xml?topic=… , a new topic once the 10 editions are indexed: one request`,
        warmTopic,
        'ms',
        `the first topic on a cold function: ${coldRequests} requests (4 s budget each) to read and index 10 editions (heap +${Math.round((heapAfter - heapBefore) / 1024 ** 2)} MB)`,
        coldTopic,
        false,
      ),
      result(
        `GET /feed.xml?topic=… (kept), ${CLIENTS} clients: requests/s`,
        topicLoad.rps,
        'req/s',
        'GET / (a page from memory)',
        home.rps,
        true,
      ),
      result(
        `a topic feed's cold cost per edition: indexing its ${CANDIDATES} candidates`,
        indexMs,
        'ms',
        "reading the edition's parts from the local DynamoDB",
        readMs,
        false,
      ),
    ];
  } finally {
    await new Promise<void>((resolve) => (old ? old.close(() => resolve()) : resolve()));
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
