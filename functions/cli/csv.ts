import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { CliError } from './common.ts';
import { EXIT } from './exit-codes.ts';

/** What an import reads at most: the file, one line, and rows. Each is checked before importing. */
export const CSV_LIMITS = {
  fileBytes: 64 * 1024 * 1024,
  lineChars: 8 * 1024,
  rows: 1_000_000,
} as const;

/** The columns an import understands; only `email` is required. */
export const IMPORT_COLUMNS = ['email', 'topics', 'authors', 'exclude', 'frequency', 'digestSize'] as const;
export type ImportColumn = (typeof IMPORT_COLUMNS)[number];

/** One data row: its line in the file, and its fields by column, or why it could not be split. */
export type CsvRow =
  | { line: number; fields: Partial<Record<ImportColumn, string>>; fileStatus?: string }
  | { line: number; error: string };

/** An export's `status` column: never imported as a state, only read to keep out who left. */
export const STATUS_COLUMN = 'status';

/**
 * Splits one CSV line (RFC 4180 quoting: `"a, b"`, `""` for a quote). A row is one line: a
 * quoted field cannot span lines. Undefined when a quote is left open.
 */
export function splitCsvLine(line: string): string[] | undefined {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  while (i < line.length) {
    const c = line[i] as string;
    if (quoted) {
      if (c === '"') {
        if (line[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else field += c;
    } else if (c === '"' && field.trim() === '') {
      field = '';
      quoted = true;
    } else if (c === ',') {
      fields.push(field);
      field = '';
    } else field += c;
    i += 1;
  }
  if (quoted) return undefined;
  fields.push(field);
  return fields.map((f) => f.trim());
}

/**
 * Checks an import file before anything is imported: its size, its header (an `email` column,
 * no known column twice; unknown ones ignored) and its number of rows (a first pass, which also gives the
 * progress bar its total). A file that fails is refused whole, with exit code 2.
 */
export async function checkCsv(
  file: string,
): Promise<{ columns: (ImportColumn | undefined)[]; ignored: string[]; statusAt?: number; rows: number }> {
  const { size } = await stat(file);
  if (size > CSV_LIMITS.fileBytes) {
    throw new CliError(
      `${file}: ${size.toLocaleString('en-US')} bytes; an import file is at most ${CSV_LIMITS.fileBytes.toLocaleString('en-US')} (split it)`,
      EXIT.badInput,
    );
  }
  let header: string | undefined;
  let rows = 0;
  for await (const line of lines(file)) {
    if (header === undefined) {
      header = line.text;
      continue;
    }
    if (line.text.trim() === '') continue;
    rows += 1;
    if (rows > CSV_LIMITS.rows) {
      throw new CliError(
        `${file}: more than ${CSV_LIMITS.rows.toLocaleString('en-US')} rows; an import takes at most that many (split the file)`,
        EXIT.badInput,
      );
    }
  }
  if (header === undefined)
    throw new CliError(`${file}: empty; expected a header row: ${IMPORT_COLUMNS.join(',')}`, EXIT.badInput);
  return { ...parseHeader(file, header), rows };
}

/**
 * The header's columns, in order: an unknown column (`status`, `id` or the dates of an export,
 * a CRM's `name`) is ignored, `undefined` in its place, and named once in `ignored`. A `status`
 * column never sets a state (it never activates anyone); `statusAt` is where it is, so that a
 * row an export marks as left or unconfirmed is kept out or sent the double opt-in.
 */
function parseHeader(
  file: string,
  header: string,
): { columns: (ImportColumn | undefined)[]; ignored: string[]; statusAt?: number } {
  if (header.length > CSV_LIMITS.lineChars) {
    throw new CliError(
      `${file}: line 1 (the header) is longer than ${CSV_LIMITS.lineChars} characters`,
      EXIT.badInput,
    );
  }
  const names = splitCsvLine(header.replace(/^\uFEFF/u, ''));
  if (!names) throw new CliError(`${file}: line 1 (the header): a quoted name is not closed`, EXIT.badInput);
  const byLowerCase = new Map(IMPORT_COLUMNS.map((c) => [c.toLowerCase(), c]));
  const columns: (ImportColumn | undefined)[] = [];
  const ignored: string[] = [];
  for (const name of names) {
    const column = byLowerCase.get(name.toLowerCase());
    if (!column) {
      columns.push(undefined);
      ignored.push(name === '' ? '(unnamed)' : name);
      continue;
    }
    if (columns.includes(column))
      throw new CliError(`${file}: line 1 (the header): column ${column} twice`, EXIT.badInput);
    columns.push(column);
  }
  if (!columns.includes('email')) {
    throw new CliError(`${file}: line 1 (the header) has no email column`, EXIT.badInput);
  }
  const statusAt = names.findIndex((n) => n.toLowerCase() === STATUS_COLUMN);
  return { columns, ignored, ...(statusAt >= 0 ? { statusAt } : {}) };
}

/** What `subscribers export` puts before a value a spreadsheet would run as a formula, taken off. */
export function unprotect(value: string): string {
  return /^'[=+\-@\t\r]/u.test(value) ? value.slice(1) : value;
}

/** The data rows of a checked file, streamed, each with its line number. */
export async function* csvRows(
  file: string,
  columns: readonly (ImportColumn | undefined)[],
  statusAt?: number,
): AsyncGenerator<CsvRow> {
  let first = true;
  for await (const { text, number } of lines(file)) {
    if (first) {
      first = false;
      continue;
    }
    if (text.trim() === '') continue;
    if (text.length > CSV_LIMITS.lineChars) {
      yield { line: number, error: `longer than ${CSV_LIMITS.lineChars} characters` };
      continue;
    }
    const values = splitCsvLine(text);
    if (!values) {
      yield { line: number, error: 'a quoted field is not closed on its line (a field cannot span lines)' };
      continue;
    }
    if (values.length !== columns.length) {
      yield { line: number, error: `${values.length} fields where the header has ${columns.length}` };
      continue;
    }
    const fields: Partial<Record<ImportColumn, string>> = {};
    columns.forEach((column, i) => {
      const value = values[i];
      if (column && value) fields[column] = unprotect(value);
    });
    const fileStatus = statusAt === undefined ? undefined : values[statusAt]?.toLowerCase();
    yield { line: number, fields, ...(fileStatus ? { fileStatus } : {}) };
  }
}

/** The file's lines with their numbers (1-based), CRLF or LF. */
async function* lines(file: string): AsyncGenerator<{ text: string; number: number }> {
  const reader = createInterface({
    input: createReadStream(file, { encoding: 'utf8' }),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let number = 0;
  for await (const text of reader) {
    number += 1;
    yield { text, number };
  }
}
