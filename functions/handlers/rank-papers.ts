/** Lambda entry: the daily schedule (or `{"date":"YYYY-MM-DD"}`) → the day's edition and its send jobs. */
import { RankPapersEnv, rankPapersDeps } from '../roots/rank-papers.ts';
import { parseEnv } from '../shared/config.ts';
import { createRankPapersHandler } from '../triggers/rank-papers.ts';

const env = parseEnv(RankPapersEnv, process.env);
const deps = rankPapersDeps(env);
export const handler = createRankPapersHandler(deps);
