import { appendFile, mkdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as z from 'zod';
import type { DeadLetter } from './async-invoker.ts';

/**
 * The local stack's dead-letter queues, kept in one file of the data folder (JSON Lines, one
 * letter a line, appended), so that they outlive the process that set them aside and another
 * process (`paperboy dlq list | redrive`) can read and move them, as SQS dead-letter queues are
 * read from anywhere. Each line is one `appendFile` (O_APPEND): letters from two processes never
 * interleave. Taking the letters renames the file first, so a letter appended meanwhile goes to
 * a new file and is neither lost nor taken twice.
 */
const FILE = 'dead-letters.jsonl';
/** One letter's largest line; a bigger event is cut to what fits, and says so. */
const MAX_LINE_BYTES = 256 * 1024;

export const DeadLetterLineSchema = z.object({
  source: z.string(),
  error: z.string(),
  at: z.iso.datetime(),
  event: z.unknown(),
  /** The event was larger than a line may be: only its start is kept, and it cannot be redriven. */
  truncated: z.boolean().optional(),
});
export type StoredDeadLetter = z.infer<typeof DeadLetterLineSchema>;

export function deadLetterPath(dataDir: string): string {
  return join(dataDir, FILE);
}

export async function appendDeadLetter(dataDir: string, letter: DeadLetter, now = new Date()): Promise<void> {
  let line = JSON.stringify({
    source: letter.source,
    error: letter.error,
    at: now.toISOString(),
    event: letter.event,
  });
  if (Buffer.byteLength(line) > MAX_LINE_BYTES) {
    const start = JSON.stringify(letter.event).slice(0, MAX_LINE_BYTES / 2);
    line = JSON.stringify({
      source: letter.source,
      error: letter.error,
      at: now.toISOString(),
      event: start,
      truncated: true,
    });
  }
  await mkdir(dataDir, { recursive: true });
  await appendFile(deadLetterPath(dataDir), `${line}\n`);
}

/** The letters in the file, oldest first; a line that is not a letter is reported, not dropped. */
export async function readDeadLetters(
  dataDir: string,
  path = deadLetterPath(dataDir),
): Promise<{ letters: StoredDeadLetter[]; unreadable: number; unreadableLines: string[] }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      return { letters: [], unreadable: 0, unreadableLines: [] };
    throw error;
  }
  const letters: StoredDeadLetter[] = [];
  const unreadableLines: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const parsed = DeadLetterLineSchema.safeParse(JSON.parse(line));
      if (parsed.success) letters.push(parsed.data);
      else unreadableLines.push(line);
    } catch {
      unreadableLines.push(line);
    }
  }
  return { letters, unreadable: unreadableLines.length, unreadableLines };
}

/**
 * Takes every letter out of the file at once (a rename), for a redrive: `keep` puts back the
 * ones the caller does not move, before anything else is appended after them. A line that is
 * not a letter is put back as it was (never deleted: the operator reads and removes it), and
 * counted in `unreadable`.
 */
export async function takeDeadLetters(
  dataDir: string,
  keep: (letter: StoredDeadLetter) => boolean,
): Promise<{ moved: StoredDeadLetter[]; unreadable: number }> {
  const taken = join(dataDir, `${FILE}.taken-${process.pid}-${Date.now()}`);
  try {
    await rename(deadLetterPath(dataDir), taken);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { moved: [], unreadable: 0 };
    throw error;
  }
  const { letters, unreadableLines } = await readDeadLetters(dataDir, taken);
  const moved: StoredDeadLetter[] = [];
  const kept: string[] = unreadableLines.map((line) => `${line}\n`);
  for (const letter of letters) {
    if (keep(letter)) kept.push(`${JSON.stringify(letter)}\n`);
    else moved.push(letter);
  }
  if (kept.length > 0) await appendFile(deadLetterPath(dataDir), kept.join(''));
  await rm(taken, { force: true });
  return { moved, unreadable: unreadableLines.length };
}
