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
  | { line: number; fields: Partial<Record<ImportColumn, string>> }
  | { line: number; error: string };

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
 * Checks an import file before anything is imported: its size, its header (known columns, an
 * `email` column, no column twice) and its number of rows (a first pass, which also gives the
 * progress bar its total). A file that fails is refused whole, with exit code 2.
 */
export async function checkCsv(
  file: string,
): Promise<{ columns: (ImportColumn | undefined)[]; rows: number }> {
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
  return { columns: parseHeader(file, header), rows };
}

function parseHeader(file: string, header: string): ImportColumn[] {
  if (header.length > CSV_LIMITS.lineChars) {
    throw new CliError(
      `${file}: line 1 (the header) is longer than ${CSV_LIMITS.lineChars} characters`,
      EXIT.badInput,
    );
  }
  const names = splitCsvLine(header.replace(/^\uFEFF/u, ''));
  if (!names) throw new CliError(`${file}: line 1 (the header): a quoted name is not closed`, EXIT.badInput);
  const byLowerCase = new Map(IMPORT_COLUMNS.map((c) => [c.toLowerCase(), c]));
  const columns: ImportColumn[] = [];
  for (const name of names) {
    const column = byLowerCase.get(name.toLowerCase());
    if (!column) {
      throw new CliError(
        `${file}: line 1 (the header): unknown column "${name}"; the columns are ${IMPORT_COLUMNS.join(', ')} (only email is required)`,
        EXIT.badInput,
      );
    }
    if (columns.includes(column))
      throw new CliError(`${file}: line 1 (the header): column ${column} twice`, EXIT.badInput);
    columns.push(column);
  }
  if (!columns.includes('email')) {
    throw new CliError(`${file}: line 1 (the header) has no email column`, EXIT.badInput);
  }
  return columns;
}

/** The data rows of a checked file, streamed, each with its line number. */
export async function* csvRows(
  file: string,
  columns: readonly (ImportColumn | undefined)[],
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
      if (column && value) fields[column] = value;
    });
    yield { line: number, fields };
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
