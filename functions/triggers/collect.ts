import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import * as z from 'zod';
import { type CollectDeps, collect } from '../core/collect/collect.ts';
import { collectDayProblem, SOURCES } from '../core/collect/config.ts';
import { describeIssues, formatIssues, ValidationError } from '../core/errors.ts';
import type { CollectRun } from '../core/ports.ts';
import { type LambdaHandler, withLambdaContext } from '../shared/lambda.ts';
import { createLogger } from '../shared/logger.ts';

export const logger = createLogger('collect');

export interface CollectHandlerDeps extends Omit<CollectDeps, 'remainingMs'> {
  metrics: Metrics;
}

/**
 * What one invocation may ask: the schedule sends `{}` (every enabled source, today); an operator
 * may pick one source and a day. Anything else is refused with what was wrong.
 */
export const CollectEventSchema = z.strictObject({
  source: z.enum(SOURCES, { message: `must be one of ${SOURCES.join(', ')}` }).optional(),
  date: z.iso.date({ message: 'must be a day as YYYY-MM-DD' }).optional(),
});
export type CollectEvent = z.infer<typeof CollectEventSchema>;

/** No request starts unless it can end this long before Lambda stops the function: the run record gets written. */
export const RUN_RECORD_MARGIN_MS = 10_000;

/**
 * The names of the collector's metrics: namespace Paperboy, dimensions `service` (collect), `stage`
 * and `Source` (hf, arxiv-rss, arxiv-api). The alarms and the dashboard read them from here.
 */
export const COLLECTOR_METRICS = {
  requests: 'CollectorRequests',
  notModified: 'CollectorNotModified',
  unchanged: 'CollectorUnchanged',
  papers: 'CollectorPapers',
  bytes: 'CollectorBytes',
  errors: 'CollectorErrors',
  objects: 'CollectorObjects',
  /** 1 when a source got no usable answer at all in a run, else 0: every run of a day at 1 is a source down for a day. */
  sourceFailed: 'CollectorSourceFailed',
} as const;
export const COLLECTOR_METRIC_DIMENSION = 'Source';

/**
 * One EMF line per source, with the `Source` dimension beside the function's own. Published here,
 * source by source: a published line drops its dimensions (Powertools keeps only the defaults),
 * so each source's counts carry its name and no other's.
 */
export function recordCollectMetrics(metrics: Metrics, run: CollectRun): void {
  for (const source of run.sources) {
    metrics.addDimension(COLLECTOR_METRIC_DIMENSION, source.source);
    metrics.addMetric(COLLECTOR_METRICS.requests, MetricUnit.Count, source.requests);
    metrics.addMetric(COLLECTOR_METRICS.notModified, MetricUnit.Count, source.notModified);
    metrics.addMetric(COLLECTOR_METRICS.unchanged, MetricUnit.Count, source.unchanged);
    metrics.addMetric(COLLECTOR_METRICS.papers, MetricUnit.Count, source.papers);
    metrics.addMetric(COLLECTOR_METRICS.bytes, MetricUnit.Bytes, source.bytes);
    metrics.addMetric(COLLECTOR_METRICS.errors, MetricUnit.Count, source.errors);
    metrics.addMetric(COLLECTOR_METRICS.objects, MetricUnit.Count, source.objects.length);
    metrics.addMetric(COLLECTOR_METRICS.sourceFailed, MetricUnit.Count, source.failed ? 1 : 0);
    metrics.publishStoredMetrics();
  }
}

/** The event parsed, or a ValidationError that names what was wrong. */
export function parseCollectEvent(event: unknown): CollectEvent {
  const parsed = CollectEventSchema.safeParse(event ?? {});
  if (!parsed.success) {
    throw new ValidationError(
      `expected {} or {"source":"hf|arxiv-rss|arxiv-api","date":"YYYY-MM-DD"}: ${formatIssues(describeIssues(parsed.error.issues))}`,
    );
  }
  return parsed.data;
}

/**
 * Schedule (or an operator) → one collection run. A source that fails is in the run's record and
 * metrics, not an error: the function fails (and is retried) only when the run could not be
 * recorded, or the event is wrong.
 */
export function createCollectHandler(deps: CollectHandlerDeps): LambdaHandler<unknown, CollectRun> {
  return withLambdaContext(logger, async (event, context) => {
    const request = parseCollectEvent(event);
    const dayProblem =
      request.date === undefined ? undefined : collectDayProblem(request.date, deps.clock.now());
    if (dayProblem) throw new ValidationError(`date: ${dayProblem}`);
    const run = await collect(
      {
        day: request.date ?? deps.clock.now().toISOString().slice(0, 10),
        dated: request.date !== undefined,
        ...(request.source ? { sources: [request.source] } : {}),
      },
      {
        ...deps,
        ...(context ? { remainingMs: () => context.getRemainingTimeInMillis() - RUN_RECORD_MARGIN_MS } : {}),
      },
    );
    if (run.skipped) logger.warn('collection skipped', { skipped: run.skipped });
    for (const source of run.sources) {
      const { fetched: _fetched, ...counts } = source;
      // Stopped on purpose (npm start's Ctrl-C): said, not an error.
      if (deps.signal?.aborted) logger.info('source stopped with the collection', { ...counts });
      else if (source.failed) logger.error('source failed', { ...counts });
      else if (source.errors > 0) logger.warn('source answered in part', { ...counts });
      else logger.info('source collected', { ...counts });
    }
    recordCollectMetrics(deps.metrics, run);
    return run;
  });
}
