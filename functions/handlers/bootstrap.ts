import { Runtime } from './wiring.ts';

/**
 * Makes a Lambda entry point that builds its dependencies from the environment on the first
 * invocation (a bad configuration fails the cold start with one clear message) and reuses
 * them after. A failed start is not cached, so the next invocation tries again.
 */
export function bootstrap<E, R>(
  init: (runtime: Runtime) => Promise<(event: E) => Promise<R>>,
): (event: E) => Promise<R> {
  let ready: Promise<(event: E) => Promise<R>> | undefined;
  return async (event: E) => {
    ready ??= init(new Runtime(process.env));
    try {
      return await (await ready)(event);
    } catch (error) {
      // Only forget a failed initialisation; a failed invocation keeps the warm runtime.
      await ready.catch(() => {
        ready = undefined;
      });
      throw error;
    }
  };
}
