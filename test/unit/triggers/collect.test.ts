import { afterEach, describe, expect, it, vi } from 'vitest';
import { collectDayProblem } from '../../../functions/core/collect/config.ts';
import type { CollectRun, SourceRun } from '../../../functions/core/ports.ts';
import { createMetrics, SERVICES } from '../../../functions/shared/metrics.ts';
import {
  COLLECTOR_METRICS,
  parseCollectEvent,
  recordCollectMetrics,
} from '../../../functions/triggers/collect.ts';

const source = (name: string, counts: Partial<SourceRun>): SourceRun => ({
  source: name,
  requests: 0,
  notModified: 0,
  unchanged: 0,
  papers: 0,
  bytes: 0,
  errors: 0,
  failed: false,
  objects: [],
  fetched: [],
  errorMessages: [],
  ...counts,
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('the collector event', () => {
  it('takes {} from the schedule and a source and a day from an operator', () => {
    expect(parseCollectEvent({})).toEqual({});
    expect(parseCollectEvent(undefined)).toEqual({});
    expect(parseCollectEvent({ source: 'arxiv-api', date: '2026-06-12' })).toEqual({
      source: 'arxiv-api',
      date: '2026-06-12',
    });
  });

  it('names what is wrong', () => {
    expect(() => parseCollectEvent({ source: 'twitter' })).toThrow(
      /source: must be one of hf, arxiv-rss, arxiv-api/u,
    );
    expect(() => parseCollectEvent({ date: '2026-02-30' })).toThrow(/date: must be a day as YYYY-MM-DD/u);
    expect(() => parseCollectEvent({ baseUrl: 'http://169.254.169.254/' })).toThrow(/baseUrl/u);
    expect(() => parseCollectEvent([])).toThrow(/expected \{\}/u);
  });

  it('takes a day from 2018-01-01 to tomorrow (UTC), no further either way', () => {
    const now = new Date('2026-11-27T23:30:00Z');
    expect(collectDayProblem('2018-01-01', now)).toBeUndefined();
    expect(collectDayProblem('2026-11-28', now)).toBeUndefined();
    expect(collectDayProblem('2017-12-31', now)).toMatch(/before 2018-01-01/u);
    expect(collectDayProblem('0001-01-01', now)).toMatch(/before 2018-01-01/u);
    expect(collectDayProblem('2026-11-29', now)).toBe(
      '2026-11-29 is after tomorrow (2026-11-28, UTC): nothing has been published for it yet',
    );
    expect(collectDayProblem('9999-12-31', now)).toMatch(/after tomorrow/u);
  });
});

describe('the collector metrics', () => {
  it('emits one EMF line per source with its Source dimension, and CollectorSourceFailed 1 only for a failed source', () => {
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
    vi.stubEnv('POWERTOOLS_DEV', 'false');
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    const run: CollectRun = {
      runId: 'r1',
      startedAt: '2026-11-27T05:00:00.000Z',
      finishedAt: '2026-11-27T05:00:30.000Z',
      day: '2026-11-27',
      sources: [
        source('hf', { requests: 8, papers: 59, bytes: 1234, objects: ['a', 'b'] }),
        source('arxiv-api', { requests: 3, errors: 1, failed: true }),
      ],
    };
    recordCollectMetrics(createMetrics(SERVICES.collect, 'prod'), run);
    const emf = lines.filter((l) => l.includes('_aws')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const bySource = Object.fromEntries(emf.map((e) => [e.Source, e]));
    expect(Object.keys(bySource).sort()).toEqual(['arxiv-api', 'hf']);
    expect(bySource.hf).toMatchObject({
      service: 'collect',
      stage: 'prod',
      [COLLECTOR_METRICS.requests]: 8,
      [COLLECTOR_METRICS.papers]: 59,
      [COLLECTOR_METRICS.bytes]: 1234,
      [COLLECTOR_METRICS.objects]: 2,
      [COLLECTOR_METRICS.sourceFailed]: 0,
    });
    expect(bySource['arxiv-api']).toMatchObject({
      [COLLECTOR_METRICS.errors]: 1,
      [COLLECTOR_METRICS.sourceFailed]: 1,
    });
    const dimensions = (bySource.hf as { _aws: { CloudWatchMetrics: { Dimensions: string[][] }[] } })._aws
      .CloudWatchMetrics[0]?.Dimensions[0];
    expect(dimensions).toEqual(expect.arrayContaining(['service', 'stage', 'Source']));
    // Every metric of a source is in its one line, under its dimension.
    expect(emf).toHaveLength(2);
    const names = (
      bySource.hf as { _aws: { CloudWatchMetrics: { Metrics: { Name: string }[] }[] } }
    )._aws.CloudWatchMetrics[0]?.Metrics.map((m) => m.Name);
    expect(names?.sort()).toEqual(Object.values(COLLECTOR_METRICS).sort());
  });
});
