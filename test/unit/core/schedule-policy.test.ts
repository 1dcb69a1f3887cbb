import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PaperboyError, ValidationError } from '../../../functions/core/errors.ts';
import {
  defaultSchedulePolicy,
  parseDayPolicies,
  WEEKDAYS,
} from '../../../functions/core/schedule-policy.ts';

function failure(text: string): ValidationError {
  try {
    parseDayPolicies(text);
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error(`${text} was accepted`);
}

describe('the weekday policy text', () => {
  it('reads day=policy pairs, any case and spacing; days not named keep the default', () => {
    expect(parseDayPolicies(' SAT = Send ,sun=skip,')).toEqual({
      ...defaultSchedulePolicy.days,
      sat: 'send',
      sun: 'skip',
    });
    expect(parseDayPolicies('')).toEqual(defaultSchedulePolicy.days);
  });

  it('refuses with a ValidationError that names each wrong pair and what is wrong with it', () => {
    const error = failure('sat=never, someday=send, mon, tue=send=skip');
    expect(error).toBeInstanceOf(PaperboyError);
    expect(error.issues).toEqual([
      { path: 'sat=never', message: '"never" is not a policy (send, skip, best-of-week)' },
      { path: 'someday=send', message: '"someday" is not a weekday (mon … sun)' },
      { path: 'mon', message: 'expected day=policy, such as sat=skip' },
      { path: 'tue=send=skip', message: 'expected day=policy, such as sat=skip' },
    ]);
    expect(error.message).toContain('sat=never: "never" is not a policy');
  });

  it('either reads any text or throws a PaperboyError, never a zod error', () => {
    const pair = fc.tuple(
      fc.oneof(fc.constantFrom(...WEEKDAYS, 'Mon', 'someday', ''), fc.string()),
      fc.oneof(fc.constantFrom('send', 'skip', 'best-of-week', 'never', ''), fc.string()),
    );
    const text = fc.oneof(
      fc.string(),
      fc.array(pair).map((pairs) => pairs.map(([day, policy]) => `${day}=${policy}`).join(',')),
    );
    fc.assert(
      fc.property(text, (value) => {
        try {
          const days = parseDayPolicies(value);
          expect(Object.keys(days).sort()).toEqual([...WEEKDAYS].sort());
        } catch (error) {
          expect(error).toBeInstanceOf(ValidationError);
          expect((error as ValidationError).issues.length).toBeGreaterThan(0);
        }
      }),
    );
  });
});
