import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../functions/core/errors.ts';
import { dayIn, loadConfig, tokenKeySource } from '../../../functions/shared/config.ts';
import { readStageConfig } from '../../../infra/config.ts';

describe('handler environment', () => {
  it('names every missing or wrong variable in one message', () => {
    expect(() =>
      loadConfig({ PUBLIC_BASE_URL: 'http://papers.example.org' }, ['TABLE_NAME', 'PUBLIC_BASE_URL']),
    ).toThrow(/TABLE_NAME: .*; PUBLIC_BASE_URL: must be https/u);
    expect(() => loadConfig({}, ['TABLE_NAME'])).toThrow(ConfigError);
  });

  it('reads only what a handler asks for, with defaults', () => {
    expect(loadConfig({ TABLE_NAME: 'papers', OTHER: 'x' }, ['TABLE_NAME', 'EDITION_TIME_ZONE'])).toEqual({
      TABLE_NAME: 'papers',
      EDITION_TIME_ZONE: 'UTC',
    });
    expect(() => loadConfig({ EDITION_TIME_ZONE: 'Mars/Olympus' }, ['EDITION_TIME_ZONE'])).toThrow(
      /IANA time zone/u,
    );
  });

  it('wants exactly one source for the token key', () => {
    expect(tokenKeySource({ TOKEN_SECRET_ID: 'arn:x' })).toEqual({ kind: 'secret', secretId: 'arn:x' });
    expect(() => tokenKeySource({})).toThrow(/exactly one/u);
    expect(() => tokenKeySource({ TOKEN_SECRET_ID: 'a', TOKEN_KEY_FILE: 'b' })).toThrow(/exactly one/u);
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
