/**
 * One error hierarchy for the whole product. `publicMessage` is safe to show a caller
 * (4xx bodies, CLI output); anything else stays in logs.
 */
export class PaperboyError extends Error {
  override name = 'PaperboyError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Input that breaks a rule: a request body, a record in a file, a config value. */
export class ValidationError extends PaperboyError {
  override name = 'ValidationError';
  constructor(
    message: string,
    readonly issues: readonly { path: string; message: string }[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A token that is malformed, forged, expired or for another purpose. */
export class InvalidTokenError extends PaperboyError {
  override name = 'InvalidTokenError';
}

/** A genuine token past its expiry: it still tells who holds it, enough to offer a fresh link. */
export class ExpiredTokenError extends InvalidTokenError {
  override name = 'ExpiredTokenError';
}

export class NotFoundError extends PaperboyError {
  override name = 'NotFoundError';
}

/** A whole file could not be read as any supported format. */
export class UnreadableFileError extends PaperboyError {
  override name = 'UnreadableFileError';
}

/** Configuration that is missing or wrong: a fault on our side (a 500), never the caller's. */
export class ConfigError extends PaperboyError {
  override name = 'ConfigError';
}

/** A record kept changing under us (optimistic locking lost every retry): retry the request later. */
export class ConcurrentUpdateError extends PaperboyError {
  override name = 'ConcurrentUpdateError';
}

/** Too many requests from one place (an IP, an address) in a window: a 429 with Retry-After. */
export class RateLimitedError extends PaperboyError {
  override name = 'RateLimitedError';
  constructor(readonly retryAfterSeconds: number) {
    super(`too many requests; try again in ${retryAfterSeconds} s`);
  }
}

/** The email provider is throttling us: back off and try again. */
export class ThrottledError extends PaperboyError {
  override name = 'ThrottledError';
}

/**
 * The email provider stopped all sending for the account (paused or suspended): nothing more
 * can go out until an operator acts. Runs stop; an alarm is raised.
 */
export class SendingStoppedError extends PaperboyError {
  override name = 'SendingStoppedError';
}

/** The email provider refused this recipient for good (a rejected message, an invalid address). */
export class RecipientRejectedError extends PaperboyError {
  override name = 'RecipientRejectedError';
}

/** A request body larger than the API accepts. */
export class PayloadTooLargeError extends PaperboyError {
  override name = 'PayloadTooLargeError';
}

/** A method the address does not answer (`PUT /subscriptions`): a 405 that lists what it does. */
export class MethodNotAllowedError extends PaperboyError {
  override name = 'MethodNotAllowedError';
  constructor(
    readonly method: string,
    /** The methods the address answers, for the `Allow` header. */
    readonly allowed: readonly string[],
  ) {
    super(`this address does not answer ${method}; it answers ${allowed.join(', ')}`);
  }
}

/** Turns zod issues into `path: message` pairs that name where the input was wrong. */
export function describeIssues(
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
): { path: string; message: string }[] {
  return issues.map((issue) => ({
    path: issue.path.length ? issue.path.map(String).join('.') : '(root)',
    message: issue.message,
  }));
}

export function formatIssues(issues: readonly { path: string; message: string }[]): string {
  return issues.map((i) => `${i.path}: ${i.message}`).join('; ');
}

/** An HTTP request that got no usable answer: the network failed, it took too long, or its body was too large. */
export class HttpRequestError extends PaperboyError {
  override name = 'HttpRequestError';
  constructor(
    /** `bad-body`: the body could not be decoded (a corrupt gzip); `cancelled`: the caller's signal stopped it. */
    readonly kind: 'network' | 'timeout' | 'too-large' | 'bad-body' | 'cancelled',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
