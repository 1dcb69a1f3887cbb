import { describe, expect, it } from 'vitest';
import {
  idOfAddress,
  importSubscriber,
  type OperatorSubscriberDeps,
  suppressSubscriber,
} from '../../../functions/core/operator-subscribers.ts';
import { SubscriptionRequestSchema } from '../../../functions/core/subscriber.ts';
import {
  activeSubscriber,
  FixedClock,
  MemorySignupQueue,
  MemorySubscribers,
  SequentialIds,
  testTokenKeys,
} from '../../support/memory-ports.ts';

function deps(): OperatorSubscriberDeps & { subscribers: MemorySubscribers; signups: MemorySignupQueue } {
  const clock = new FixedClock(new Date('2026-11-27T10:00:00Z'));
  return {
    subscribers: new MemorySubscribers(clock),
    keys: testTokenKeys,
    clock,
    ids: new SequentialIds(),
    signups: new MemorySignupQueue(),
  };
}
const request = (email: string) => SubscriptionRequestSchema.parse({ email, topics: 'retrieval' });

describe('importing one address of an existing list', () => {
  it('adds an unknown address as active with --confirmed, once', async () => {
    const d = deps();
    const first = await importSubscriber(request('ana@example.org'), { confirmed: true }, d);
    expect(first).toMatchObject({ outcome: 'added', as: 'active' });
    const stored = await d.subscribers.get(first.id);
    expect(stored).toMatchObject({
      status: 'active',
      email: 'ana@example.org',
      topics: ['retrieval'],
      confirmedAt: '2026-11-27T10:00:00.000Z',
    });
    expect(first.id).toBe(await idOfAddress('ana@example.org', d));
    expect(await importSubscriber(request('ana@example.org'), { confirmed: true }, d)).toMatchObject({
      outcome: 'unchanged',
      status: 'active',
    });
    expect(d.signups.messages).toEqual([]);
  });

  it('without --confirmed, queues a sign-up for the double opt-in and writes nothing itself', async () => {
    const d = deps();
    const result = await importSubscriber(request('ben@example.org'), { confirmed: false }, d);
    expect(result).toMatchObject({ outcome: 'added', as: 'confirmation-sent' });
    expect(d.subscribers.items.size).toBe(0);
    expect(d.signups.messages).toEqual([
      { request: request('ben@example.org'), requestedAt: '2026-11-27T10:00:00.000Z' },
    ]);
  });

  it('leaves a pending sign-up as it is, and never re-activates one who left or is suppressed', async () => {
    const d = deps();
    for (const [email, status] of [
      ['p@example.org', 'pending'],
      ['u@example.org', 'unsubscribed'],
      ['b@example.org', 'bounced'],
      ['c@example.org', 'complained'],
    ] as const) {
      const id = await idOfAddress(email, d);
      await d.subscribers.create(activeSubscriber(id, { email, status }));
    }
    const eraseId = await idOfAddress('e@example.org', d);
    d.subscribers.items.set(eraseId, {
      id: eraseId,
      status: 'erased',
      version: 2,
      erasedAt: '2026-11-01T00:00:00Z',
      updatedAt: '2026-11-01T00:00:00Z',
    });
    const outcomes = [];
    for (const email of ['p', 'u', 'b', 'c', 'e'])
      outcomes.push(await importSubscriber(request(`${email}@example.org`), { confirmed: true }, d));
    expect(outcomes.map((o) => [o.outcome, 'status' in o ? o.status : undefined])).toEqual([
      ['unchanged', 'pending'],
      ['skipped', 'unsubscribed'],
      ['skipped', 'bounced'],
      ['skipped', 'complained'],
      ['skipped', 'erased'],
    ]);
    expect([...d.subscribers.items.values()].map((s) => s.status).sort()).toEqual([
      'bounced',
      'complained',
      'erased',
      'pending',
      'unsubscribed',
    ]);
  });
});

describe('case variants of one address (one mailbox, one subscriber)', () => {
  it('never re-activates a suppressed, unsubscribed or erased address written in another case', async () => {
    const d = deps();
    for (const [email, status] of [
      ['bom1@example.com', 'bounced'],
      ['reader@example.org', 'unsubscribed'],
    ] as const) {
      const id = await idOfAddress(email, d);
      await d.subscribers.create(activeSubscriber(id, { email, status }));
    }
    const erasedId = await idOfAddress('quoted@example.com', d);
    d.subscribers.items.set(erasedId, {
      id: erasedId,
      status: 'erased',
      version: 2,
      erasedAt: '2026-11-01T00:00:00Z',
      updatedAt: '2026-11-01T00:00:00Z',
    });
    const outcomes = [];
    for (const email of ['BOM1@example.com', 'Reader@Example.org', 'QUOTED@EXAMPLE.COM'])
      outcomes.push(await importSubscriber(request(email), { confirmed: false }, d));
    expect(outcomes.map((o) => o.outcome)).toEqual(['skipped', 'skipped', 'skipped']);
    expect(d.signups.messages).toEqual([]);
    expect(d.subscribers.items.size).toBe(3);
  });

  it('keeps the address as typed (domain lower-cased) for sending, while the id ignores case', async () => {
    const d = deps();
    const added = await importSubscriber(request('Dup@Example.com'), { confirmed: true }, d);
    expect(((await d.subscribers.get(added.id)) as { email?: string })?.email).toBe('Dup@example.com');
    expect(await importSubscriber(request('dup@example.com'), { confirmed: true }, d)).toMatchObject({
      outcome: 'unchanged',
      id: added.id,
    });
    expect(await idOfAddress(' DUP@EXAMPLE.COM ', d)).toBe(added.id);
    expect(await idOfAddress('dup@ex\u00e4mple.com', d)).toBe(await idOfAddress('DUP@xn--exmple-cua.com', d));
    // NFC: a decomposed ä in the local part is the same mailbox as the composed one.
    expect(await idOfAddress('a\u0308na@example.org', d)).toBe(await idOfAddress('\u00c4NA@example.org', d));
    expect(await idOfAddress('dup2@example.com', d)).not.toBe(added.id);
  });
});

describe('suppressing an address', () => {
  it('makes it bounced with the reason, once, and says when there is nothing to suppress', async () => {
    const d = deps();
    const id = await idOfAddress('ana@example.org', d);
    await d.subscribers.create(activeSubscriber(id, { pausedUntil: '2026-12-01T00:00:00Z' }));
    expect(await suppressSubscriber(id, 'asked by phone', d)).toBe('suppressed');
    const record = await d.subscribers.get(id);
    expect(record).toMatchObject({
      status: 'bounced',
      bounceReason: 'suppressed by the operator: asked by phone',
      bouncedAt: '2026-11-27T10:00:00.000Z',
      version: 2,
    });
    expect(record).not.toHaveProperty('pausedUntil');
    expect(await suppressSubscriber(id, '', d)).toBe('already-suppressed');
    expect(await suppressSubscriber('nobody', '', d)).toBe('unknown');
  });

  it('creates a suppression record for an address the table does not know, in the state of the reason', async () => {
    const d = deps();
    const cases = [
      [
        'left@example.org',
        'unsubscribed',
        { status: 'unsubscribed', unsubscribedAt: '2026-11-27T10:00:00.000Z' },
      ],
      [
        'bad@example.org',
        'bounced',
        { status: 'bounced', bounceReason: 'suppressed by the operator (bounced): list hygiene' },
      ],
      ['spam@example.org', 'complained', { status: 'complained', complainedAt: '2026-11-27T10:00:00.000Z' }],
      [
        'no@example.org',
        'manual',
        { status: 'bounced', bounceReason: 'suppressed by the operator: list hygiene' },
      ],
    ] as const;
    for (const [email, reason, expected] of cases) {
      const id = await idOfAddress(email, d);
      expect(await suppressSubscriber(id, 'list hygiene', d, { reason, email })).toBe('suppressed');
      expect(await d.subscribers.get(id)).toMatchObject({ ...expected, email, id });
      expect(await suppressSubscriber(id, '', d, { reason, email })).toBe('already-suppressed');
    }
    // A later import of any case variant is skipped: never re-activated.
    expect(await importSubscriber(request('LEFT@example.org'), { confirmed: true }, d)).toMatchObject({
      outcome: 'skipped',
      status: 'unsubscribed',
    });
  });

  it('never weakens a record: an unsubscribed reader can become bounced, a bounced one never unsubscribed', async () => {
    const d = deps();
    const id = await idOfAddress('ana@example.org', d);
    await d.subscribers.create(activeSubscriber(id));
    expect(await suppressSubscriber(id, '', d, { reason: 'unsubscribed' })).toBe('suppressed');
    expect((await d.subscribers.get(id))?.status).toBe('unsubscribed');
    expect(await suppressSubscriber(id, '', d, { reason: 'complained' })).toBe('suppressed');
    expect(await suppressSubscriber(id, '', d, { reason: 'unsubscribed' })).toBe('already-suppressed');
    expect((await d.subscribers.get(id))?.status).toBe('complained');
  });
});
