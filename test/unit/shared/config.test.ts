import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../functions/core/errors.ts';
import { ApiEnv } from '../../../functions/roots/api.ts';
import { ProcessSignupEnv } from '../../../functions/roots/process-signup.ts';
import { RankPapersEnv } from '../../../functions/roots/rank-papers.ts';
import { SendDigestEnv } from '../../../functions/roots/send-digest.ts';
import { dayIn, parseEnv } from '../../../functions/shared/config.ts';
import { readStageConfig } from '../../../infra/config.ts';

describe('function environment', () => {
  const api = {
    TABLE_NAME: 'papers',
    SENDER_ADDRESS: 'papers@example.org',
    PUBLIC_BASE_URL: 'https://papers.example.org',
    TOKEN_SECRET_ID: 'arn:aws:secretsmanager:eu-west-1:1:secret:x',
    SIGNUP_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/1/signups',
  };

  it('names every missing or wrong variable in one message', () => {
    expect(() => parseEnv(ApiEnv, { PUBLIC_BASE_URL: 'http://papers.example.org' })).toThrow(
      /TABLE_NAME: .*SENDER_ADDRESS: .*PUBLIC_BASE_URL: must be https/su,
    );
    expect(() => parseEnv(ApiEnv, {})).toThrow(ConfigError);
  });

  it('reads only what the function declares, with defaults', () => {
    const env = parseEnv(RankPapersEnv, {
      TABLE_NAME: 'papers',
      SEND_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/1/send',
      OTHER: 'x',
    });
    expect(env).toMatchObject({
      TABLE_NAME: 'papers',
      EDITION_TIME_ZONE: 'UTC',
      WHEN_NOTHING_NEW: 'best-of-week',
    });
    expect(env).not.toHaveProperty('OTHER');
    expect(() =>
      parseEnv(RankPapersEnv, {
        TABLE_NAME: 'papers',
        SEND_QUEUE_URL: 'https://q',
        EDITION_TIME_ZONE: 'Mars/Olympus',
      }),
    ).toThrow(/EDITION_TIME_ZONE: must be an IANA time zone/u);
  });

  it('wants exactly one source for the token keys', () => {
    expect(parseEnv(ApiEnv, api).TOKEN_SECRET_ID).toBe(api.TOKEN_SECRET_ID);
    const { TOKEN_SECRET_ID: _, ...none } = api;
    expect(() => parseEnv(ApiEnv, none)).toThrow(/exactly one of TOKEN_SECRET_ID and TOKEN_KEY_FILE/u);
    expect(() => parseEnv(ApiEnv, { ...api, TOKEN_KEY_FILE: '/tmp/k.json' })).toThrow(/exactly one/u);
  });

  it('names every problem at once, the token key location included, in every root that reads it', () => {
    for (const [name, schema] of [
      ['send-digest', SendDigestEnv],
      ['api', ApiEnv],
      ['process-signup', ProcessSignupEnv],
    ] as const) {
      let message = '';
      try {
        parseEnv(schema, { TOKEN_KEY_MAX_AGE_SECONDS: 'abc' });
      } catch (error) {
        expect(error, name).toBeInstanceOf(ConfigError);
        message = (error as Error).message;
      }
      expect(message, name).toContain('TOKEN_KEY_MAX_AGE_SECONDS: must be a whole number of seconds');
      expect(message, name).toContain('set exactly one of TOKEN_SECRET_ID and TOKEN_KEY_FILE');
      expect(message, name).toContain('TABLE_NAME: is missing');
      expect(message, name).toMatch(/SENDER_ADDRESS: .*PUBLIC_BASE_URL: /u);
    }
    // Both set, beside another wrong variable: still said.
    expect(() =>
      parseEnv(ApiEnv, { ...api, TOKEN_KEY_FILE: '/tmp/k.json', RATE_LIMIT_PER_IP_PER_MINUTE: '0' }),
    ).toThrow(
      /exactly one of TOKEN_SECRET_ID and TOKEN_KEY_FILE.*RATE_LIMIT_PER_IP_PER_MINUTE|RATE_LIMIT_PER_IP_PER_MINUTE.*exactly one/su,
    );
  });

  it('names each wrong pair of the weekday policy, with no zod error escaping', () => {
    const env = { TABLE_NAME: 'papers', SEND_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/1/send' };
    expect(
      parseEnv(RankPapersEnv, { ...env, WEEKDAY_POLICY: 'sat=send, sun=skip' }).WEEKDAY_POLICY,
    ).toMatchObject({ sat: 'send', sun: 'skip', mon: 'send' });
    let error: unknown;
    try {
      parseEnv(RankPapersEnv, { ...env, WEEKDAY_POLICY: 'sat=never,someday=send,mon' });
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('WEEKDAY_POLICY: expected day=send|skip|best-of-week pairs');
    expect(message).toContain('sat=never: "never" is not a policy (send, skip, best-of-week)');
    expect(message).toContain('someday=send: "someday" is not a weekday');
    expect(message).toContain('mon: expected day=policy');
  });

  it('names the edition day in the configured time zone', () => {
    const instant = new Date('2026-11-27T02:00:00Z');
    expect(dayIn(instant, 'UTC')).toBe('2026-11-27');
    expect(dayIn(instant, 'America/Los_Angeles')).toBe('2026-11-26');
  });
});

describe('deployment settings (CDK context)', () => {
  const context: Record<string, unknown> = {
    'paperboy:stage': 'dev',
    'paperboy:senderAddress': 'papers@example.org',
    'paperboy:senderName': 'Paperboy',
    'paperboy:sendingDomain': 'example.org',
    'paperboy:alarmEmail': 'ops@example.org',
    'paperboy:publicBaseUrl': 'https://papers.example.org',
    'paperboy:sendAt': '06:00',
    'paperboy:timeZone': 'Europe/Paris',
    'paperboy:apiRateLimit': '20',
    'paperboy:postalAddress': 'Paperboy, 1 Example Street, 75001 Paris, France',
    'paperboy:sendRateCap': '50',
  };

  it('reads the context, numbers from the command line included', () => {
    expect(readStageConfig((k) => context[k])).toMatchObject({
      apiRateLimit: 20,
      sendRateCap: 50,
      timeZone: 'Europe/Paris',
    });
  });

  it('requires the postal address the law asks bulk mail to carry', () => {
    expect(() => readStageConfig((k) => ({ ...context, 'paperboy:postalAddress': ' ' })[k])).toThrow(
      /paperboy:postalAddress/u,
    );
  });

  it('names each missing or wrong key and how to set it', () => {
    const bad: Record<string, unknown> = {
      ...context,
      'paperboy:senderAddress': undefined,
      'paperboy:publicBaseUrl': 'http://x.org',
      'paperboy:sendAt': '6am',
    };
    let message = '';
    try {
      readStageConfig((k) => bad[k]);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('-c key=value');
    expect(message).toContain('paperboy:senderAddress: is missing');
    expect(message).toContain('paperboy:publicBaseUrl: must be https');
    expect(message).toContain('paperboy:sendAt: must be a time of day such as 06:00');
  });
});
