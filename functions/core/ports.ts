import type { Paper } from './paper.ts';
import type { RankedPaper } from './ranking.ts';
import type { Subscriber } from './subscriber.ts';

/** Time comes in from outside so that use cases are deterministic under test. */
export interface Clock {
  now(): Date;
}

/** Outcome of storing one batch of parsed papers. */
export interface UpsertOutcome {
  /** Papers new to the table, or whose stored copy was older and has been replaced. */
  written: number;
  /** Papers whose stored copy was observed at the same time or later: left as they were. */
  unchanged: number;
}

/** Where papers live. Implementations must make `upsert` idempotent per observation time. */
export interface PaperRepository {
  upsert(papers: readonly Paper[]): Promise<UpsertOutcome>;
  /** Papers published on the given UTC days (`YYYY-MM-DD`), in no particular order. */
  listPublishedOn(days: readonly string[]): Promise<Paper[]>;
}

/** Read access to uploaded files and write access to the reports beside them. */
export interface FileStore {
  /**
   * The object's bytes, and when it was last written (its observation time); undefined when
   * the object no longer exists (an event delivered after the file was moved to quarantine).
   */
  read(key: string): Promise<{ body: Buffer; lastModified: Date } | undefined>;
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
  written: number;
  unchanged: number;
  error?: string;
  at: string;
}

export interface IngestLog {
  record(entry: IngestRecord): Promise<void>;
}

export interface Edition {
  /** The edition's day, `YYYY-MM-DD` in the configured time zone. */
  date: string;
  createdAt: string;
  entries: RankedPaper[];
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

/** One unit of sending work: an edition for a page of subscribers. */
export interface SendJob {
  editionDate: string;
  subscriberIds: string[];
}

export interface WorkQueue {
  enqueue(jobs: readonly SendJob[]): Promise<void>;
}

/** Turns a digest's values into email HTML. */
export interface DigestRenderer {
  renderDigest(view: import('./digest.ts').DigestView): string;
  renderConfirmation(view: { confirmUrl: string }): string;
}
