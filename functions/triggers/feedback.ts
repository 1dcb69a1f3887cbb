import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import * as z from 'zod';
import { describeIssues, formatIssues } from '../core/errors.ts';
import {
  applyFeedback,
  deliveryOf,
  type FeedbackDeps,
  type FeedbackOutcome,
  findHangingClaims,
  HANGING_AFTER_MS,
  MIN_GRACE_MINUTES,
  resolveHangingClaims,
  SesEventSchema,
} from '../core/feedback.ts';
import type { WorkQueue } from '../core/ports.ts';
import { type LambdaHandler, withLambdaContext } from '../shared/lambda.ts';
import { createLogger } from '../shared/logger.ts';
import { flushMetrics, METRIC } from '../shared/metrics.ts';

export const logger = createLogger('feedback');

export interface FeedbackHandlerDeps extends FeedbackDeps {
  /** Where resolved deliveries go to be sent again. */
  queue: WorkQueue;
  metrics: Metrics;
}

/**
 * The scheduled check (every 15 minutes) for deliveries left `sending` by a dead worker; with
 * `resolve`, the operator's command that releases them and sends them again (the documented rule).
 */
const CheckSchema = z.strictObject({
  check: z.literal('hanging-claims'),
  resolve: z.boolean().optional(),
  graceMinutes: z.number().int().min(MIN_GRACE_MINUTES).max(1440).optional(),
});

export type FeedbackResult =
  | { kind: 'event'; outcome: FeedbackOutcome; eventType: string }
  | { kind: 'check'; hanging: number; released?: number; jobs?: number }
  | { kind: 'malformed'; error: string };

const OUTCOME_METRIC: Record<FeedbackOutcome, string> = {
  bounced: METRIC.emailsBounced,
  'soft-bounce': 'SoftBounced',
  complained: METRIC.emailsComplained,
  delivered: 'Delivered',
  rejected: 'Rejected',
  delayed: 'DeliveryDelayed',
  sent: 'SendEvents',
  completed: 'ClaimsCompletedBySendEvent',
  duplicate: METRIC.duplicateDeliveries,
  ignored: 'IgnoredEvents',
};

/**
 * SES events (the configuration set's EventBridge destination) → the feedback loop; and the
 * scheduled check for hanging deliveries, which publishes `HangingClaims` (alarmed). A malformed
 * event is logged and counted, never retried: retrying cannot make it readable.
 */
export function createFeedbackHandler(deps: FeedbackHandlerDeps): LambdaHandler<unknown, FeedbackResult> {
  return withLambdaContext(logger, async (event) => {
    try {
      const check = CheckSchema.safeParse(event);
      if (check.success) {
        const graceMs = (check.data.graceMinutes ?? HANGING_AFTER_MS / 60_000) * 60_000;
        if (check.data.resolve) {
          const { released, jobs } = await resolveHangingClaims(deps, graceMs);
          deps.metrics.addMetric('HangingClaimsResolved', MetricUnit.Count, released.length);
          logger.info('released hanging deliveries and queued them again', {
            released: released.length,
            jobs,
          });
          return { kind: 'check', hanging: released.length, released: released.length, jobs };
        }
        const hanging = await findHangingClaims(deps, graceMs);
        deps.metrics.addMetric(METRIC.hangingClaims, MetricUnit.Count, hanging.length);
        if (hanging.length > 0) {
          logger.warn('deliveries left sending by a dead worker', {
            count: hanging.length,
            oldest: hanging[0]?.claimedAt,
            sample: hanging.slice(0, 10).map((h) => `${h.subscriberId}/${h.editionDate}`),
          });
        }
        return { kind: 'check', hanging: hanging.length };
      }
      const parsed = SesEventSchema.safeParse(event);
      if (!parsed.success) {
        const error = `not an SES event: ${formatIssues(describeIssues(parsed.error.issues))}`;
        logger.warn('malformed feedback event', { error });
        deps.metrics.addMetric('MalformedFeedbackEvents', MetricUnit.Count, 1);
        return { kind: 'malformed', error };
      }
      const outcome = await applyFeedback(parsed.data, deps);
      deps.metrics.addMetric(OUTCOME_METRIC[outcome], MetricUnit.Count, 1);
      if (outcome === 'duplicate') {
        // Exactly once was broken (alarmed): say which delivery, for the operator to look into.
        logger.error('a second message was accepted for the same delivery', {
          delivery: deliveryOf(parsed.data),
          messageId: parsed.data.detail.mail.messageId,
        });
      }
      logger.info('applied feedback', {
        eventType: parsed.data.detail.eventType,
        outcome,
        messageId: parsed.data.detail.mail.messageId,
      });
      return { kind: 'event', outcome, eventType: parsed.data.detail.eventType };
    } finally {
      flushMetrics(deps.metrics);
    }
  });
}
