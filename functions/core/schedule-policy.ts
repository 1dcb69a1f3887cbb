import * as z from 'zod';
import { formatIssues, ValidationError } from './errors.ts';

/** What a weekday's edition does: send the day's papers, nothing, or the best of the past week. */
export const DayPolicySchema = z.enum(['send', 'skip', 'best-of-week']);
export type DayPolicy = z.infer<typeof DayPolicySchema>;

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** The operator's choices for quiet days (docs/ranking.md). */
export interface SchedulePolicy {
  days: Record<Weekday, DayPolicy>;
  /** For a reader with nothing new on a sending day: skip them, or send their best of the week. */
  whenNothingNew: 'skip' | 'best-of-week';
  /** The day weekly readers get their digest (the best of their week). */
  weeklyDay: Weekday;
}

export const defaultSchedulePolicy: SchedulePolicy = {
  days: { mon: 'send', tue: 'send', wed: 'send', thu: 'send', fri: 'send', sat: 'skip', sun: 'best-of-week' },
  whenNothingNew: 'best-of-week',
  weeklyDay: 'mon',
};

/**
 * Reads `mon=send,sat=skip,sun=best-of-week` (days not named keep the default), so the
 * policy fits in an environment variable or a CDK context value. Throws a ValidationError
 * that names each wrong pair and what is wrong with it.
 */
export function parseDayPolicies(text: string): Record<Weekday, DayPolicy> {
  const days = { ...defaultSchedulePolicy.days };
  const issues: { path: string; message: string }[] = [];
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const pair = /^([^=]*)=([^=]*)$/u.exec(part);
    const day = pair?.[1]?.trim().toLowerCase() ?? '';
    const policy = DayPolicySchema.safeParse(pair?.[2]?.trim().toLowerCase());
    if (!pair) issues.push({ path: part, message: 'expected day=policy, such as sat=skip' });
    else if (!isWeekday(day)) issues.push({ path: part, message: `"${day}" is not a weekday (mon … sun)` });
    else if (!policy.success)
      issues.push({
        path: part,
        message: `"${pair[2]?.trim()}" is not a policy (${DayPolicySchema.options.join(', ')})`,
      });
    else days[day] = policy.data;
  }
  if (issues.length > 0) throw new ValidationError(formatIssues(issues), issues);
  return days;
}

function isWeekday(value: string): value is Weekday {
  return (WEEKDAYS as readonly string[]).includes(value);
}

/** The weekday of a `YYYY-MM-DD` edition date. */
export function weekdayOf(date: string): Weekday {
  return WEEKDAYS[new Date(`${date}T12:00:00Z`).getUTCDay()] as Weekday;
}

/** How an edition reads its candidates: today's papers, or the whole week's. */
export type EditionMode = 'daily' | 'week';
