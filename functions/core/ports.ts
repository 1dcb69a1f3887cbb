import type { DigestView } from './digest.ts';
import type { Edition, EditionSummary } from './edition.ts';
import type { LearnedProfile } from './learning.ts';
import type { Paper } from './paper.ts';
import type { SignalPoint } from './ranking.ts';
import type { SendJob } from './send-job.ts';
import type { SignupMessage } from './signup.ts';
import type { ErasedSubscriber, Preferences, Subscriber, SubscriberRecord } from './subscriber.ts';

export type { Edition, EditionSummary } from './edition.ts';
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
  /** The newest edition's summary (no candidates): what pages show about "this week". */
  latest(): Promise<EditionSummary | undefined>;
}

export interface SubscriberPage {
  subscribers: Subscriber[];
  next?: string;
}

export interface SubscriberRepository {
  /**
   * Writes a new subscriber unless one with the same id exists (an expired pending sign-up
   * counts as absent): one conditional write, so two concurrent sign-ups make one subscriber.
   */
  create(subscriber: Subscriber): Promise<boolean>;
  get(id: string): Promise<SubscriberRecord | undefined>;
  /**
   * Replaces a record if it is still at `expectedVersion` (every change increments `version`);
   * false when another request changed it first (the caller then re-reads).
   */
  replace(next: SubscriberRecord, expectedVersion: number): Promise<boolean>;
  listActive(cursor?: string, limit?: number): Promise<SubscriberPage>;
}

/** Everything Paperboy stores about one reader, as their data export shows it. */
export interface PersonalDataExport {
  subscriber: SubscriberRecord | undefined;
  /**
   * Each digest: `channel` `email` (sent by email) or `feed` (frequency "none": recorded for the
   * personal feed, never emailed), and the papers it carried with why each was chosen.
   */
  deliveries: {
    editionDate: string;
    status: string;
    channel: 'email' | 'feed';
    at?: string;
    messageId?: string;
    papers?: { paperId: string; reasons: string[] }[];
  }[];
  papersReceived: { paperId: string; sentAt: string }[];
  /** What their "more / fewer like this" clicks taught, when they clicked. */
  learned?: LearnedProfile;
}

/** A reader's learned profile (functions/core/learning.ts), one item in their partition. */
export interface LearnedProfiles {
  /** The stored profile; undefined when none is stored or the stored item is unreadable. */
  get(subscriberId: string): Promise<LearnedProfile | undefined>;
  /** The stored profile as a change reads it: what it holds and the version to write on. */
  load(subscriberId: string): Promise<StoredLearned>;
  /**
   * Writes the profile if the stored item is still at `expectedVersion` (as `load` gave it);
   * false when another change came first (the caller re-reads and applies its change again).
   */
  put(subscriberId: string, profile: LearnedProfile, expectedVersion: number | null): Promise<boolean>;
  /** Deletes the item (a vote that raced an erasure takes back what it wrote). */
  delete(subscriberId: string): Promise<void>;
}

/** A stored learned profile as a change reads it. */
export interface StoredLearned {
  /** undefined: nothing stored, or an item that fails the schema (`unreadable`). */
  profile: LearnedProfile | undefined;
  /** What a write must find: 0 no item; the item's version; null an item without a numeric version. */
  version: number | null;
  /** An item is stored but fails the schema (changed by hand, or by another version): a change replaces it. */
  unreadable: boolean;
}

/** One paper by id, as stored (the vote path reads the voted paper's words). */
export interface PaperLookup {
  get(id: string): Promise<Paper | undefined>;
}

/** The reader's own data, all of it, to export or to erase. */
export interface PersonalData {
  exportOf(subscriberId: string): Promise<PersonalDataExport>;
  /**
   * Deletes every item stored under the subscriber (deliveries, papers received, the profile)
   * and leaves the erased marker in the profile's place.
   */
  erase(marker: ErasedSubscriber): Promise<void>;
}

/** Sign-up requests, handled after the API has answered (see `acceptSignup`). */
export interface SignupQueue {
  enqueue(signup: SignupMessage): Promise<void>;
}

/** Fresh random ids (sign-up ids, run ids): randomness comes in as a port. */
/**
 * Counts what happened (sign-ups confirmed, readers who left…) for the operator's metrics; on
 * AWS, CloudWatch metrics (functions/shared/metrics.ts). Optional in deps: the CLI counts nothing.
 */
export interface Counters {
  count(name: string, value?: number): void;
}

export interface IdGenerator {
  next(): string;
}

/** One reader as the send path needs them, read in one go right before sending. */
export interface ReaderState {
  subscriber: SubscriberRecord | undefined;
  /**
   * The papers they received in the last 90 days: a paper is never sent to them twice. A
   * delivery still `sending` counts (its message may have left).
   */
  received: Set<string>;
  /** Their delivery of the edition asked about, if there is one. */
  delivery: Delivery | undefined;
  /** What their clicks taught, read in the same request (it lives in their partition). */
  learned?: LearnedProfile | undefined;
}

/** Reads a reader's record, the papers they received and one edition's delivery, together. */
export interface Readers {
  load(subscriberId: string, editionDate: string): Promise<ReaderState>;
}

/** One reader's copy of one edition, as the delivery ledger keeps it. */
export interface Delivery {
  subscriberId: string;
  editionDate: string;
  /**
   * `sending`: claimed, the provider may or may not have the message; `sent`: the provider
   * accepted it; `released`: it was not sent and may be tried again; `rejected`: the provider
   * refused the address for good.
   */
  status: 'sending' | 'sent' | 'released' | 'rejected';
  claimedAt: string;
  /** The papers chosen for this reader, recorded as received once the message is accepted. */
  paperIds: string[];
  /** Why each paper was chosen (in the order of `paperIds`): a personal feed shows them. */
  reasons?: string[][];
  /** `feed`: a digest recorded for a reader with no email (frequency `none`), never sent. */
  channel?: 'email' | 'feed';
  messageId?: string;
  sentAt?: string;
  error?: string;
  /** The ids of the messages the provider reported accepting for this delivery (one, if all is well). */
  sendEvents?: string[];
}

/** What recording a send event found: the delivery before it, and what it meant. */
export interface SendEventRecord {
  /** The delivery as it was before this event. */
  before: Delivery;
  /** True when this event completed a claim its worker left unrecorded (its papers are to be recorded). */
  completed: boolean;
  /** Another message of this delivery had been accepted already: the reader got it twice. */
  duplicateOf?: string;
}

/** What a claim records beside the papers. */
export interface ClaimOptions {
  /** Why each paper was chosen, in the order of the papers. */
  reasons?: readonly (readonly string[])[];
  /**
   * `feed`: the digest of a reader with no email, recorded for their personal feed: written
   * `sent` at once (no message, nothing to complete), and so received, never twice.
   */
  channel?: 'email' | 'feed';
}

/** Exactly-once bookkeeping: one item per subscriber per edition. */
export interface DeliveryLedger {
  /**
   * Claims the right to send this edition to this subscriber, recording the papers chosen.
   * False when it was already sent, rejected, or another worker holds the claim; a claim
   * released after a failed send can be taken again.
   */
  claim(
    subscriberId: string,
    editionDate: string,
    paperIds: readonly string[],
    options?: ClaimOptions,
  ): Promise<boolean>;
  complete(subscriberId: string, editionDate: string, messageId: string): Promise<void>;
  /**
   * Records the provider's send event for a message of this delivery (it accepted the message),
   * once per message id. A claim the worker never recorded (still `sending`, or released since as
   * hanging: the event came late) is completed. Undefined for an event already recorded, or for
   * a delivery that does not exist or was rejected.
   */
  recordSendEvent(
    subscriberId: string,
    editionDate: string,
    messageId: string,
  ): Promise<SendEventRecord | undefined>;
  /**
   * Records that one of the provider's events (`<type>#<messageId>`) about this delivery was
   * applied. False when it was recorded before, or the delivery does not exist: apply nothing.
   */
  recordEvent(subscriberId: string, editionDate: string, eventKey: string): Promise<boolean>;
  /**
   * Gives a claim back after the email provider refused the message, so a retry may send it.
   * With `onlyIfSending`, only a claim still `sending` is released (a hanging one).
   */
  release(
    subscriberId: string,
    editionDate: string,
    reason: string,
    onlyIfSending?: boolean,
  ): Promise<boolean>;
  /** The provider refused this address for good: this delivery is never tried again. */
  reject(subscriberId: string, editionDate: string, reason: string): Promise<void>;
  get(subscriberId: string, editionDate: string): Promise<Delivery | undefined>;
  /** Claims still `sending` that were claimed before `claimedBefore` (ISO time), oldest first. */
  listSending(claimedBefore: string, limit?: number): Promise<Delivery[]>;
}

/** What each edition's sending came to, counted as it happens. */
export const EDITION_STAT_NAMES = [
  'sent',
  'duplicates',
  'failed',
  'throttled',
  'delivered',
  'bounced',
  'softBounced',
  'complained',
  'rejected',
  'delayed',
  /** Digests recorded for readers with no email (frequency "none"): their feed's, never emailed. */
  'feedOnly',
] as const;
export type EditionStatName = (typeof EDITION_STAT_NAMES)[number];
export type EditionStatCounts = Partial<Record<EditionStatName, number>>;

export interface EditionStats {
  add(editionDate: string, counts: EditionStatCounts): Promise<void>;
}

/** Spaces sends out so that all workers together stay under the provider's rate. */
export interface SendPace {
  /** Resolves when this worker may send one more message. */
  next(): Promise<void>;
}

export interface OutgoingEmail {
  to: string;
  subject: string;
  html: string;
  text: string;
  /** Extra headers; values never contain CR or LF. */
  headers: Record<string, string>;
  /**
   * Tags the provider hands back in its events about this message (SES message tags): which
   * delivery it is, so bounces, complaints and send events find their ledger item.
   */
  tags?: Record<string, string>;
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

/** What the preference centre shows and where its forms and links go. */
export interface PreferencesPageView {
  preferences: Preferences;
  /** A sentence on the reader's state: active, paused until …, unsubscribed. */
  status: string;
  paused: boolean;
  action: string;
  exportUrl: string;
  eraseUrl: string;
  unsubscribeAction: string;
  /** What Paperboy learned from their clicks, and where its reset posts. */
  learned: {
    liked: number;
    disliked: number;
    likedWords: string[];
    dislikedWords: string[];
    /** Something is stored that cannot be read: the page says so (the next vote or a reset replaces it). */
    unreadable?: boolean;
  };
  resetLearnedAction: string;
  /** An active reader's personal feed links, and where "reset this link" posts. */
  feed?: { atom: string; json: string; resetAction: string };
}

/**
 * The public pages around the emails. Every value is escaped by the renderer; pages run no
 * script but the ones the policy allows by hash.
 */
export interface PageRenderer {
  /** The Content-Security-Policy every page is served with. */
  readonly contentSecurityPolicy: string;
  /** The sign-up form, posting to `action`, with topics suggested from recent editions. */
  /** The sign-up page; `feeds` (absolute URLs) are linked in its head for feed readers. */
  subscribe(view: { action: string; suggestions: readonly string[]; feeds?: FeedAlternates }): string;
  /** A page that says one thing: a heading and a sentence. */
  message(heading: string, message: string): string;
  /** Confirms by a script-driven POST to `action` as it loads, with the button for no script. */
  confirm(action: string): string;
  confirmed(view: { message: string; preferencesUrl: string }): string;
  preferences(view: PreferencesPageView): string;
  /** The unsubscribe page: one button that posts to `action`. */
  unsubscribe(action: string): string;
  unsubscribed(view: { resubscribeAction: string }): string;
  /** The confirmation step before erasure. */
  erase(view: { action: string; preferencesUrl: string }): string;
  /**
   * An expired link (preferences, or "more / fewer like this": `lead` says which), with a button
   * that emails a fresh preferences link.
   */
  linkExpired(action: string, lead?: string): string;
  /**
   * The "more / fewer like this" link's page: it records the vote by a script-driven POST to
   * `action` as it loads, with the button for no script.
   */
  vote(view: { action: string; vote: 'more' | 'fewer'; title: string }): string;
}

/** A short email with one action: a sign-up's confirmation, a fresh preferences link. */
export interface NoticeView {
  title: string;
  preheader: string;
  heading: string;
  body: string;
  buttonText: string;
  url: string;
  footnote: string;
  /** The sender's postal address, in the footer as in a digest's; empty shows nothing. */
  postalAddress: string;
}

/** Turns a digest's values into email HTML. */
export interface DigestRenderer {
  renderDigest(view: DigestView): string;
  renderNotice(view: NoticeView): string;
}

/** Waiting comes in from outside, like the time: a test runs the collector's pauses instantly. */
export interface Sleeper {
  /** Resolves after `ms`, or as soon as `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** One HTTP GET as it went on the wire (the collector's polite client builds on it). */
export interface HttpResponse {
  status: number;
  /** Header names in lower case. */
  headers: Record<string, string>;
  /** The body, decompressed (empty for a 304). */
  body: Uint8Array;
}

/**
 * Makes one GET and reads its body, within `timeoutMs` (headers and body together) and
 * `maxBytes` (decompressed). Throws HttpRequestError for a network failure, a timeout or a body
 * past `maxBytes`; any status is an answer, not an error. Redirects are not followed: a 3xx is
 * returned as it came (its `location` header), for the caller to judge where it leads.
 */
export interface HttpTransport {
  get(
    url: string,
    request: {
      headers: Record<string, string>;
      timeoutMs: number;
      maxBytes: number;
      /** Stops the request at once (kind `cancelled`): Ctrl-C of `npm start`. */
      signal?: AbortSignal;
    },
  ): Promise<HttpResponse>;
}

/** What the collector remembers of one URL, for conditional requests and to skip a repeat. */
export interface FetchState {
  url: string;
  etag?: string;
  lastModified?: string;
  /** SHA-256 (hex) of the last body written for this URL. */
  contentHash?: string;
  /** Records (items, entries) in that body: how a page that is not modified tells whether a next page exists. */
  records?: number;
  /** When this URL was last answered (200 or 304), ISO 8601. */
  checkedAt: string;
  /**
   * The object the last new answer was written to. Until the ingestion has a record of it, the
   * validators and the hash above are not trusted: the URL is fetched in full and written again
   * (a run stopped between writing and ingesting loses nothing).
   */
  objectKey?: string;
}

export interface FetchStateStore {
  get(url: string): Promise<FetchState | undefined>;
  put(state: FetchState): Promise<void>;
}

/** A fetched body on its way into the ingest bucket. */
export interface CollectedObject {
  key: string;
  /** The body as fetched (the store compresses it: the key ends in `.gz`). */
  body: Uint8Array;
  contentType: string;
  /** Source, URL, fetch time, observation time: stored as the object's user metadata. */
  metadata: Record<string, string>;
}

export interface CollectedFiles {
  put(object: CollectedObject): Promise<void>;
}

/** Whether the ingestion has a record (stored or quarantined) of a collected object. */
export interface CollectedIngests {
  ingested(key: string): Promise<boolean>;
}

/** Who holds the collector's lease: one collection at a time per deployment. */
export interface CollectLeaseHolder {
  owner: string;
  since: string;
  until: string;
}

/**
 * One collection at a time: a lease with an end (a run that crashed holds it only until then).
 * `acquire` takes it when nobody holds it or the holder's lease has ended; else says who holds it.
 */
export interface CollectLease {
  acquire(
    owner: string,
    now: Date,
    until: Date,
  ): Promise<{ acquired: true } | { acquired: false; holder: CollectLeaseHolder }>;
  /** Gives it back, if `owner` still holds it. */
  release(owner: string): Promise<void>;
}

/** What one source did in one run: the counts a run record and the metrics carry. */
export interface SourceRun {
  source: string;
  requests: number;
  notModified: number;
  /** Answers identical to the last one written for their URL: nothing written. */
  unchanged: number;
  papers: number;
  /** Bytes of the bodies received (decompressed). */
  bytes: number;
  errors: number;
  /** The source got no usable answer at all this run (every URL failed). */
  failed: boolean;
  /** Keys of the objects written. */
  objects: string[];
  /** Each URL fetched and what came of it (`redirectedTo`: the URL that answered, after redirects). */
  fetched: {
    url: string;
    status?: number;
    outcome: string;
    papers?: number;
    key?: string;
    error?: string;
    redirectedTo?: string;
  }[];
  /** Why, for the errors (the first few). */
  errorMessages: string[];
}

export interface CollectRun {
  runId: string;
  startedAt: string;
  finishedAt: string;
  /** The day the run collected for (`YYYY-MM-DD`). */
  day: string;
  sources: SourceRun[];
  /** Set when the run did not collect because another collection holds the lease: why, in words. */
  skipped?: string;
}

export interface CollectRunLog {
  record(run: CollectRun): Promise<void>;
}

/** A page's feeds, as its `<head>` links them (`rel="alternate"`) for feed readers: absolute URLs. */
export interface FeedAlternates {
  atom: string;
  json: string;
}
