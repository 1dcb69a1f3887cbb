import { describe, expect, it } from 'vitest';
import { forTerminal, jsonForTerminal } from '../../../functions/cli/terminal.ts';

describe('printing to a terminal', () => {
  it('shows escape sequences, BEL, C1 controls and bidi overrides as escapes, keeping tabs and line breaks', () => {
    const title = 'A\u001b]0;pwned\u0007 paper \u001b[8mhidden\u001b[0m \u009b31m \u202eevil\u202c\tok\nnext';
    const shown = forTerminal(title);
    expect(shown).toBe(
      'A\\u001b]0;pwned\\u0007 paper \\u001b[8mhidden\\u001b[0m \\u009b31m \\u202eevil\\u202c\tok\nnext',
    );
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the assertion is about control characters
    expect(shown).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e]/u);
  });

  it('writes JSON that parses back to the same value, with nothing raw in it', () => {
    const value = { title: 'x\u009b2J\u202ey\u001b[2J', n: 1 };
    const json = jsonForTerminal(value);
    expect(JSON.parse(json)).toEqual(value);
    expect(json).toContain('\\u009b');
    expect(json).toContain('\\u202e');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the assertion is about control characters
    expect(json).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e]/u);
  });
});
