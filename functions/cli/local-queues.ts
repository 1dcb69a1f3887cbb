import type { SendJob } from '../core/ports.ts';
import type { SignupMessage } from '../core/signup.ts';
import {
  deadLetterPath,
  readDeadLetters,
  type StoredDeadLetter,
  takeDeadLetters,
} from '../local/dead-letter-file.ts';
import type { Connection } from './connect.ts';
import {
  BODY_PREVIEW_CHARS,
  DEAD_LETTER_ROLES,
  type DeadLetterQueueView,
  type QueueAdmin,
  type QueueDepth,
  type RedriveResult,
} from './target-types.ts';

/** The local stack's sources of dead letters, by the role their queue has on AWS. */
const ROLE_OF_SOURCE: Record<string, string> = {
  'send-queue': 'send',
  'signup-queue': 'signup',
  ingest: 'ingest',
  schedule: 'rank',
  'ses-events': 'feedback',
};

const roleOf = (letter: StoredDeadLetter) => ROLE_OF_SOURCE[letter.source] ?? letter.source;
/** A letter from a source this version does not know: listed and kept, never handed to a function. */
const UNKNOWN_ROLE = 'unknown';
const routed = (letter: StoredDeadLetter) =>
  (DEAD_LETTER_ROLES as readonly string[]).includes(roleOf(letter));

/**
 * The local stack's queues. Its work queues are in-process (each process that queues a job runs
 * it), so no other process can see their depth; its dead letters are kept in the data folder
 * (functions/local/dead-letter-file.ts), where any command reads and redrives them. A redrive
 * runs the letters again here, through the same functions and retries: one that fails again is
 * set aside again.
 */
export class LocalQueueAdmin implements QueueAdmin {
  constructor(private readonly connection: Connection) {}

  roles(): string[] {
    return [...DEAD_LETTER_ROLES];
  }

  async depths(): Promise<QueueDepth[]> {
    const { letters } = await readDeadLetters(this.connection.dataDir);
    const note = 'in-process locally: each process runs the jobs it queues, so no other process sees them';
    return [
      { name: 'send-queue', kind: 'work', role: 'send', note },
      { name: 'signup-queue', kind: 'work', role: 'signup', note },
      ...DEAD_LETTER_ROLES.map(
        (role): QueueDepth => ({
          name: `${role}-dead-letters`,
          kind: 'dead-letter',
          role,
          visible: letters.filter((letter) => roleOf(letter) === role).length,
        }),
      ),
    ];
  }

  async deadLetters(peek: number): Promise<DeadLetterQueueView[]> {
    const { letters, unreadable } = await readDeadLetters(this.connection.dataDir);
    const view = (role: string, mine: StoredDeadLetter[]): DeadLetterQueueView => ({
      name: role === UNKNOWN_ROLE ? 'dead-letters-of-unknown-source' : `${role}-dead-letters`,
      role,
      depth: mine.length,
      messages: mine.slice(0, peek).map((letter, i) => ({
        id: `${role}-${i + 1}`,
        at: letter.at,
        error: letter.error,
        attributes: { source: letter.source, ...(letter.truncated ? { truncated: 'true' } : {}) },
        body: JSON.stringify(letter.event).slice(0, BODY_PREVIEW_CHARS),
      })),
    });
    const views = DEAD_LETTER_ROLES.map((role) =>
      view(
        role,
        letters.filter((l) => roleOf(l) === role),
      ),
    );
    // Lines that are not letters, and letters of a source no queue stands for, are listed apart:
    // no redrive takes them, and the operator decides (the file is dead-letters.jsonl in the data folder).
    const unknown = letters.filter((letter) => !routed(letter));
    if (unknown.length > 0 || unreadable > 0)
      views.push({ ...view(UNKNOWN_ROLE, unknown), ...(unreadable > 0 ? { unreadable } : {}) });
    return views;
  }

  async redrive(role?: string): Promise<RedriveResult[]> {
    const { local, dataDir } = this.connection;
    const started = new Date().toISOString();
    // Truncated letters cannot be run again, and a letter of an unknown source has nowhere to
    // go: they stay, as do lines that are not letters, and are reported.
    const { moved: taken, unreadable } = await takeDeadLetters(
      dataDir,
      (letter) =>
        (role !== undefined && roleOf(letter) !== role) || letter.truncated === true || !routed(letter),
    );
    for (const letter of taken) {
      const event = letter.event;
      switch (roleOf(letter)) {
        case 'send':
          await local.queue.enqueue([event as SendJob]);
          break;
        case 'signup':
          await local.operator.signups.enqueue(event as SignupMessage);
          break;
        case 'ingest':
          local.invoker.invoke('ingest', event, () => local.handlers.ingest(event));
          break;
        case 'rank':
          local.invoker.invoke('schedule', event, () => local.handlers.rank(event));
          break;
        case 'feedback':
          local.invoker.invoke('ses-events', event, () => local.handlers.feedback(event));
          break;
        default:
          // Never reached: `routed` keeps letters of an unknown source in the file.
          throw new Error(`no queue for dead letters of source ${letter.source}`);
      }
    }
    await this.connection.settle();
    // What failed again was set aside again, after the redrive began.
    const { letters: now } = await readDeadLetters(dataDir);
    const again = now.filter((letter) => letter.at >= started);
    const results: RedriveResult[] = (role ? [role] : [...DEAD_LETTER_ROLES]).map((r) => ({
      name: `${r}-dead-letters`,
      role: r,
      moved: taken.filter((letter) => roleOf(letter) === r).length,
      how: 'invoked' as const,
      failed: again
        .filter((letter) => roleOf(letter) === r)
        .map((letter, i) => ({ id: `${r}-${i + 1}`, error: letter.error })),
    }));
    const unknown = now.filter((letter) => !routed(letter)).length;
    if (unknown > 0 || unreadable > 0) {
      results.push({
        name: 'dead-letters-of-unknown-source',
        role: UNKNOWN_ROLE,
        moved: 0,
        how: 'invoked',
        failed: [],
        kept: unknown + unreadable,
        note: `${unreadable} line(s) that are not letters and ${unknown} letter(s) of an unknown source are kept in ${deadLetterPath(dataDir)}, not redriven: read them there and remove them by hand`,
      });
    }
    return results;
  }
}
