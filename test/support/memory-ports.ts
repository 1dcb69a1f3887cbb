/**
 * In-memory implementations of the core ports, for use-case tests. They are real (small)
 * implementations with the same contracts as the DynamoDB adapters, not mocks.
 */

import type { LearnedProfile } from '../../functions/core/learning.ts';
import type { Paper } from '../../functions/core/paper.ts';
import type {
  ClaimOptions,
  Clock,
  Delivery,
  DeliveryLedger,
  Edition,
  EditionRepository,
  EditionStatCounts,
  EditionStats,
  EditionSummary,
  EmailSender,
  IdGenerator,
  LearnedProfiles,
  OutgoingEmail,
  PaperLookup,
  PersonalData,
  PersonalDataExport,
  RateLimiter,
  RateLimitVerdict,
  ReaderState,
  Readers,
  SendPace,
  SignupQueue,
  StoredLearned,
  SubscriberPage,
  SubscriberRepository,
} from '../../functions/core/ports.ts';
import type { SignupMessage } from '../../functions/core/signup.ts';
import type { ErasedSubscriber, Subscriber, SubscriberRecord } from '../../functions/core/subscriber.ts';
import type { KeyRing, TokenKeys } from '../../functions/core/tokens.ts';

export class FixedClock implements Clock {
  constructor(public current: Date) {}
  now(): Date {
    return new Date(this.current);
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

export const testKeys: KeyRing = {
  currentKeyId: 'k1',
  keys: new Map([['k1', Buffer.alloc(32, 1)]]),
  idKey: Buffer.alloc(32, 2),
};

/** A key source that always holds `ring` (swap it to simulate a rotation); counts re-reads. */
export class StaticTokenKeys implements TokenKeys {
  refreshes = 0;
  constructor(public ring: KeyRing = testKeys) {}
  async current(): Promise<KeyRing> {
    return this.ring;
  }
  async refresh(): Promise<KeyRing> {
    this.refreshes += 1;
    return this.ring;
  }
}

export const testTokenKeys = new StaticTokenKeys();

export class MemorySubscribers implements SubscriberRepository {
  readonly items = new Map<string, SubscriberRecord>();
  constructor(private readonly clock: Clock) {}

  /** Check and write with no await between them: atomic, as DynamoDB's conditional put is. */
  async create(subscriber: Subscriber): Promise<boolean> {
    if (this.live(subscriber.id)) return false;
    this.items.set(subscriber.id, structuredClone(subscriber));
    return true;
  }
  async get(id: string): Promise<SubscriberRecord | undefined> {
    const item = this.live(id);
    return item && structuredClone(item);
  }
  private live(id: string): SubscriberRecord | undefined {
    const item = this.items.get(id);
    if (!item) return undefined;
    const expired =
      'expiresAt' in item &&
      item.expiresAt !== undefined &&
      item.expiresAt * 1000 <= this.clock.now().getTime();
    return expired ? undefined : item;
  }
  async replace(next: SubscriberRecord, expectedVersion: number): Promise<boolean> {
    const existing = this.items.get(next.id);
    if (!existing || existing.version !== expectedVersion) return false;
    this.items.set(next.id, structuredClone(next));
    return true;
  }
  async listActive(cursor?: string, limit = 50): Promise<SubscriberPage> {
    const active = [...this.items.values()]
      .filter((s): s is Subscriber => s.status === 'active')
      .sort((a, b) => a.id.localeCompare(b.id));
    const start = cursor ? Number(cursor) : 0;
    const page = active.slice(start, start + limit);
    return start + limit < active.length
      ? { subscribers: page, next: String(start + limit) }
      : { subscribers: page };
  }
}

/** A subscriber as the stores hold one, with what a test does not care about filled in. */
export function activeSubscriber(id: string, overrides: Partial<Subscriber> = {}): Subscriber {
  return {
    id,
    email: `${id}@example.org`,
    status: 'active',
    topics: [],
    authors: [],
    exclude: [],
    frequency: 'daily',
    digestSize: 10,
    signupId: `signup-${id}`,
    version: 1,
    createdAt: '2026-11-01T00:00:00.000Z',
    updatedAt: '2026-11-01T00:00:00.000Z',
    ...overrides,
  };
}

/** Counts hits per key, as the DynamoDB limiter does, in one window that tests advance by hand. */
export class MemoryRateLimiter implements RateLimiter {
  readonly counts = new Map<string, number>();
  async hit(key: string, limit: number): Promise<RateLimitVerdict> {
    const count = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, count);
    return count <= limit ? { allowed: true } : { allowed: false, retryAfterSeconds: 60 };
  }
}

/** Keeps queued sign-ups; `drain` works them as the process-signup function would. */
export class MemorySignupQueue implements SignupQueue {
  readonly messages: SignupMessage[] = [];
  async enqueue(signup: SignupMessage): Promise<void> {
    this.messages.push(structuredClone(signup));
  }
  async drain(work: (message: SignupMessage) => Promise<unknown>): Promise<void> {
    while (this.messages.length > 0) await work(this.messages.shift() as SignupMessage);
  }
}

/** Learned profiles by subscriber id, written on the version read, as DynamoDB's conditional put. */
export class MemoryLearnedProfiles implements LearnedProfiles {
  readonly items = new Map<string, LearnedProfile>();
  /** Items stored but unreadable (failing the schema), by subscriber: their version, null if not numeric. */
  readonly unreadable = new Map<string, number | null>();
  async get(subscriberId: string): Promise<LearnedProfile | undefined> {
    return (await this.load(subscriberId)).profile;
  }
  async load(subscriberId: string): Promise<StoredLearned> {
    // A real store answers after a round trip: concurrent changes interleave as they would.
    await new Promise((resolve) => setImmediate(resolve));
    if (this.unreadable.has(subscriberId))
      return { profile: undefined, version: this.unreadable.get(subscriberId) ?? null, unreadable: true };
    const item = this.items.get(subscriberId);
    return { profile: item && structuredClone(item), version: item?.version ?? 0, unreadable: false };
  }
  async put(subscriberId: string, profile: LearnedProfile, expectedVersion: number | null): Promise<boolean> {
    await new Promise((resolve) => setImmediate(resolve));
    const current = this.unreadable.has(subscriberId)
      ? this.unreadable.get(subscriberId)
      : (this.items.get(subscriberId)?.version ?? 0);
    if (current !== expectedVersion) return false;
    this.unreadable.delete(subscriberId);
    this.items.set(subscriberId, structuredClone(profile));
    return true;
  }
  async delete(subscriberId: string): Promise<void> {
    this.unreadable.delete(subscriberId);
    this.items.delete(subscriberId);
  }
}

/** Papers by id. */
export class MemoryPapers implements PaperLookup {
  readonly items = new Map<string, Paper>();
  constructor(papers: readonly Paper[] = []) {
    for (const paper of papers) this.items.set(paper.id, paper);
  }
  async get(id: string): Promise<Paper | undefined> {
    return this.items.get(id);
  }
}

/** The subscriber store's personal data, export and erasure, over MemorySubscribers. */
export class MemoryPersonalData implements PersonalData {
  constructor(
    private readonly subscribers: MemorySubscribers,
    private readonly ledger: MemoryLedger = new MemoryLedger(),
    private readonly learned: MemoryLearnedProfiles = new MemoryLearnedProfiles(),
  ) {}
  async exportOf(subscriberId: string): Promise<PersonalDataExport> {
    const deliveries = [...this.ledger.items.values()].filter((d) => d.subscriberId === subscriberId);
    const learned = await this.learned.get(subscriberId);
    return {
      ...(learned ? { learned } : {}),
      subscriber: await this.subscribers.get(subscriberId),
      deliveries: deliveries.map((d) => ({
        editionDate: d.editionDate,
        status: d.status,
        channel: d.channel ?? 'email',
        at: d.sentAt ?? d.claimedAt,
        ...(d.messageId ? { messageId: d.messageId } : {}),
        ...(d.paperIds.length
          ? { papers: d.paperIds.map((paperId, i) => ({ paperId, reasons: d.reasons?.[i] ?? [] })) }
          : {}),
      })),
      papersReceived: deliveries
        .filter((d) => d.status === 'sent')
        .flatMap((d) => d.paperIds.map((paperId) => ({ paperId, sentAt: d.sentAt ?? d.claimedAt }))),
    };
  }
  async erase(marker: ErasedSubscriber): Promise<void> {
    await this.learned.delete(marker.id);
    for (const [key, delivery] of this.ledger.items)
      if (delivery.subscriberId === marker.id) this.ledger.items.delete(key);
    this.subscribers.items.set(marker.id, structuredClone(marker));
  }
}

/** Ids in sequence: `id-1`, `id-2`, … */
export class SequentialIds implements IdGenerator {
  private n = 0;
  next(): string {
    this.n += 1;
    return `id-${this.n}`;
  }
}

export class MemoryEditions implements EditionRepository {
  readonly items = new Map<string, Edition>();
  async create(edition: Edition): Promise<boolean> {
    if (this.items.has(edition.date)) return false;
    this.items.set(edition.date, structuredClone(edition));
    return true;
  }
  async get(date: string): Promise<Edition | undefined> {
    return this.items.get(date);
  }
  async latest(): Promise<EditionSummary | undefined> {
    const newest = [...this.items.values()].sort((a, b) => b.date.localeCompare(a.date))[0];
    if (!newest) return undefined;
    const { entries, ...summary } = newest;
    return { ...summary, entryCount: entries.length };
  }
}

export class MemoryLedger implements DeliveryLedger {
  readonly items = new Map<string, Delivery>();
  constructor(private readonly clock: Clock = { now: () => new Date('2026-11-26T12:00:00Z') }) {}
  async claim(
    subscriberId: string,
    editionDate: string,
    paperIds: readonly string[],
    options: ClaimOptions = {},
  ): Promise<boolean> {
    const key = `${subscriberId}/${editionDate}`;
    const item = this.items.get(key);
    if (item && item.status !== 'released') return false;
    const claimedAt = this.clock.now().toISOString();
    const feed = options.channel === 'feed';
    this.items.set(key, {
      subscriberId,
      editionDate,
      status: feed ? 'sent' : 'sending',
      claimedAt,
      paperIds: [...paperIds],
      ...(options.reasons ? { reasons: options.reasons.map((r) => [...r]) } : {}),
      ...(feed ? { channel: 'feed' as const, sentAt: claimedAt } : {}),
    });
    return true;
  }
  async complete(subscriberId: string, editionDate: string, messageId: string): Promise<void> {
    this.set(subscriberId, editionDate, {
      status: 'sent',
      messageId,
      sentAt: this.clock.now().toISOString(),
    });
  }
  async recordSendEvent(subscriberId: string, editionDate: string, messageId: string) {
    const before = this.items.get(`${subscriberId}/${editionDate}`);
    if (!before || before.status === 'rejected' || before.sendEvents?.includes(messageId)) return undefined;
    this.set(subscriberId, editionDate, {
      status: 'sent',
      messageId: before.messageId ?? messageId,
      sendEvents: [...(before.sendEvents ?? []), messageId],
    });
    const earlier = before.sendEvents?.[0];
    return { before, completed: before.status !== 'sent', ...(earlier ? { duplicateOf: earlier } : {}) };
  }
  readonly applied = new Set<string>();
  async recordEvent(subscriberId: string, editionDate: string, eventKey: string): Promise<boolean> {
    const key = `${subscriberId}/${editionDate}`;
    if (!this.items.has(key) || this.applied.has(`${key}/${eventKey}`)) return false;
    this.applied.add(`${key}/${eventKey}`);
    return true;
  }
  async release(
    subscriberId: string,
    editionDate: string,
    reason: string,
    onlyIfSending = false,
  ): Promise<boolean> {
    const item = this.items.get(`${subscriberId}/${editionDate}`);
    if (onlyIfSending && item?.status !== 'sending') return false;
    this.set(subscriberId, editionDate, { status: 'released', error: reason });
    return true;
  }
  async reject(subscriberId: string, editionDate: string, reason: string): Promise<void> {
    this.set(subscriberId, editionDate, { status: 'rejected', error: reason });
  }
  async get(subscriberId: string, editionDate: string): Promise<Delivery | undefined> {
    return this.items.get(`${subscriberId}/${editionDate}`);
  }
  async listSending(claimedBefore: string): Promise<Delivery[]> {
    return [...this.items.values()]
      .filter((d) => d.status === 'sending' && d.claimedAt < claimedBefore)
      .sort((a, b) => a.claimedAt.localeCompare(b.claimedAt));
  }
  private set(subscriberId: string, editionDate: string, change: Partial<Delivery>): Delivery {
    const key = `${subscriberId}/${editionDate}`;
    const item: Delivery = {
      subscriberId,
      editionDate,
      status: 'sending',
      claimedAt: this.clock.now().toISOString(),
      paperIds: [],
      ...this.items.get(key),
      ...change,
    };
    this.items.set(key, item);
    return item;
  }
}

/** Edition counters in memory. */
export class MemoryEditionStats implements EditionStats {
  readonly counts = new Map<string, EditionStatCounts>();
  async add(editionDate: string, counts: EditionStatCounts): Promise<void> {
    const current = this.counts.get(editionDate) ?? {};
    for (const [name, value] of Object.entries(counts) as [keyof EditionStatCounts, number][]) {
      current[name] = (current[name] ?? 0) + value;
    }
    this.counts.set(editionDate, current);
  }
}

/** No waiting: a pace for tests that are not about pacing (counts the sends it let through). */
export class NoPace implements SendPace {
  taken = 0;
  async next(): Promise<void> {
    this.taken += 1;
  }
}

/** Records every email; `failNext` makes the next sends throw as SES would. */
export class RecordingSender implements EmailSender {
  readonly sent: OutgoingEmail[] = [];
  failNext = 0;
  async send(email: OutgoingEmail): Promise<{ messageId: string }> {
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw Object.assign(new Error('Maximum sending rate exceeded.'), { name: 'TooManyRequestsException' });
    }
    this.sent.push(email);
    return { messageId: `m-${this.sent.length}` };
  }
}

/**
 * Readers over the in-memory subscribers and ledger, as DynamoReaders reads them: the papers
 * received are those of deliveries sent or still sending.
 */
export class MemoryReaders implements Readers {
  constructor(
    private readonly subscribers: MemorySubscribers,
    private readonly ledger: MemoryLedger,
    private readonly learned: MemoryLearnedProfiles = new MemoryLearnedProfiles(),
  ) {}
  async load(subscriberId: string, editionDate: string): Promise<ReaderState> {
    const learned = await this.learned.get(subscriberId);
    const received = new Set<string>();
    for (const delivery of this.ledger.items.values()) {
      if (delivery.subscriberId !== subscriberId) continue;
      if (delivery.status === 'sent' || delivery.status === 'sending')
        for (const id of delivery.paperIds) received.add(id);
    }
    return {
      subscriber: await this.subscribers.get(subscriberId),
      received,
      delivery: await this.ledger.get(subscriberId, editionDate),
      ...(learned ? { learned } : {}),
    };
  }
  /** Records papers as received by an earlier edition's delivery (a test's history). */
  async receivedBefore(
    subscriberId: string,
    editionDate: string,
    paperIds: readonly string[],
  ): Promise<void> {
    await this.ledger.claim(subscriberId, editionDate, paperIds);
    await this.ledger.complete(subscriberId, editionDate, `m-${subscriberId}-${editionDate}`);
  }
}
