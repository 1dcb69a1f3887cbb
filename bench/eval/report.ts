/**
 * Prints the per-query figures of one half: `npx tsx bench/eval/report.ts tuning`. Tune on the
 * tuning half only; the test half is for `npm run bench -- --only relevance`.
 */
import type { Half } from './judgments.ts';
import { evaluateRelevance, formatTable } from './relevance.ts';

const half = (process.argv[2] ?? 'tuning') as Half;
if (half !== 'tuning' && half !== 'test') throw new Error('usage: report.ts tuning|test');
console.log(formatTable(await evaluateRelevance(half)));
