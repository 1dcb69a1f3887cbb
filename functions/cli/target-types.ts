import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SignupQueue } from '../core/ports.ts';
import type { TokenKeys } from '../core/tokens.ts';
import type { LocalRuntime } from '../local/local-runtime.ts';

/** The dead-letter queues, by the role of what feeds them. */
export const DEAD_LETTER_ROLES = ['send', 'signup', 'ingest', 'rank', 'feedback'] as const;
/** How much of a message body a listing shows. */
export const BODY_PREVIEW_CHARS = 500;

/** The depth of one queue: messages waiting, and those received and not yet deleted. */
export interface QueueDepth {
  name: string;
  /** `work`: a queue functions take jobs from; `dead-letter`: where failures are kept. */
  kind: 'work' | 'dead-letter';
  /** What feeds it, or what it feeds: `send`, `signup`, `ingest`, `rank`, `feedback`. */
  role: string;
  /** Undefined where the queue cannot be seen from this process (see `note`). */
  visible?: number;
  inFlight?: number;
  note?: string;
}

/** A message in a dead-letter queue, as `dlq list` shows it (nothing is deleted to read it). */
export interface DeadLetterMessage {
  id: string;
  /** When it was set aside (or sent, on SQS). */
  at?: string;
  /** Why it failed, where the queue says so. */
  error?: string;
  attributes: Record<string, string>;
  /** The message body, cut to `BODY_PREVIEW_CHARS`. */
  body: string;
}

export interface DeadLetterQueueView {
  name: string;
  role: string;
  depth: number;
  messages: DeadLetterMessage[];
  /** Lines of the queue that could not be read as messages (local file only). */
  unreadable?: number;
}

export interface RedriveResult {
  name: string;
  role: string;
  /** Messages moved back to their source (or, for a function's queue, handed back to it). */
  moved: number;
  /** `move-task`: SQS moves them (StartMessageMoveTask) in the background; `invoked`: re-run now. */
  how: 'move-task' | 'invoked' | 'queued';
  /** Messages that could not be handed back, with why. */
  failed: { id: string; error: string }[];
  /** The SQS move task, to follow with ListMessageMoveTasks. */
  taskHandle?: string;
  /** Left where they are, not redriven (local file: lines that are not letters, unknown sources). */
  kept?: number;
  /** Why some were kept, and where they are. */
  note?: string;
}

/** The queues of a stack: depths, dead letters to read, and a way to put them back. */
export interface QueueAdmin {
  depths(): Promise<QueueDepth[]>;
  deadLetters(peek: number): Promise<DeadLetterQueueView[]>;
  /** The dead-letter queues by role (send, signup, ingest, rank, feedback). */
  roles(): string[];
  redrive(role?: string): Promise<RedriveResult[]>;
}

/**
 * Everything a store-touching command works on, built either from the local stack's info or from
 * a deployed stage's stack outputs: the same commands run the same code against both, and only
 * the endpoints and credentials behind the clients differ.
 */
export interface Targets {
  kind: 'local' | 'aws';
  /** What is being operated on, for messages. */
  label: string;
  tableName: string;
  bucketName: string;
  /** The public API (links in emails point here). */
  apiUrl: string;
  db: DynamoDBDocumentClient;
  s3: S3Client;
  /** The token key ring: subscriber ids derive from it. */
  keys: TokenKeys;
  /** Sign-ups for the double opt-in path (the local stack's in-process queue, or SQS). */
  signups: SignupQueue;
  queues: QueueAdmin;
  /** Local only: the runtime this command runs the functions in. */
  local?: LocalRuntime;
  /** Local only: waits for this process's background work (sign-ups, send jobs). */
  settle(): Promise<void>;
}

/** The options every store-touching command takes to choose its target. */
export interface TargetOptions {
  dataDir: string;
  json?: boolean;
  aws?: boolean;
  stage?: string;
  profile?: string;
  region?: string;
  outputsFile?: string;
}
