import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { SUBSCRIBER_STATUSES, type SubscriberStatus } from '../core/subscriber.ts';
import { keys } from './dynamo-keys.ts';

/**
 * Running counts kept in one item (`keys.counters()`), so that an operator's `status` reads one
 * item instead of scanning the table:
 * - `subscribers:<state>` for every state but pending;
 * - `pending:<YYYY-MM-DD>`: pending sign-ups by the UTC day their confirmation expires. An
 *   unconfirmed sign-up leaves its state only by expiring (DynamoDB's TTL deletes it with no
 *   event to count), so pending sign-ups are counted by expiry day and a reader of the counts
 *   adds up only the days not yet past: exact to the day;
 * - `papers` and `nearDuplicates`: paper items written new by ingestion.
 *
 * Each count changes by one `ADD` right after the conditional write it stands for succeeded: the
 * local DynamoDB has no transactions, so a process that dies between the two leaves a count one
 * off. `paperboy status --recount` scans the table once and writes the counts afresh.
 */
export const PAPERS_COUNTER = 'papers';
export const NEAR_DUPLICATES_COUNTER = 'nearDuplicates';
const PENDING_PREFIX = 'pending:';
const SUBSCRIBERS_PREFIX = 'subscribers:';

/** What a subscriber item says about its state, as much as the counts need. */
export interface CountedState {
  status: SubscriberStatus;
  expiresAt?: number | undefined;
}

/** The counter a subscriber item in this state counts in. */
export function counterFor(state: CountedState): string {
  if (state.status === 'pending' && typeof state.expiresAt === 'number') {
    return `${PENDING_PREFIX}${new Date(state.expiresAt * 1000).toISOString().slice(0, 10)}`;
  }
  return `${SUBSCRIBERS_PREFIX}${state.status}`;
}

/** The state an item read back from the table was in (an item that is not a subscriber: none). */
export function countedStateOf(item: Record<string, unknown> | undefined): CountedState | undefined {
  if (!item || typeof item.status !== 'string') return undefined;
  if (!(SUBSCRIBER_STATUSES as readonly string[]).includes(item.status)) return undefined;
  return {
    status: item.status as SubscriberStatus,
    expiresAt: typeof item.expiresAt === 'number' ? item.expiresAt : undefined,
  };
}

/** One `ADD` of each counter that changed (+1 for where it went, -1 for where it was), or nothing. */
export function buildCountChanges(
  tableName: string,
  changes: Readonly<Record<string, number>>,
): UpdateCommandInput | undefined {
  const entries = Object.entries(changes).filter(([, by]) => by !== 0);
  if (entries.length === 0) return undefined;
  return {
    TableName: tableName,
    Key: keys.counters(),
    UpdateExpression: `ADD ${entries.map((_, i) => `#c${i} :c${i}`).join(', ')}`,
    ExpressionAttributeNames: Object.fromEntries(entries.map(([name], i) => [`#c${i}`, name])),
    ExpressionAttributeValues: Object.fromEntries(entries.map(([, by], i) => [`:c${i}`, by])),
  };
}

/** The changes of one subscriber item going from `before` to `after` (either may be absent). */
export function transition(
  before: CountedState | undefined,
  after: CountedState | undefined,
): Record<string, number> {
  const changes: Record<string, number> = {};
  if (before) changes[counterFor(before)] = (changes[counterFor(before)] ?? 0) - 1;
  if (after) changes[counterFor(after)] = (changes[counterFor(after)] ?? 0) + 1;
  return changes;
}

/** Subscribers by state, as the counts stand at `now`. */
export interface CountsSnapshot {
  subscribers: Record<SubscriberStatus, number>;
  papers: number;
  nearDuplicates: number;
  /** Pending sign-ups whose confirmation expired (to the day): not counted as pending. */
  expiredPending: number;
}

/** Reads and writes the running counts. */
export class DynamoCounters {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async add(changes: Readonly<Record<string, number>>): Promise<void> {
    const input = buildCountChanges(this.tableName, changes);
    if (input) await this.client.send(new UpdateCommand(input));
  }

  /**
   * The counts (one consistent read of one item); `kept` is false when the table has no counts
   * item at all (a table from before the counts were kept: `paperboy status --recount` makes it).
   */
  async read(now: Date): Promise<CountsSnapshot & { kept: boolean }> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.counters(), ConsistentRead: true }),
    );
    return { ...snapshotOf(Item ?? {}, now), kept: Item !== undefined };
  }

  /** Replaces every count (a recount's result). */
  async write(counts: Readonly<Record<string, number>>): Promise<void> {
    await this.client.send(
      new PutCommand({ TableName: this.tableName, Item: { ...keys.counters(), ...counts } }),
    );
  }
}

/** The counts item as counts at `now`: pending sign-ups expiring today or later are pending. */
export function snapshotOf(item: Record<string, unknown>, now: Date): CountsSnapshot {
  const today = now.toISOString().slice(0, 10);
  const subscribers = Object.fromEntries(SUBSCRIBER_STATUSES.map((s) => [s, 0])) as Record<
    SubscriberStatus,
    number
  >;
  let expiredPending = 0;
  for (const [name, value] of Object.entries(item)) {
    const count = typeof value === 'number' ? value : 0;
    if (name.startsWith(PENDING_PREFIX)) {
      if (name.slice(PENDING_PREFIX.length) >= today) subscribers.pending += count;
      else expiredPending += count;
    } else if (name.startsWith(SUBSCRIBERS_PREFIX)) {
      const status = name.slice(SUBSCRIBERS_PREFIX.length) as SubscriberStatus;
      if (status in subscribers) subscribers[status] += count;
    }
  }
  return {
    subscribers,
    papers: Number(item[PAPERS_COUNTER] ?? 0),
    nearDuplicates: Number(item[NEAR_DUPLICATES_COUNTER] ?? 0),
    expiredPending,
  };
}
