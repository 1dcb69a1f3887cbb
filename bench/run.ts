/**
 * `npm run bench`: Paperboy's speed figures, each beside a baseline measured in the same run.
 * 1. Per-recipient digest HTML: string assembly from the once-compiled template vs a full MJML render.
 * 2. Storing papers in the local table: 8 conditional puts in flight vs one at a time.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import mjml2html from 'mjml';
import { buildPutPaper, DynamoPaperRepository } from '../functions/adapters/dynamo-paper-repository.ts';
import { HtmlDigestRenderer } from '../functions/adapters/html-digest-renderer.ts';
import { compileTemplates, templatesDir } from '../functions/adapters/mjml-compiler.ts';
import { escapeHtml } from '../functions/adapters/slots.ts';
import type { DigestView } from '../functions/core/digest.ts';
import { parseHfDailyPapers } from '../functions/core/hf-daily-papers.ts';
import type { Paper } from '../functions/core/paper.ts';
import { defaultLocalOptions, startLocalStack } from '../functions/local/stack.ts';
import { documentClient } from '../functions/shared/clients.ts';
import { type BenchResult, report, result, timePerCall } from './harness.ts';

const results: BenchResult[] = [];

// 1. Rendering: a 10-paper digest for one recipient.
{
  const sample = parseHfDailyPapers(
    await readFile(new URL('../samples/hf-daily-papers-demo.json', import.meta.url), 'utf8'),
    new Date().toISOString(),
  );
  const view: DigestView = {
    editionDate: '2026-11-26',
    subject: 'Trending papers for 2026-11-26',
    preheader: `Today's top paper: ${sample.papers[0]?.title}`,
    papers: sample.papers.slice(0, 10).map((p) => ({
      title: p.title,
      url: p.links.abstract ?? '',
      authors: p.authors.join(', '),
      summary: p.abstract.slice(0, 280),
      reasons: ['▲ 12 upvotes', '★ 40 GitHub stars'],
    })),
    unsubscribeUrl: 'https://papers.example.org/unsubscribe?token=v1.unsubscribe.abc.k1.0.sig',
    webViewUrl: 'https://papers.example.org/editions/2026-11-26',
  };
  const renderer = new HtmlDigestRenderer(await compileTemplates());
  const source = await readFile(new URL('digest.mjml', templatesDir), 'utf8');
  const start = source.indexOf('<mj-raw><!-- paperboy:paper:start -->');
  const endMarker = '<!-- paperboy:paper:end --></mj-raw>';
  const end = source.indexOf(endMarker) + endMarker.length;
  const fill = (text: string, values: Record<string, string>) =>
    text.replace(/\{\{([A-Za-z]+)\}\}/gu, (_, name: string) => escapeHtml(values[name] ?? ''));
  const shared = { ...view, heading: `The trending papers of ${view.editionDate}` } as unknown as Record<
    string,
    string
  >;
  // The naive way: fill the MJML for this recipient and render it in full.
  const fullRender = async () => {
    const blocks = view.papers.map((p, i) =>
      fill(source.slice(start, end), { ...p, rank: String(i + 1), reasons: p.reasons.join(' · ') }),
    );
    return (
      await mjml2html(
        fill(source.slice(0, start), shared) + blocks.join('') + fill(source.slice(end), shared),
      )
    ).html;
  };
  const fullMs = await timePerCall(fullRender, { minMs: 1000, rounds: 3 });
  const assembledMs = await timePerCall(() => renderer.renderDigest(view));
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

// 2. Storing papers in the local DynamoDB emulator.
{
  const dataDir = await mkdtemp(join(tmpdir(), 'paperboy-bench-'));
  const stack = await startLocalStack({
    ...defaultLocalOptions,
    dataDir,
    persist: false,
    ports: { api: 0, dynamodb: 0, s3: 0, ses: 0 },
  });
  try {
    const base = JSON.parse(
      await readFile(new URL('../samples/hf-daily-papers-demo.json', import.meta.url), 'utf8'),
    )[0];
    const papersFor = (run: string, count: number): Paper[] =>
      parseHfDailyPapers(
        JSON.stringify(
          Array.from({ length: count }, (_, i) => ({
            ...base,
            paper: { ...base.paper, id: `${run}${String(i).padStart(5, '0')}`, title: `Paper ${run} ${i}` },
          })),
        ),
        new Date().toISOString(),
      ).papers;
    const count = 2000;
    const client = documentClient();
    const repository = new DynamoPaperRepository(client, stack.options.tableName);
    const t0 = performance.now();
    for (const paper of papersFor('1111.', count)) {
      await client.send(new PutCommand(buildPutPaper(stack.options.tableName, paper)));
    }
    const sequentialRate = count / ((performance.now() - t0) / 1000);
    const t1 = performance.now();
    const outcome = await repository.upsert(papersFor('2222.', count));
    const pooledRate = count / ((performance.now() - t1) / 1000);
    if (outcome.written !== count)
      throw new Error(`expected ${count} papers written, got ${outcome.written}`);
    results.push(
      result(
        'papers stored in the local table',
        pooledRate,
        'papers/s',
        'one conditional put at a time',
        sequentialRate,
        true,
      ),
    );
  } finally {
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

await report(results);
