import { describe, expect, it } from 'vitest';
import {
  buildCountChanges,
  countedStateOf,
  counterFor,
  snapshotOf,
  transition,
} from '../../../functions/adapters/dynamo-counters.ts';

const at = (iso: string) => Math.floor(Date.parse(iso) / 1000);

describe('the running counts', () => {
  it('counts a pending sign-up by the UTC day its confirmation expires, others by state', () => {
    expect(counterFor({ status: 'pending', expiresAt: at('2026-12-04T23:30:00Z') })).toBe(
      'pending:2026-12-04',
    );
    expect(counterFor({ status: 'active' })).toBe('subscribers:active');
    expect(counterFor({ status: 'erased' })).toBe('subscribers:erased');
  });

  it('moves one count from the old state to the new, and nothing when the state stays', () => {
    expect(transition(undefined, { status: 'active' })).toEqual({ 'subscribers:active': 1 });
    expect(transition({ status: 'active' }, { status: 'bounced' })).toEqual({
      'subscribers:active': -1,
      'subscribers:bounced': 1,
    });
    expect(buildCountChanges('t', transition({ status: 'active' }, { status: 'active' }))).toBeUndefined();
  });

  it('is one ADD of every changed count, names and values as placeholders', () => {
    expect(buildCountChanges('t', { 'subscribers:active': -1, 'pending:2026-12-04': 1, papers: 0 })).toEqual({
      TableName: 't',
      Key: { PK: 'STATS', SK: 'COUNTERS' },
      UpdateExpression: 'ADD #c0 :c0, #c1 :c1',
      ExpressionAttributeNames: { '#c0': 'subscribers:active', '#c1': 'pending:2026-12-04' },
      ExpressionAttributeValues: { ':c0': -1, ':c1': 1 },
    });
  });

  it('reads an item that is not a subscriber as no state', () => {
    expect(countedStateOf(undefined)).toBeUndefined();
    expect(countedStateOf({ PK: 'PAPER#1', status: 'ingested' })).toBeUndefined();
    expect(countedStateOf({ status: 'pending', expiresAt: 5 })).toEqual({ status: 'pending', expiresAt: 5 });
  });

  it('adds up pending sign-ups of today and later only; expired ones are shown apart', () => {
    const snapshot = snapshotOf(
      {
        'pending:2026-11-26': 4,
        'pending:2026-11-27': 2,
        'pending:2026-12-03': 3,
        'subscribers:active': 10,
        'subscribers:erased': 1,
        papers: 40,
        nearDuplicates: 2,
      },
      new Date('2026-11-27T12:00:00Z'),
    );
    expect(snapshot).toEqual({
      subscribers: { pending: 5, active: 10, unsubscribed: 0, bounced: 0, complained: 0, erased: 1 },
      papers: 40,
      nearDuplicates: 2,
      expiredPending: 4,
    });
  });
});
