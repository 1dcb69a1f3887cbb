import { ConfigError, PaperboyError, UnreadableFileError, ValidationError } from '../core/errors.ts';

/**
 * The CLI's documented exit codes (docs/operations.md, "The operator CLI"): 0 done, 1 the
 * operation failed, 2 bad input, 3 the environment is not there or not reachable (a stage that is
 * not deployed, a stack output missing, credentials or a region missing).
 */
export const EXIT = { ok: 0, failed: 1, badInput: 2, environment: 3 } as const;

/**
 * What the command needs around it is missing: the stage's stacks or one of their outputs, the
 * credentials or the region to reach them. Exit code 3.
 */
export class EnvironmentError extends PaperboyError {
  override name = 'EnvironmentError';
}

/** File system errors about a path: one the operator gave, or can fix (a folder, a permission). */
const FILE_ERROR_CODES = new Set(['ENOENT', 'ENOTDIR', 'EISDIR', 'EACCES', 'EPERM', 'ENAMETOOLONG', 'ELOOP']);

/** The error as a file system error about a path (`EISDIR … open '/tmp'`), or undefined. */
export function fileErrorOf(
  error: unknown,
): (NodeJS.ErrnoException & { code: string; path: string }) | undefined {
  if (!(error instanceof Error)) return undefined;
  const { code, path } = error as NodeJS.ErrnoException;
  return typeof code === 'string' && FILE_ERROR_CODES.has(code) && typeof path === 'string'
    ? (error as NodeJS.ErrnoException & { code: string; path: string })
    : undefined;
}

/**
 * The exit code of an error a command did not classify itself: input the operator can fix (a
 * wrong value, a file that is not papers, a wrong setting, a path that is missing, a directory
 * or not readable) is 2; anything else failed, 1.
 */
export function exitCodeFor(error: unknown): number {
  if (error instanceof EnvironmentError || isCredentialsError(error)) return EXIT.environment;
  if (
    error instanceof ValidationError ||
    error instanceof ConfigError ||
    error instanceof UnreadableFileError ||
    fileErrorOf(error)
  )
    return EXIT.badInput;
  if (error instanceof Error && 'exitCode' in error && typeof error.exitCode === 'number') {
    // commander: --help and --version exit 0, usage errors 2.
    return error.exitCode === 0 ? EXIT.ok : EXIT.badInput;
  }
  return EXIT.failed;
}

/** The SDK could not find credentials or a region, or the credentials were refused. */
function isCredentialsError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return (
    error.name === 'CredentialsProviderError' ||
    error.name === 'ExpiredTokenException' ||
    error.name === 'UnrecognizedClientException' ||
    error.name === 'InvalidClientTokenId' ||
    /^Region is missing/u.test(error.message)
  );
}
