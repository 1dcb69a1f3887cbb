import { ConfigError, UnreadableFileError, ValidationError } from '../core/errors.ts';

/** The CLI's documented exit codes. */
export const EXIT = { ok: 0, failed: 1, badInput: 2 } as const;

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
