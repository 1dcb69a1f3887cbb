import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONTEXT_KEYS, readStageConfig } from '../../infra/config.ts';

/** The settings of cdk.json: a complete, valid deployment. */
const valid: Record<string, unknown> = JSON.parse(
  readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8'),
).context;

function errorFor(overrides: Record<string, unknown>): string {
  const context = { ...valid, ...overrides };
  try {
    readStageConfig(
      (key) => context[key],
      Object.keys(context).filter((key) => context[key] !== undefined),
    );
  } catch (error) {
    return (error as Error).message;
  }
  return '';
}

/**
 * Every key with a wrong value: synth must stop, name the key, and say what is expected. Keys
 * with a default are not required, so only the wrong value is tried for them.
 */
const cases: { key: keyof typeof CONTEXT_KEYS; wrong: unknown; expected: RegExp; required: boolean }[] = [
  { key: 'stage', wrong: 'Prod!', expected: /lower-case letters/u, required: true },
  { key: 'senderAddress', wrong: 'papers-at-example.org', expected: /email address/u, required: true },
  { key: 'senderName', wrong: 'Paper"boy <x>', expected: /one line without/u, required: true },
  { key: 'sendingDomain', wrong: 'example', expected: /domain name such as example\.org/u, required: true },
  { key: 'mailFromSubdomain', wrong: 'mail.bounces', expected: /one DNS label/u, required: false },
  { key: 'publicBaseUrl', wrong: 'http://papers.example.org', expected: /must be https/u, required: true },
  { key: 'sendAt', wrong: '25:00', expected: /time of day such as 06:00/u, required: true },
  { key: 'timeZone', wrong: 'Europe/Atlantis', expected: /IANA time zone/u, required: true },
  { key: 'apiRateLimit', wrong: '-3', expected: /must be more than 0/u, required: true },
  { key: 'rateLimitPerIp', wrong: '0', expected: /must be more than 0/u, required: false },
  { key: 'rateLimitPerAddress', wrong: '5000', expected: /must be at most 1000/u, required: false },
  { key: 'weekdays', wrong: 'sat=nap', expected: /day=send\|skip\|best-of-week/u, required: false },
  { key: 'whenNothingNew', wrong: 'resend', expected: /skip|best-of-week/u, required: false },
  { key: 'weeklyDay', wrong: 'someday', expected: /mon/u, required: false },
  { key: 'alarmEmail', wrong: 'ops', expected: /email address alarms go to/u, required: true },
  {
    key: 'postalAddress',
    wrong: 'short',
    expected: /postal address printed in every email/u,
    required: true,
  },
  { key: 'sendRateCap', wrong: '0', expected: /must be more than 0/u, required: false },
  {
    key: 'collector',
    wrong: 'hf only',
    expected: /must be an object \(JSON\) of collector settings/u,
    required: false,
  },
  { key: 'collectSchedule', wrong: 'daily', expected: /EventBridge Scheduler expression/u, required: false },
  { key: 'tableName', wrong: 'a/b', expected: /DynamoDB table name/u, required: false },
];

describe('deployment settings, key by key', () => {
  it('accepts the settings in cdk.json', () => {
    expect(errorFor({})).toBe('');
  });

  it('covers every key the config reads', () => {
    expect(cases.map((c) => c.key).sort()).toEqual(Object.keys(CONTEXT_KEYS).sort());
  });

  it.each(cases)('refuses a wrong $key, naming the key and what is expected', ({ key, wrong, expected }) => {
    const message = errorFor({ [CONTEXT_KEYS[key]]: wrong });
    const line = message.split('\n').find((l) => l.includes(`${CONTEXT_KEYS[key]}:`));
    expect(line, message).toBeDefined();
    expect(line).toMatch(expected);
  });

  it.each(cases.filter((c) => c.required))('refuses a missing $key', ({ key }) => {
    const message = errorFor({ [CONTEXT_KEYS[key]]: undefined });
    expect(message).toContain(`${CONTEXT_KEYS[key]}: is missing`);
  });

  it.each(cases.filter((c) => !c.required))('defaults a missing $key', ({ key }) => {
    expect(errorFor({ [CONTEXT_KEYS[key]]: undefined })).toBe('');
  });

  it('refuses a sender address outside the sending domain, and takes one under it', () => {
    expect(errorFor({ 'paperboy:senderAddress': 'papers@example.com' })).toMatch(
      /paperboy:senderAddress: must be an address at the sending domain example\.org/u,
    );
    expect(errorFor({ 'paperboy:senderAddress': 'papers@news.example.org' })).toBe('');
    // A domain that merely ends with the same letters is another domain.
    expect(errorFor({ 'paperboy:senderAddress': 'papers@badexample.org' })).toMatch(/sending domain/u);
  });

  it('names every wrong key in one message', () => {
    const message = errorFor({
      'paperboy:sendingDomain': 'x',
      'paperboy:alarmEmail': undefined,
      'paperboy:sendAt': '6',
    });
    expect(message).toMatch(/paperboy:sendingDomain:/u);
    expect(message).toMatch(/paperboy:alarmEmail: is missing/u);
    expect(message).toMatch(/paperboy:sendAt:/u);
  });

  it('refuses an unknown paperboy: key, naming the one meant (a typo must not leave a setting unset)', () => {
    const message = errorFor({ 'paperboy:sendRatecap': '5', 'paperboy:mailFromSubDomain': 'bounce' });
    expect(message).toContain('unknown setting paperboy:sendRatecap (did you mean paperboy:sendRateCap?)');
    expect(message).toContain(
      'unknown setting paperboy:mailFromSubDomain (did you mean paperboy:mailFromSubdomain?)',
    );
    expect(errorFor({ 'paperboy:frobnicate': 'x' })).toMatch(/unknown setting paperboy:frobnicate$/mu);
    // Other tools' context keys are theirs.
    expect(errorFor({ '@aws-cdk/core:newStyleStackSynthesis': true })).toBe('');
  });

  it('says a numeric setting that is not a number must be a number', () => {
    for (const key of ['paperboy:apiRateLimit', 'paperboy:sendRateCap', 'paperboy:rateLimitPerIp']) {
      const message = errorFor({ [key]: 'abc' });
      expect(message).toContain(`${key}: must be a number`);
      expect(message).not.toMatch(/NaN/u);
    }
  });

  it('checks the sender against the sending domain even when other keys are wrong', () => {
    const message = errorFor({
      'paperboy:senderAddress': 'papers@other.org',
      'paperboy:timeZone': 'Mars/Base',
      'paperboy:sendRateCap': '0',
      'paperboy:publicBaseUrl': 'http://papers.example.org',
      'paperboy:apiRateLimit': 'abc',
      'paperboy:sendRatecap': '3',
    });
    for (const expected of [
      /paperboy:senderAddress: must be an address at the sending domain example\.org .*not at other\.org/u,
      /paperboy:timeZone:/u,
      /paperboy:sendRateCap: must be more than 0/u,
      /paperboy:publicBaseUrl:/u,
      /paperboy:apiRateLimit: must be a number/u,
      /unknown setting paperboy:sendRatecap/u,
    ])
      expect(message).toMatch(expected);
    expect(message.match(/paperboy:senderAddress:/gu)).toHaveLength(1);
  });
});
