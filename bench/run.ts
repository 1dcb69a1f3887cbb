/**
 * `npm run bench`: Paperboy's speed figures, each beside a baseline measured in the same run.
 * Sections (run some with `npm run bench -- --only render,bundles`):
 * - render: per-recipient digest HTML, string assembly from the once-compiled template vs a full MJML render;
 * - parse: each format (200k generated papers) streaming vs reading the whole file first, and peak
 *   memory on a 500 MB file;
 * - limits: hostile files (deep nesting, a line without end, huge start tags, reject-heavy
 *   files) vs normal files of the same size;
 * - ingest: through S3 and the handler into the local table, vs one DynamoDB call at a time;
 * - relevance: hand-judged topic queries (test half), the delivered list vs plain BM25 and MiniSearch;
 * - digests: choosing 100,000 readers' digests (half with learned profiles) vs scoring from scratch,
 *   beside MiniSearch answering each reader's topics from one index; the cost per reader of
 *   applying a learned profile;
 * - learning: 300 simulated readers with hidden interests, 20 daily editions, "more / fewer like
 *   this" clicks with noise: nDCG@10 on day 1 and day 20 with learning vs without (feedback lift);
 * - subscribe: 200 concurrent sign-ups on the local stack, p50 and p99, vs the cheapest page;
 * - delivery: sending an edition on the local stack vs one reader at a time; pacing at 50/s
 *   (rate achieved, first-try acceptance vs unpaced); DynamoDB requests per digest vs the
 *   per-entity pattern;
 * - bundles: each function's bundle size and cold import time vs the commit before its composition root.
 * - status: `paperboy status` on a local table of 100,000 subscribers (its reads, and the whole
 *   command in its own process) vs counting the subscribers by state with a full Scan; and
 *   `subscribers import --confirmed` rows/s, 16 in flight vs one row at a time.
 * - collect: a collector run over HTTP against local fakes of its sources (all changed) vs plain
 *   fetch of the same URLs; a run whose sources did not change (304s) vs one where all changed.
 * - feeds: /editions/{date}, /editions and /feed.xml (and a topic's feed) on the local stack,
 *   20 clients: requests per second and p99 vs the old edition page (its parts read per request)
 *   and vs GET /.
 */

import { spawnSync } from 'node:child_process';
import '../functions/local/log-level.ts';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../functions/adapters/dynamo-keys.ts';
import { buildPutPaper, snapshotItem } from '../functions/adapters/dynamo-paper-repository.ts';
import { HtmlDigestRenderer } from '../functions/adapters/html-digest-renderer.ts';
import { compileTemplates } from '../functions/adapters/mjml-compiler.ts';
import { buildDigestView } from '../functions/core/digest.ts';
import { collectPapers } from '../functions/core/formats/open-papers.ts';
import { FORMATS, type Format } from '../functions/core/formats/records.ts';
import { LinkBuilder } from '../functions/core/links.ts';
import { rankTrending } from '../functions/core/ranking.ts';
import type { KeyRing } from '../functions/core/tokens.ts';
import { SAMPLE_FILE } from '../functions/local/demo.ts';
import { defaultLocalOptions, startLocalStack } from '../functions/local/stack.ts';
import { documentClient } from '../functions/shared/aws/dynamodb.ts';
import { benchDigestView, fullMjmlRender, READER_CONTEXT } from './full-render.ts';
import { writeSynthetic } from './generate.ts';
import { type BenchResult, report, result, timePerCall } from './harness.ts';

const results: BenchResult[] = [];
/** A key ring of the bench's own, for signing links as the send path does. */
const benchKeyRing: KeyRing = {
  currentKeyId: 'k1',
  keys: new Map([['k1', Buffer.alloc(32, 7)]]),
  idKey: Buffer.alloc(32, 8),
};
const SECTIONS = [
  'render',
  'parse',
  'limits',
  'ingest',
  'relevance',
  'digests',
  'learning',
  'subscribe',
  'delivery',
  'bundles',
  'status',
  'feeds',
  'collect',
] as const;
const only = (() => {
  const at = process.argv.indexOf('--only');
  if (at < 0) return new Set<string>(SECTIONS);
  const chosen = (process.argv[at + 1] ?? '').split(',').filter(Boolean);
  const unknown = chosen.filter((name) => !(SECTIONS as readonly string[]).includes(name));
  if (chosen.length === 0 || unknown.length > 0) {
    console.error(`--only takes a comma-separated list of: ${SECTIONS.join(', ')}`);
    process.exit(2);
  }
  return new Set(chosen);
})();

// Rendering: a 10-paper digest for one recipient.
if (only.has('render')) {
  const sample = await collectPapers(await readFile(SAMPLE_FILE, 'utf8'), {
    observedAt: new Date().toISOString(),
  });
  const view = benchDigestView(sample.papers);
  const renderer = new HtmlDigestRenderer(await compileTemplates());
  // The naive way: fill the MJML for this recipient and render it in full.
  const fullRender = () => fullMjmlRender(view);
  const fullMs = await timePerCall(fullRender, { minMs: 1000, rounds: 3 });
  const assembledMs = await timePerCall(() => renderer.renderDigest(view));
  // The same digest with the reader's vote links: ten feedback tokens signed, then assembled.
  const links = new LinkBuilder('https://papers.example.org/', {
    current: async () => benchKeyRing,
    refresh: async () => benchKeyRing,
  });
  const ids = rankTrending(sample.papers, new Date('2026-11-26T06:00:00Z'))
    .slice(0, 10)
    .map((e) => e.paper.id);
  // Ranked once (the edition is): per recipient, the view, the HTML and, with votes, the tokens.
  const ranked = rankTrending(sample.papers, new Date('2026-11-26T06:00:00Z')).slice(0, 10);
  const edition = { date: '2026-11-26', mode: 'daily' as const };
  const withVotes = async () => {
    const votes = await links.feedback(
      'abcdefghijklmnopqrstuvwxyz012345',
      'AbCdEfGhIjKlMnOpQrStUv',
      ids,
      new Date(),
    );
    const items = ranked.map((entry) => ({
      entry,
      reasons: entry.reasons,
      feedback: votes.get(entry.paper.id),
    }));
    return renderer.renderDigest(buildDigestView(edition, items, READER_CONTEXT));
  };
  const withoutVotes = () =>
    renderer.renderDigest(
      buildDigestView(
        edition,
        ranked.map((entry) => ({ entry, reasons: entry.reasons })),
        READER_CONTEXT,
      ),
    );
  const votesMs = await timePerCall(withVotes);
  const plainViewMs = await timePerCall(withoutVotes);
  console.log(
    `render: view + HTML per recipient ${(plainViewMs * 1000).toFixed(1)} µs without vote links, ${(votesMs * 1000).toFixed(1)} µs with them (10 tokens signed); HTML ${Buffer.byteLength(await withVotes())} bytes with, ${Buffer.byteLength(withoutVotes())} without`,
  );
  results.push(
    result(
      'digest view + HTML per recipient with vote links (10 papers, 10 tokens signed)',
      votesMs * 1000,
      'µs',
      'full MJML render per recipient',
      fullMs * 1000,
      false,
    ),
  );
  results.push(
    result(
      'digest HTML per recipient (10 papers)',
      assembledMs * 1000,
      'µs',
      'full MJML render per recipient',
      fullMs * 1000,
      false,
    ),
  );
}

// Parsing: every format, 200,000 generated papers, streaming vs the whole file in one go.
if (only.has('parse')) {
  const workDir = await mkdtemp(join(tmpdir(), 'paperboy-bench-'));
  try {
    for (const format of FORMATS) {
      const file = join(workDir, `papers.${format}`);
      const bytes = await writeSynthetic(file, format, 200_000);
      const streaming = runChild(file, 'streaming', format);
      const whole = runChild(file, 'whole', format);
      const mb = bytes / 1024 ** 2;
      results.push(
        result(
          `parse ${format} (200k papers, ${mb.toFixed(0)} MB)`,
          mb / (streaming.ms / 1000),
          'MB/s',
          'read whole file, parse in one go',
          mb / (whole.ms / 1000),
          true,
        ),
        result(
          `parse ${format}: papers per second`,
          streaming.papers / (streaming.ms / 1000),
          'papers/s',
          'read whole file, parse in one go',
          whole.papers / (whole.ms / 1000),
          true,
        ),
        result(
          `parse ${format}: peak RSS`,
          streaming.peakRssMb,
          'MB',
          'read whole file, parse in one go',
          whole.peakRssMb,
          false,
        ),
      );
      await rm(file);
    }

    // A 500 MB daily papers file: memory must stay under 300 MB.
    const big = join(workDir, 'big.json');
    let count = 0;
    let bytes = 0;
    for (count = 500_000; bytes < 500 * 1024 ** 2; count += 50_000)
      bytes = await writeSynthetic(big, 'hf-daily', count);
    const ingest = runChild(big, 'ingest', 'hf-daily');
    const whole = runChild(big, 'whole', 'hf-daily');
    results.push(
      result(
        `ingest use case on a ${(bytes / 1024 ** 2).toFixed(0)} MB daily papers file (${ingest.papers} papers, table writes counted): peak RSS`,
        ingest.peakRssMb,
        'MB',
        'read whole file, parse in one go',
        whole.peakRssMb,
        false,
      ),
    );
    await rm(big);
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

// Hostile files: the parse time and peak memory of deep nesting and endless lines.
if (only.has('limits')) {
  const { benchLimits } = await import('./limits.ts');
  results.push(...(await benchLimits()));
}

// Ingesting into the local table through S3 and the ingest handler, vs the naive store.
if (only.has('ingest')) {
  const dataDir = await mkdtemp(join(tmpdir(), 'paperboy-bench-'));
  const stack = await startLocalStack({
    ...defaultLocalOptions,
    dataDir,
    persist: true,
    ports: { api: 0, dynamodb: 0, s3: 0, ses: 0 },
  });
  try {
    const count = 5000;
    const file = join(dataDir, 'ingest.json');
    await writeSynthetic(file, 'hf-daily', count);
    const t0 = performance.now();
    await stack.s3.send(
      new PutObjectCommand({
        Bucket: stack.options.bucket,
        Key: 'incoming/bench.json',
        Body: await readFile(file),
      }),
    );
    await stack.idle();
    const ingestRate = count / ((performance.now() - t0) / 1000);
    const ingested = stack.ingested.at(-1);
    if (ingested?.accepted !== count)
      throw new Error(`expected ${count} papers ingested, got ${ingested?.accepted}`);

    // The naive way: per paper, read it and its title key, then write paper, title key and snapshot, one call at a time.
    const client = documentClient();
    const table = stack.options.tableName;
    const { papers } = await collectPapers(await readFile(file, 'utf8'), {
      observedAt: new Date().toISOString(),
    });
    const t1 = performance.now();
    for (const paper of papers) {
      const id = `9${paper.id}`;
      await client.send(new GetCommand({ TableName: table, Key: keys.paper(id) }));
      await client.send(new GetCommand({ TableName: table, Key: keys.title(`x${id}`) }));
      await client.send(new PutCommand(buildPutPaper(table, { ...paper, id }, { exists: false })));
      await client.send(new PutCommand({ TableName: table, Item: { ...keys.title(`x${id}`), paperId: id } }));
      const snapshot = snapshotItem(id, paper.signals);
      if (snapshot) await client.send(new PutCommand({ TableName: table, Item: snapshot }));
    }
    const naiveRate = papers.length / ((performance.now() - t1) / 1000);
    results.push(
      result(
        'ingest into the local table (S3 → handler → DynamoDB, 5k papers)',
        ingestRate,
        'papers/s',
        'one read or write at a time per paper',
        naiveRate,
        true,
      ),
    );
  } finally {
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

// Relevance: hand-judged short topic queries on two corpora, the delivered list (`paperboy rank`'s
// code path) vs plain BM25 and MiniSearch, on the test half only (the tuning half tuned the weights).
if (only.has('relevance')) {
  const { evaluateRelevance, formatTable, meanFigures } = await import('./eval/relevance.ts');
  const figures = await evaluateRelevance('test');
  console.log('relevance, test half (bench/eval/judgments):');
  console.log(formatTable(figures));
  const scopes = [...new Set(figures.map((f) => f.corpus)), 'all corpora'];
  for (const scope of scopes) {
    const some = scope === 'all corpora' ? figures : figures.filter((f) => f.corpus === scope);
    const mean = meanFigures(some);
    const label = `${scope}, ${some.length} test queries`;
    for (const [metric, key, unit] of [
      ['nDCG@10', 'ndcg', 'nDCG'],
      ['P@10', 'precision', 'P'],
    ] as const) {
      results.push(
        result(
          `relevance ${metric} of the delivered list (${label})`,
          mean.paperboy[key],
          unit,
          'plain BM25 over title and abstract',
          mean.bm25[key],
          true,
        ),
        result(
          `relevance ${metric} of the delivered list (${label})`,
          mean.paperboy[key],
          unit,
          'MiniSearch 7 (BM25+, title boosted 2×)',
          mean.minisearch[key],
          true,
        ),
      );
    }
  }
}

// Choosing digests: 100,000 readers with random topic profiles, 1,000 candidates, one core.
if (only.has('digests')) {
  const digests = (mode: 'index' | 'index-plain' | 'minisearch' | 'scratch', readers: number) =>
    runScript<{
      readers: number;
      ms: number;
      cpuMs: number;
      learned: number;
      peakRssMb: number;
      checkUs?: { hand: number; zod: number };
    }>('digests-child.ts', [mode, String(readers)]);
  const ours = digests('index', 100_000);
  const plain = digests('index-plain', 100_000);
  const peer = digests('minisearch', 100_000);
  console.log(
    `digests, 100,000 readers (${ours.learned} with learned profiles): wall / CPU s — with profiles ${(ours.ms / 1000).toFixed(2)} / ${(ours.cpuMs / 1000).toFixed(2)}, same readers without ${(plain.ms / 1000).toFixed(2)} / ${(plain.cpuMs / 1000).toFixed(2)}, MiniSearch ${(peer.ms / 1000).toFixed(2)} / ${(peer.cpuMs / 1000).toFixed(2)}`,
  );
  // The baseline costs about a third of a second per reader: measured on 100 readers, scaled to 100,000.
  const scratch = digests('scratch', 100);
  const scratchSeconds = ((scratch.ms / scratch.readers) * 100_000) / 1000;
  results.push(
    result(
      'choose digests for 100,000 readers from 1,000 candidates',
      ours.ms / 1000,
      's',
      'score every paper from scratch per reader (100 measured, scaled)',
      scratchSeconds,
      false,
    ),
    result(
      'choose digests for 100,000 readers, half with learned profiles',
      ours.ms / 1000,
      's',
      "MiniSearch 7 answering each reader's topics from one index (no learning, no diversity)",
      peer.ms / 1000,
      false,
    ),
    result(
      'cost per reader of applying a learned profile (CPU time)',
      (Math.max(0, ours.cpuMs - plain.cpuMs) / ours.learned) * 1000,
      'µs',
      'the whole choice of a reader without one',
      (plain.cpuMs / plain.readers) * 1000,
      false,
    ),
    result(
      'check a stored learned profile as the send path reads it (CPU per profile)',
      ours.checkUs?.hand ?? Number.NaN,
      'µs',
      'the zod schema it agrees with (LearnedProfileSchema)',
      ours.checkUs?.zod ?? Number.NaN,
      false,
    ),
    result(
      'choose digests for 100,000 readers: peak RSS',
      ours.peakRssMb,
      'MB',
      'score from scratch per reader (100 readers)',
      scratch.peakRssMb,
      false,
    ),
  );
}

// Learning from clicks: simulated readers, 20 editions, with and without learning (same run).
if (only.has('learning')) {
  const { simulateLearning, REPORT_SEED } = await import('./learning.ts');
  const figures = simulateLearning(REPORT_SEED);
  const first = (list: number[]) => list[0] as number;
  const last = (list: number[]) => list.at(-1) as number;
  console.log(
    `learning (seed ${figures.seed}, ${figures.readers} readers, ${figures.days} days, ${figures.votes} votes): nDCG@10 per day with learning ${figures.withLearning.map((n) => n.toFixed(3)).join(' ')}; without ${figures.without.map((n) => n.toFixed(3)).join(' ')}; mean profile at the end ${figures.profile.votes.toFixed(1)} votes, ${figures.profile.liked.toFixed(1)} liked and ${figures.profile.disliked.toFixed(1)} disliked terms`,
  );
  results.push(
    result(
      'learning: nDCG@10 of the digests on day 1',
      first(figures.withLearning),
      'nDCG',
      'the same readers without learning',
      first(figures.without),
      true,
    ),
    result(
      'feedback lift: nDCG@10 of the digests on day 20',
      last(figures.withLearning),
      'nDCG',
      'the same readers without learning',
      last(figures.without),
      true,
    ),
  );
}

// Sign-ups under load on the local stack.
if (only.has('subscribe')) {
  const { benchSubscribe } = await import('./subscribe.ts');
  results.push(...(await benchSubscribe()));
}

// Sending: end to end, pacing, DynamoDB requests per digest.
if (only.has('delivery')) {
  const { benchDelivery } = await import('./delivery.ts');
  results.push(...(await benchDelivery()));
}

// Bundles: what each Lambda carries and how long it takes to load.
if (only.has('bundles')) {
  const { benchBundles } = await import('./bundles.ts');
  results.push(...(await benchBundles()));
}

// The operator's status: counters read vs a full Scan of 100,000 subscribers.
if (only.has('status')) {
  const { benchStatus } = await import('./status.ts');
  results.push(...(await benchStatus()));
}

// The archive and the feeds: stored pages and cached feeds vs the edition read per request.
if (only.has('feeds')) {
  const { benchFeeds } = await import('./feeds.ts');
  results.push(...(await benchFeeds()));
}

// The collector: its checks over plain fetching, and what conditional requests save.
if (only.has('collect')) {
  const { benchCollect } = await import('./collect.ts');
  results.push(...(await benchCollect()));
}

await report(results);

function runChild(file: string, mode: 'streaming' | 'whole' | 'ingest', format: Format) {
  return runScript<{ papers: number; ms: number; peakRssMb: number }>('parse-child.ts', [file, mode, format]);
}

/** Runs a bench script in its own Node process (its peak RSS is its own) and reads its last JSON line. */
function runScript<T>(script: string, args: string[]): T {
  const child = spawnSync(
    process.execPath,
    ['--import', 'tsx', new URL(script, import.meta.url).pathname, ...args],
    {
      encoding: 'utf8',
    },
  );
  if (child.status !== 0) throw new Error(`${script} ${args.join(' ')} failed: ${child.stderr}`);
  return JSON.parse(child.stdout.trim().split('\n').at(-1) as string) as T;
}
