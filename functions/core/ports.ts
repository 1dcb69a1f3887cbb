import type { DigestView } from './digest.ts';
import type { Edition } from './edition.ts';
import type { Paper } from './paper.ts';
import type { SignalPoint } from './ranking.ts';
import type { SendJob } from './send-job.ts';
import type { Subscriber } from './subscriber.ts';

export type { Edition } from './edition.ts';
export type { SendJob } from './send-job.ts';

/** Time comes in from outside so that use cases are deterministic under test. */
export interface Clock {
  now(): Date;
}

/** Outcome of storing one batch of parsed papers (see `planStore` in dedup.ts). */
export interface StoreOutcome {
  /** Papers new to the table. */
  new: number;
  /** Papers whose stored copy gained fields or newer signals. */
  updated: number;
  /** Papers already stored exactly so: nothing written. */
  unchanged: number;
  /** Title-only records merged into the paper with an external id they are the same work as. */
  merged: number;
  /** Near-duplicates stored and linked to the paper they stand for. */
  linked: number;
}

/**
 * Where papers live. `store` merges each paper into what is stored (same id, or the same work
 * under another id), appends a signal snapshot for each paper that carries signals, and is
 * idempotent: the same papers stored twice change nothing.
 */
export interface PaperRepository {
  store(papers: readonly Paper[]): Promise<StoreOutcome>;
  /** Papers published on the given UTC days (`YYYY-MM-DD`), near-duplicates left out. */
  listPublishedOn(days: readonly string[]): Promise<Paper[]>;
  /** Signal snapshots of these papers observed since `since` (ISO time), oldest first. */
  signalHistory(ids: readonly string[], since: string): Promise<Map<string, SignalPoint[]>>;
}

/** An uploaded file, open for reading. */
export interface OpenedFile {
  text: AsyncIterable<string>;
  lastModified: Date;
  size: number;
  /** Lets go of the file (its connection) whether or not its text was read to the end. */
  close(): void;
}

/** Read access to uploaded files and write access to the reports beside them. */
export interface FileStore {
  /**
   * The object's text, streamed (decompressed and decoded; a stream that cannot be throws
   * UnreadableFileError as it is read), when it was last written (its observation time) and
   * its size in bytes; undefined when the object no longer exists (an event delivered after
   * the file was moved to quarantine).
   */
  open(key: string): Promise<OpenedFile | undefined>;
  writeJson(key: string, value: unknown): Promise<void>;
  /** Moves a file that cannot be read at all out of the way, keeping its bytes. */
  move(fromKey: string, toKey: string): Promise<void>;
}

/** Record of what one file produced, so operators can see every ingest. */
export interface IngestRecord {
  key: string;
  etag: string;
  format: string;
  status: 'ingested' | 'quarantined' | 'gone';
  accepted: number;
  rejected: number;
  /** Records of the file that repeat an earlier record of the same file (same id). */
  duplicates: number;
  stored: StoreOutcome;
  error?: string;
  at: string;
}

export interface IngestLog {
  record(entry: IngestRecord): Promise<void>;
}

export interface EditionRepository {
  /** Stores a new edition; false when that day's edition already exists (it is left untouched). */
  create(edition: Edition): Promise<boolean>;
  get(date: string): Promise<Edition | undefined>;
}

export interface SubscriberPage {
  subscribers: Subscriber[];
  next?: string;
}

export interface SubscriberRepository {
  /** Writes a new subscriber unless one with the same id exists; returns whether it was created. */
  create(subscriber: Subscriber): Promise<boolean>;
  get(id: string): Promise<Subscriber | undefined>;
  /**
   * Replaces a subscriber if its status is still `expectedStatus`; returns false when another
   * request changed it first (the caller then re-reads).
   */
  replace(subscriber: Subscriber, expectedStatus: Subscriber['status']): Promise<boolean>;
  listActive(cursor?: string, limit?: number): Promise<SubscriberPage>;
}

/** What each reader already received: a paper is never sent to them twice (records kept 90 days). */
export interface SentPapers {
  received(subscriberId: string): Promise<Set<string>>;
  record(subscriberId: string, paperIds: readonly string[]): Promise<void>;
}

/** Exactly-once bookkeeping: one item per subscriber per edition. */
export interface DeliveryLedger {
  /**
   * Claims the right to send this edition to this subscriber. False when it was already
   * sent or another worker holds the claim; a claim released after a failed send can be taken again.
   */
  claim(subscriberId: string, editionDate: string): Promise<boolean>;
  complete(subscriberId: string, editionDate: string, messageId: string): Promise<void>;
  /** Gives a claim back after the email provider refused the message, so a retry may send it. */
  release(subscriberId: string, editionDate: string, reason: string): Promise<void>;
}

export interface OutgoingEmail {
  to: string;
  subject: string;
  html: string;
  text: string;
  /** Extra headers; values never contain CR or LF. */
  headers: Record<string, string>;
}

export interface EmailSender {
  send(email: OutgoingEmail): Promise<{ messageId: string }>;
}

export interface WorkQueue {
  enqueue(jobs: readonly SendJob[]): Promise<void>;
}

export type RateLimitVerdict = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** Counts requests per key in fixed windows, shared by every instance of a function. */
export interface RateLimiter {
  /** Counts one request for `key`; refused once the window holds more than `limit`. */
  hit(key: string, limit: number, windowSeconds: number): Promise<RateLimitVerdict>;
}

/** The public pages around the emails. Every value is escaped by the renderer. */
export interface PageRenderer {
  /** The sign-up form, posting to `action`. */
  subscribe(action: string): string;
  /** A page that says one thing: a heading and a sentence. */
  message(heading: string, message: string): string;
  /** The unsubscribe page: one button that posts to `action`. */
  unsubscribe(action: string): string;
}

/** Turns a digest's values into email HTML. */
export interface DigestRenderer {
  renderDigest(view: DigestView): string;
  renderConfirmation(view: { confirmUrl: string }): string;
}
