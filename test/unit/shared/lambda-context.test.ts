import type { Context } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { defaultRankEditionConfig } from '../../../functions/core/rank-edition.ts';
import { defaultTrendingConfig } from '../../../functions/core/ranking.ts';
import { defaultSchedulePolicy } from '../../../functions/core/schedule-policy.ts';
import { FixedClock, MemoryEditions, MemorySubscribers } from '../../support/memory-ports.ts';
import { NOW } from '../../support/papers.ts';

const context = (requestId: string): Context =>
  ({
    awsRequestId: requestId,
    functionName: 'paperboy-rank',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:1:function:paperboy-rank',
    memoryLimitInMB: '1024',
    getRemainingTimeInMillis: () => 60_000,
  }) as Context;

// Lambda sets this; Powertools reports a cold start only for on-demand initialisation.
vi.hoisted(() => {
  process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'on-demand';
});
const { createRankPapersHandler, logger } = await import('../../../functions/triggers/rank-papers.ts');

afterEach(() => vi.restoreAllMocks());

describe('handlers and the Lambda context', () => {
  it('log the request id of each invocation, and cold start on the first one only', async () => {
    const clock = new FixedClock(NOW);
    const handler = createRankPapersHandler({
      papers: {
        store: async () => ({ new: 0, updated: 0, unchanged: 0, merged: 0, linked: 0 }),
        listPublishedOn: async () => [],
        signalHistory: async () => new Map(),
      },
      editions: new MemoryEditions(),
      subscribers: new MemorySubscribers(clock),
      queue: { enqueue: async () => {} },
      clock,
      config: { ...defaultRankEditionConfig, trending: defaultTrendingConfig, policy: defaultSchedulePolicy },
      timeZone: 'UTC',
    });
    logger.setLogLevel('INFO');
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    await handler({ date: '2026-11-26' }, context('req-1'));
    await handler({ date: '2026-11-26' }, context('req-2'));
    vi.restoreAllMocks();
    logger.setLogLevel('SILENT');
    const logs = lines.map((line) => JSON.parse(line)).filter((l) => l.message === 'ranked edition');
    expect(logs).toHaveLength(2);
    expect(logs[0]).toMatchObject({
      function_request_id: 'req-1',
      cold_start: true,
      function_name: 'paperboy-rank',
    });
    expect(logs[1]).toMatchObject({ function_request_id: 'req-2', cold_start: false });
  });
});
