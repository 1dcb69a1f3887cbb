/**
 * In-memory implementations of the core ports, for use-case tests. They are real (small)
 * implementations with the same contracts as the DynamoDB adapters, not mocks.
 */
import type {
  Clock,
  DeliveryLedger,
  Edition,
  EditionRepository,
  EmailSender,
  OutgoingEmail,
  SubscriberPage,
  SubscriberRepository,
} from '../../functions/core/ports.ts';
import type { Subscriber } from '../../functions/core/subscriber.ts';
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
  readonly items = new Map<string, Subscriber>();
  constructor(private readonly clock: Clock) {}

  async create(subscriber: Subscriber): Promise<boolean> {
    const existing = await this.get(subscriber.id);
    if (existing) return false;
    this.items.set(subscriber.id, structuredClone(subscriber));
    return true;
  }
  async get(id: string): Promise<Subscriber | undefined> {
    const item = this.items.get(id);
    if (!item) return undefined;
    if (item.expiresAt !== undefined && item.expiresAt * 1000 <= this.clock.now().getTime()) return undefined;
    return structuredClone(item);
  }
  async replace(subscriber: Subscriber, expectedStatus: Subscriber['status']): Promise<boolean> {
    const existing = this.items.get(subscriber.id);
    if (!existing || existing.status !== expectedStatus) return false;
    this.items.set(subscriber.id, structuredClone(subscriber));
    return true;
  }
  async listActive(cursor?: string, limit = 50): Promise<SubscriberPage> {
    const active = [...this.items.values()]
      .filter((s) => s.status === 'active')
      .sort((a, b) => a.id.localeCompare(b.id));
    const start = cursor ? Number(cursor) : 0;
    const page = active.slice(start, start + limit);
    return start + limit < active.length
      ? { subscribers: page, next: String(start + limit) }
      : { subscribers: page };
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
}

export class MemoryLedger implements DeliveryLedger {
  readonly items = new Map<string, { status: string; messageId?: string }>();
  async claim(subscriberId: string, editionDate: string): Promise<boolean> {
    const key = `${subscriberId}/${editionDate}`;
    const item = this.items.get(key);
    if (item && item.status !== 'released') return false;
    this.items.set(key, { status: 'sending' });
    return true;
  }
  async complete(subscriberId: string, editionDate: string, messageId: string): Promise<void> {
    this.items.set(`${subscriberId}/${editionDate}`, { status: 'sent', messageId });
  }
  async release(subscriberId: string, editionDate: string): Promise<void> {
    this.items.set(`${subscriberId}/${editionDate}`, { status: 'released' });
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

export class MemorySentPapers {
  readonly items = new Map<string, Set<string>>();
  async received(subscriberId: string): Promise<Set<string>> {
    return new Set(this.items.get(subscriberId) ?? []);
  }
  async record(subscriberId: string, paperIds: readonly string[]): Promise<void> {
    const set = this.items.get(subscriberId) ?? new Set<string>();
    for (const id of paperIds) set.add(id);
    this.items.set(subscriberId, set);
  }
}
