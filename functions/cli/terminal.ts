/**
 * Text from outside (paper titles, reasons, error messages that quote a file) is printed through
 * these, so nothing in it can drive the operator's terminal: control characters (C0, DEL, C1)
 * and bidirectional overrides are shown as `\u001b`-style escapes instead of being sent raw.
 * Ingestion already strips them from stored text; this is the second wall, at the terminal.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

const asEscape = (c: string) => `\\u${(c.codePointAt(0) as number).toString(16).padStart(4, '0')}`;

/** One line of text for a terminal: tabs and line breaks kept, every other control character escaped. */
export function forTerminal(text: string): string {
  return text.replace(UNSAFE, asEscape);
}

/** JSON for a terminal or a pipe: JSON.stringify leaves C1 controls and bidi marks raw; these are escaped too. */
export function jsonForTerminal(value: unknown): string {
  return JSON.stringify(value).replace(UNSAFE, asEscape);
}
