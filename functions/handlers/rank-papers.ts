import { z } from 'zod';
import { describeIssues, formatIssues, ValidationError } from '../core/errors.ts';
import { type RankEditionDeps, type RankEditionResult, rankEdition } from '../core/rank-edition.ts';
import { dayIn } from '../shared/config.ts';
import { createLogger } from '../shared/logger.ts';
import { bootstrap } from './bootstrap.ts';

const logger = createLogger('rank');

/**
 * An EventBridge scheduled event (its `time` names the edition's day in the configured time
 * zone), or `{ "date": "YYYY-MM-DD" }` when an operator re-runs a given day.
 */
const RankEventSchema = z.union([
  z.object({ date: z.iso.date() }),
  z.object({ time: z.iso.datetime({ offset: true }), 'detail-type': z.string().optional() }),
]);

export function createRankPapersHandler(deps: RankEditionDeps & { timeZone: string }) {
  return async (event: unknown): Promise<RankEditionResult> => {
    const parsed = RankEventSchema.safeParse(event);
    if (!parsed.success) {
      throw new ValidationError(
        `expected a scheduled event or {"date":"YYYY-MM-DD"}: ${formatIssues(describeIssues(parsed.error.issues))}`,
      );
    }
    const date = 'date' in parsed.data ? parsed.data.date : dayIn(new Date(parsed.data.time), deps.timeZone);
    const result = await rankEdition({ date }, deps);
    logger.info('ranked edition', { ...result });
    return result;
  };
}

export const handler = bootstrap(async (runtime) => createRankPapersHandler(runtime.rankDeps()));
