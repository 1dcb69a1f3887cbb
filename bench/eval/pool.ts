/**
 * Pools each judged query's candidates for hand judging: the top 20 of the delivered list
 * (`paperboy rank`'s code path), of plain BM25 and of MiniSearch, plus every paper whose title,
 * keywords or abstract has a word of the query (any form). New candidates are added with a null
 * grade, existing grades are kept; `--show` prints the unjudged ones with their abstracts.
 *
 *   npx tsx bench/eval/pool.ts [--show]
 */
import { rankPapers } from '../../functions/cli/rank.ts';
import { terms } from '../../functions/core/relevance/analyze.ts';
import { CORPORA, loadCorpus } from './corpora.ts';
import { readJudgments, writeJudgments } from './judgments.ts';
import { topK } from './metrics.ts';
import { miniSearchRanker } from './minisearch-bm25.ts';
import { plainBm25 } from './plain-bm25.ts';

const DEPTH = 20;
const show = process.argv.includes('--show');

for (const corpus of CORPORA) {
  const file = await readJudgments(corpus.name);
  const papers = await loadCorpus(corpus);
  const byId = new Map(papers.map((p, i) => [p.id, i]));
  const mini = miniSearchRanker(papers);
  const docTerms = papers.map((p) => new Set(terms(`${p.title} ${p.keywords.join(' ')} ${p.abstract}`)));
  file.papers = papers.length;
  for (const query of [...file.split.tuning, ...file.split.test]) {
    const pool = file.queries[query] ?? [];
    file.queries[query] = pool;
    const add = (doc: number, system: string) => {
      const paper = papers[doc];
      if (!paper) return;
      let entry = pool.find((j) => j.id === paper.id);
      if (!entry) {
        entry = { id: paper.id, title: paper.title, grade: null, from: [] };
        pool.push(entry);
      }
      if (!entry.from.includes(system)) entry.from.push(system);
    };
    const product = rankPapers(papers, { topics: [query], authors: [], exclude: [], limit: DEPTH });
    for (const line of product.lines) add(byId.get(line.id) as number, 'product');
    for (const doc of topK(plainBm25(papers, query), DEPTH)) add(doc, 'bm25');
    for (const doc of mini(query, DEPTH)) add(doc, 'minisearch');
    const queryTerms = terms(query);
    docTerms.forEach((set, doc) => {
      if (queryTerms.some((t) => set.has(t))) add(doc, 'words');
    });
    const open = pool.filter((j) => j.grade === null);
    console.log(`${corpus.name} · ${query}: ${pool.length} pooled, ${open.length} to judge`);
    if (show) {
      for (const j of open) {
        const paper = papers[byId.get(j.id) as number];
        console.log(`  [${j.id}] ${j.title}\n      (${j.from.join(',')}) ${paper?.abstract.slice(0, 700)}`);
      }
    }
  }
  await writeJudgments(file);
}
