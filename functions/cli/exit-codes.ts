import { ConfigError, UnreadableFileError, ValidationError } from '../core/errors.ts';

/** The CLI's documented exit codes. */
export const EXIT = { ok: 0, failed: 1, badInput: 2 } as const;

/**
 * The exit code of an error a command did not classify itself: input the operator can fix (a
 * wrong value, a file that is not papers, a wrong setting) is 2; anything else failed, 1.
 */
export function exitCodeFor(error: unknown): number {
  if (
    error instanceof ValidationError ||
    error instanceof ConfigError ||
    error instanceof UnreadableFileError
  )
    return EXIT.badInput;
  if (error instanceof Error && 'exitCode' in error && typeof error.exitCode === 'number') {
    // commander: --help and --version exit 0, usage errors 2.
    return error.exitCode === 0 ? EXIT.ok : EXIT.badInput;
  }
  return EXIT.failed;
}
