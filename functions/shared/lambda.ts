import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';

/**
 * A Lambda entry point: the event, and the invocation's context when Lambda (or the local
 * stack, which makes one of its own) supplies it.
 */
export type LambdaHandler<E, R> = (event: E, context?: Context) => Promise<R>;

/**
 * Gives every log line of an invocation its request id, function name and cold-start flag, and
 * drops them again afterwards so that a warm function never logs a stale request id.
 */
export function withLambdaContext<E, R>(
  logger: Logger,
  handler: (event: E, context?: Context) => Promise<R>,
): LambdaHandler<E, R> {
  return async (event, context) => {
    if (context) logger.addContext(context);
    try {
      return await handler(event, context);
    } finally {
      logger.resetKeys();
    }
  };
}
