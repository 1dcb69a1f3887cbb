import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { EXIT, exitCodeFor } from '../../../functions/cli/exit-codes.ts';
import {
  ConfigError,
  InvalidTokenError,
  PaperboyError,
  UnreadableFileError,
  ValidationError,
} from '../../../functions/core/errors.ts';

describe('CLI exit codes', () => {
  it('are 2 for input the operator can fix, 1 for a failed operation, as the help says', () => {
    expect(exitCodeFor(new ValidationError('topics: at most 20'))).toBe(EXIT.badInput);
    expect(exitCodeFor(new ConfigError('invalid environment'))).toBe(EXIT.badInput);
    expect(exitCodeFor(new UnreadableFileError('not a papers file'))).toBe(EXIT.badInput);
    expect(exitCodeFor(new CommanderError(1, 'commander.unknownOption', 'unknown option'))).toBe(
      EXIT.badInput,
    );
    expect(exitCodeFor(new CommanderError(0, 'commander.helpDisplayed', '(outputHelp)'))).toBe(EXIT.ok);
    expect(exitCodeFor(new PaperboyError('DynamoDB is down'))).toBe(EXIT.failed);
    expect(exitCodeFor(new InvalidTokenError('bad signature'))).toBe(EXIT.failed);
    expect(exitCodeFor(new Error('ECONNREFUSED'))).toBe(EXIT.failed);
    expect(exitCodeFor('a string')).toBe(EXIT.failed);
  });
});
