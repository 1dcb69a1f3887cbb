import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import * as z from 'zod';
import { describeIssues, formatIssues, ValidationError } from '../core/errors.ts';
import { type RankEditionDeps, type RankEditionResult, rankEdition } from '../core/rank-edition.ts';
import { dayIn } from '../shared/config.ts';
import { type LambdaHandler, withLambdaContext } from '../shared/lambda.ts';
import { createLogger } from '../shared/logger.ts';
import { METRIC } from '../shared/metrics.ts';

export const logger = createLogger('rank');

export interface RankPapersDeps extends RankEditionDeps {
  /** The operator's time zone: a scheduled run names the edition by its calendar day there. */
  timeZone: string;
  /** CloudWatch metrics (the local stack and the CLI pass none). */
  metrics?: Metrics;
}

/** What operators graph and alarm on: candidates ranked, editions built and their size, quiet days. */
export function recordRankMetrics(metrics: Metrics, result: RankEditionResult): void {
  metrics.addMetric(METRIC.candidates, MetricUnit.Count, result.candidates);
  metrics.addMetric(METRIC.editionsBuilt, MetricUnit.Count, result.created ? 1 : 0);
  if (result.entries > 0) metrics.addMetric(METRIC.editionSize, MetricUnit.Count, result.entries);
  // A quiet day is a day with nothing to send, on purpose: the "no edition sent" alarm counts it.
  metrics.addMetric(METRIC.editionsSkipped, MetricUnit.Count, result.skipped ? 1 : 0);
  metrics.addMetric(METRIC.readersDue, MetricUnit.Count, result.subscribers);
}

/**
 * An EventBridge scheduled event (its `time` names the edition's day in the configured time
 * zone), or `{ "date": "YYYY-MM-DD" }` when an operator re-runs a given day (with
 * `"dispatch": false` to make the edition without sending it).
 */
const RankEventSchema = z.union([
  z.object({ date: z.iso.date(), dispatch: z.boolean().optional() }),
  z.object({ time: z.iso.datetime({ offset: true }), 'detail-type': z.string().optional() }),
]);

/** The day an event asks for: its date, or the calendar day of its time in the operator's zone. */
export function editionDayOf(event: z.infer<typeof RankEventSchema>, timeZone: string): string {
  return 'date' in event ? event.date : dayIn(new Date(event.time), timeZone);
}

/** Schedule (or an operator) → make the day's edition once and dispatch its sending. Errors rethrow. */
export function createRankPapersHandler(deps: RankPapersDeps): LambdaHandler<unknown, RankEditionResult> {
  return withLambdaContext(
    logger,
    async (event) => {
      const parsed = RankEventSchema.safeParse(event);
      if (!parsed.success) {
        throw new ValidationError(
          `expected a scheduled event or {"date":"YYYY-MM-DD"}: ${formatIssues(describeIssues(parsed.error.issues))}`,
        );
      }
      const dispatch = 'dispatch' in parsed.data ? parsed.data.dispatch : undefined;
      const result = await rankEdition(
        { date: editionDayOf(parsed.data, deps.timeZone), ...(dispatch === false ? { dispatch } : {}) },
        deps,
      );
      logger.info('ranked edition', { ...result });
      if (deps.metrics) recordRankMetrics(deps.metrics, result);
      return result;
    },
    deps.metrics ? { metrics: deps.metrics } : {},
  );
}
