import { ValidationError } from '../core/errors.ts';
/**
 * Every key of the single table is built here and nowhere else. See docs/data-model.md for the
 * access patterns these keys serve.
 */
export const keys = {
  paper: (id: string) => ({ PK: `PAPER#${id}`, SK: 'PAPER' }),
  /** GSI1: papers by the UTC day they were published. */
  paperByDay: (day: string, id: string) => ({ GSI1PK: `DAY#${day}`, GSI1SK: `PAPER#${id}` }),
  dayPartition: (day: string) => `DAY#${day}`,
  /** A signal snapshot of a paper: one per observation time. */
  signal: (id: string, observedAt: string) => ({ PK: `PAPER#${id}`, SK: `SIGNAL#${observedAt}` }),
  signalPrefix: 'SIGNAL#',
  /** Which paper first claimed a title key (hash of the de-duplication title key). */
  title: (hash: string) => ({ PK: `TITLE#${hash}`, SK: 'TITLE' }),
  subscriber: (id: string) => ({ PK: `SUB#${id}`, SK: 'PROFILE' }),
  /** GSI1: active subscribers only (sparse: the attributes are removed when a subscriber leaves). */
  activeSubscriber: (id: string) => ({ GSI1PK: ACTIVE_SUBSCRIBERS, GSI1SK: `SUB#${id}` }),
  delivery: (subscriberId: string, editionDate: string) => ({
    PK: `SUB#${subscriberId}`,
    SK: `DELIVERY#${editionDate}`,
  }),
  deliveryPrefix: 'DELIVERY#',
  /** What a reader's "more / fewer like this" clicks taught: one item in their partition. */
  learned: (subscriberId: string) => ({ PK: `SUB#${subscriberId}`, SK: 'LEARNED' }),
  /**
   * GSI1: deliveries still `sending`, oldest claim first (sparse: any other state removes the
   * attributes). What a dead worker left hanging is found here.
   */
  sendingDelivery: (claimedAt: string, subscriberId: string, editionDate: string) => ({
    GSI1PK: 'DELIVERIES#sending',
    GSI1SK: `CLAIMED#${claimedAt}#${subscriberId}${subscriberId ? `/${editionDate}` : ''}`,
  }),
  /** What an edition's sending came to: counters added as it happens. */
  editionStats: (date: string) => ({ PK: `EDITION#${date}`, SK: 'STATS' }),
  edition: (date: string) => ({ PK: `EDITION#${date}`, SK: 'EDITION' }),
  /** GSI1: edition headers by date, newest first with a descending query. */
  editionByDate: (date: string) => ({ GSI1PK: 'EDITIONS', GSI1SK: `EDITION#${date}` }),
  /** A part of an edition's candidates; parts of one run share the run id. */
  editionPart: (date: string, run: string, part: number) => ({
    PK: `EDITION#${date}`,
    SK: `PART#${run}#${String(part).padStart(4, '0')}`,
  }),
  editionPartPrefix: (run: string) => `PART#${run}#`,
  /** What an edition's page and feed entry show (functions/core/archive.ts), made with the edition. */
  editionPage: (date: string) => ({ PK: `EDITION#${date}`, SK: 'PAGE' }),
  /** An edition's line in the archive's index: date, size, top titles. */
  editionListing: (date: string) => ({ PK: `EDITION#${date}`, SK: 'LISTING' }),
  /**
   * A paper a subscriber received, as versions before the delivery items carried their papers
   * wrote it (expires after 90 days). Only read now, until the last ones expire.
   */
  sentPaper: (subscriberId: string, paperId: string) => ({
    PK: `SUB#${subscriberId}`,
    SK: `SENT#${paperId}`,
  }),
  sentPrefix: 'SENT#',
  ingest: (key: string, at: string, etag: string) => ({ PK: `FILE#${key}`, SK: `INGEST#${at}#${etag}` }),
  /** The sort-key prefix of a file's ingest records (any time, any etag). */
  ingestPrefix: 'INGEST#',
  /**
   * The table's running counts: subscribers by state and papers stored, added to as they change
   * (see dynamo-counters.ts), so that `paperboy status` never scans the table.
   */
  counters: () => ({ PK: 'STATS', SK: 'COUNTERS' }),
  /** What the collector remembers of one source URL (ETag, Last-Modified, content hash): the URL's SHA-256. */
  fetchState: (urlHash: string) => ({ PK: `${COLLECTOR_KEY_PREFIXES.fetchState}${urlHash}`, SK: 'STATE' }),
  /** One collector run's record: all runs in one partition, oldest first. */
  collectRun: (startedAt: string, runId: string) => ({
    PK: `${COLLECTOR_KEY_PREFIXES.runs}RUNS`,
    SK: `RUN#${startedAt}#${runId}`,
  }),
  collectRunsPartition: () => `${COLLECTOR_KEY_PREFIXES.runs}RUNS`,
  /** A rate-limit counter: a keyed hash of what is limited (an IP, an address) and its window. */
  rateLimit: (key: string, windowStart: number) => ({ PK: `RATE#${key}`, SK: `WINDOW#${windowStart}` }),
} as const;

/**
 * The partition key prefixes of the collector's items: its role may touch only keys that start
 * with these (an IAM `dynamodb:LeadingKeys` condition in infra/constructs/collector.ts).
 */
export const COLLECTOR_KEY_PREFIXES = { fetchState: 'FETCH#', runs: 'COLLECTOR#' } as const;

export const ACTIVE_SUBSCRIBERS = 'SUBS#active';
export const GSI1 = 'GSI1';
/** The table's TTL attribute (Unix seconds). Expired items are treated as absent in reads. */
export const TTL_ATTRIBUTE = 'expiresAt';

/** Storage attributes that are not part of any entity: keys and the optimistic-lock revision. */
const KEY_ATTRIBUTES = ['PK', 'SK', 'GSI1PK', 'GSI1SK', 'rev'] as const;

/** An item without its key attributes: the entity as the domain knows it. */
export function stripKeys(item: Record<string, unknown>): Record<string, unknown> {
  const copy = { ...item };
  for (const name of KEY_ATTRIBUTES) delete copy[name];
  return copy;
}

/** Paging cursors are opaque to callers: the DynamoDB start key, base64url-encoded JSON. */
export function encodeCursor(key: Record<string, unknown> | undefined): string | undefined {
  return key ? Buffer.from(JSON.stringify(key)).toString('base64url') : undefined;
}

export function decodeCursor(cursor: string | undefined): Record<string, unknown> | undefined {
  if (!cursor) return undefined;
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new ValidationError('cursor: not a paging cursor this service gave out', [], { cause: error });
  }
}

/** True for a failed ConditionExpression (matched by name: the class may come from another SDK copy). */
export function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

/** True when an item's TTL has passed: DynamoDB deletes expired items only eventually. */
export function isExpired(item: Record<string, unknown>, now: Date): boolean {
  const expiresAt = item[TTL_ATTRIBUTE];
  return typeof expiresAt === 'number' && expiresAt * 1000 <= now.getTime();
}
