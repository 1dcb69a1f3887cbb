import type { Edition } from './edition.ts';
import { type SchedulePolicy, weekdayOf } from './schedule-policy.ts';
import type { Subscriber } from './subscriber.ts';

/** A paused reader gets nothing until the pause ends. */
export function isPaused(subscriber: Subscriber, now: Date): boolean {
  return subscriber.pausedUntil !== undefined && Date.parse(subscriber.pausedUntil) > now.getTime();
}

/**
 * What a reader gets from an edition, if anything: daily readers follow the edition's mode;
 * weekly readers get the week's best on their day only; paused readers nothing. Readers with no
 * email (`none`) follow the edition's mode too: their digest is recorded for their personal
 * feed, never sent (see `sendDigests`).
 */
export function deliveryModeFor(
  subscriber: Subscriber,
  edition: Pick<Edition, 'date' | 'mode'>,
  policy: SchedulePolicy,
  now: Date,
): Edition['mode'] | undefined {
  if (subscriber.status !== 'active' || isPaused(subscriber, now)) return undefined;
  if (subscriber.frequency === 'weekly')
    return weekdayOf(edition.date) === policy.weeklyDay ? 'week' : undefined;
  return edition.mode;
}
