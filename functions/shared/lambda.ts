import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { flushMetrics } from './metrics.ts';
import { tracer } from './tracer.ts';

/**
 * A Lambda entry point: the event, and the invocation's context when Lambda (or the local
 * stack, which makes one of its own) supplies it.
 */
export type LambdaHandler<E, R> = (event: E, context?: Context) => Promise<R>;

/**
 * Gives every log line of an invocation its request id, function name and cold-start flag, and
 * drops them again afterwards so that a warm function never logs a stale request id. With
 * `metrics`, publishes what the invocation counted when it ends, failed or not (one EMF line).
 * Inside Lambda, the invocation is an X-Ray subsegment `## handler` annotated with the cold
 * start, under which the SDK clients' requests appear.
 */
export function withLambdaContext<E, R>(
  logger: Logger,
  handler: (event: E, context?: Context) => Promise<R>,
  options: { metrics?: Metrics } = {},
): LambdaHandler<E, R> {
  return async (event, context) => {
    if (context) logger.addContext(context);
    const segment = tracer.isTracingEnabled() ? tracer.getSegment() : undefined;
    const subsegment = segment?.addNewSubsegment('## handler');
    if (subsegment) {
      tracer.setSegment(subsegment);
      tracer.annotateColdStart();
    }
    try {
      return await handler(event, context);
    } catch (error) {
      if (subsegment) tracer.addErrorAsMetadata(error as Error);
      throw error;
    } finally {
      if (options.metrics) flushMetrics(options.metrics);
      if (subsegment && segment) {
        subsegment.close();
        tracer.setSegment(segment);
      }
      logger.resetKeys();
    }
  };
}
