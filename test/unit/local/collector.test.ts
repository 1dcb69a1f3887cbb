import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../functions/core/errors.ts';
import {
  CollectScheduler,
  localCollectorConfig,
  parseTimesOfDay,
} from '../../../functions/local/collector.ts';

describe('the local collector configuration', () => {
  it('defaults to the public sources with a local contact, and takes URLs from the environment and --base-url', () => {
    const config = localCollectorConfig({});
    expect(config.contact).toBe('operator@paperboy.local');
    expect([config.hf.baseUrl, config.arxivRss.baseUrl, config.arxivApi.baseUrl]).toEqual([
      'https://huggingface.co',
      'https://rss.arxiv.org',
      'https://export.arxiv.org',
    ]);
    const parts = localCollectorConfig({
      PAPERBOY_COLLECT_HF_URL: 'http://127.0.0.1:7001/',
      PAPERBOY_COLLECT_CONTACT: 'me@example.org',
    });
    expect(parts.hf.baseUrl).toBe('http://127.0.0.1:7001');
    expect(parts.contact).toBe('me@example.org');
    const all = localCollectorConfig(
      { PAPERBOY_COLLECTOR_CONFIG: '{"contact":"x@example.org","hf":{"pastDays":0}}' },
      'http://localhost:9999',
    );
    expect(all).toMatchObject({
      contact: 'x@example.org',
      hf: { pastDays: 0, baseUrl: 'http://localhost:9999' },
    });
    expect(all.arxivApi.baseUrl).toBe('http://localhost:9999');
  });

  it('names what is wrong', () => {
    expect(() => localCollectorConfig({ PAPERBOY_COLLECTOR_CONFIG: '{' })).toThrow(
      /PAPERBOY_COLLECTOR_CONFIG must be JSON/u,
    );
    expect(() => localCollectorConfig({ PAPERBOY_COLLECT_ARXIV_API_URL: 'http://example.org' })).toThrow(
      /arxivApi\.baseUrl: must be https/u,
    );
    expect(() => localCollectorConfig({}, 'https://example.org/?q=1')).toThrow(ConfigError);
    // Each reason in its own words.
    const told = (url: string) => {
      try {
        localCollectorConfig({}, url);
      } catch (error) {
        return (error as Error).message;
      }
      return 'accepted';
    };
    expect(told('https://example.org/?q=1')).toBe(
      '--base-url https://example.org/?q=1 has a query (?q=1): the collector adds its own',
    );
    expect(told('http://127.0.0.1:18900/#frag')).toMatch(
      /has a fragment \(#frag\): a fragment is never sent/u,
    );
    expect(told('ftp://example.org')).toMatch(/has the scheme ftp: only https/u);
    expect(told('example.org')).toMatch(/is not an absolute URL/u);
    expect(told('http://example.org')).toMatch(/uses plain http for example\.org/u);
    expect(told('https://user:pw@example.org')).toMatch(/has a user or password/u);
    expect(told('https://169.254.169.254')).toMatch(/link-local/u);
    // IPv6 loopback is this machine too.
    expect(told('http://[::1]:18900')).toBe('accepted');
    expect(localCollectorConfig({}, 'http://[::1]:18900/').hf.baseUrl).toBe('http://[::1]:18900');
    expect(() =>
      localCollectorConfig({ PAPERBOY_COLLECTOR_CONFIG: '{"contact":"x@example.org","retries":9}' }),
    ).toThrow(/retries: must be at most 5/u);
  });

  it('reads times of day', () => {
    expect(parseTimesOfDay('17:00, 05:00,11:00,05:00')).toEqual(['05:00', '11:00', '17:00']);
    expect(() => parseTimesOfDay('5am')).toThrow(/times of day such as 05:00/u);
    expect(() => parseTimesOfDay('')).toThrow(ConfigError);
  });
});

describe('the local collection schedule', () => {
  it('fires once per time per day, leaves times already past at start for tomorrow, and never overlaps a run', async () => {
    const fired: string[] = [];
    let finish: () => void = () => {};
    const scheduler = new CollectScheduler(
      { times: ['05:00', '17:00'], timeZone: 'Europe/Paris', tickMs: 3_600_000 },
      () => {
        fired.push('run');
        return new Promise<void>((resolve) => {
          finish = resolve;
        });
      },
    );
    // 06:00 in Paris: today's 05:00 has passed before the start.
    scheduler.start(new Date('2026-11-27T05:00:00Z'));
    expect(scheduler.tick(new Date('2026-11-27T05:30:00Z'))).toBe(false);
    expect(scheduler.tick(new Date('2026-11-27T16:00:00Z'))).toBe(true); // 17:00 Paris
    expect(scheduler.tick(new Date('2026-11-27T16:01:00Z'))).toBe(false);
    // Tomorrow 05:00 comes while today's 17:00 run is still going: it waits for the next tick.
    expect(scheduler.tick(new Date('2026-11-28T04:00:00Z'))).toBe(false);
    finish();
    await scheduler.idle();
    expect(scheduler.tick(new Date('2026-11-28T04:05:00Z'))).toBe(true);
    finish();
    await scheduler.idle();
    scheduler.stop();
    expect(fired).toEqual(['run', 'run']);
  });
});
