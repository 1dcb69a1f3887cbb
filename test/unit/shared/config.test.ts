import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../functions/core/errors.ts';
import { ApiEnv } from '../../../functions/roots/api.ts';
import { RankPapersEnv } from '../../../functions/roots/rank-papers.ts';
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
    'paperboy:publicBaseUrl': 'https://papers.example.org',
    'paperboy:sendAt': '06:00',
    'paperboy:timeZone': 'Europe/Paris',
    'paperboy:apiRateLimit': '20',
  };

  it('reads the context, numbers from the command line included', () => {
    expect(readStageConfig((k) => context[k])).toMatchObject({ apiRateLimit: 20, timeZone: 'Europe/Paris' });
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
