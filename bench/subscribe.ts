/**
 * Sign-ups under load on the local stack: 200 concurrent `POST /subscriptions` for 50 addresses
 * (the API's answer: rate limits in DynamoDB, the queue), beside 200 concurrent `GET /` on the
 * same stack in the same run (the cheapest answer the API gives: a page from memory).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultLocalOptions, startLocalStack } from '../functions/local/stack.ts';
import { type BenchResult, result } from './harness.ts';

const CONCURRENT = 200;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

async function timed(send: () => Promise<Response>): Promise<number> {
  const started = performance.now();
  const response = await send();
  await response.arrayBuffer();
  if (response.status >= 400) throw new Error(`the API answered ${response.status}`);
  return performance.now() - started;
}

export async function benchSubscribe(): Promise<BenchResult[]> {
  const dataDir = await mkdtemp(join(tmpdir(), 'paperboy-bench-'));
  const stack = await startLocalStack({
    ...defaultLocalOptions,
    dataDir,
    persist: false,
    ports: { api: 0, dynamodb: 0, s3: 0, ses: 0 },
    // One client address sends everything here; the per-IP limit would refuse most of it.
    rateLimits: { perIpPerMinute: 100_000 },
  });
  try {
    const url = new URL('subscriptions', stack.urls.api);
    const subscribe = (i: number) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: `bench${i % 50}@example.org` }),
      });
    // Warm-up: the first requests load the key ring and open connections.
    await Promise.all(Array.from({ length: 20 }, (_, _i) => timed(() => fetch(stack.urls.api))));
    const pages = await Promise.all(
      Array.from({ length: CONCURRENT }, () => timed(() => fetch(stack.urls.api))),
    );
    const signups = await Promise.all(
      Array.from({ length: CONCURRENT }, (_, i) => timed(() => subscribe(i))),
    );
    await stack.idle();
    return [
      result(
        `POST /subscriptions, ${CONCURRENT} concurrent (50 addresses): p50`,
        percentile(signups, 50),
        'ms',
        `GET / (a page from memory), ${CONCURRENT} concurrent`,
        percentile(pages, 50),
        false,
      ),
      result(
        `POST /subscriptions, ${CONCURRENT} concurrent (50 addresses): p99`,
        percentile(signups, 99),
        'ms',
        `GET / (a page from memory), ${CONCURRENT} concurrent`,
        percentile(pages, 99),
        false,
      ),
    ];
  } finally {
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
