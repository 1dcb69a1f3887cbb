import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CollectEnv, collectDeps } from '../../functions/roots/collect.ts';
import { parseEnv } from '../../functions/shared/config.ts';
import { createCollectHandler } from '../../functions/triggers/collect.ts';
import { type FakeSource, loadSamples, sourceRoutes, startFakeSource } from '../support/fake-sources.ts';
import { bootTestStack } from '../support/local-stack.ts';
import { hasSharedData, sharedDataSkipReason } from '../support/shared-data.ts';

/**
 * `npx paperboy collect --aws`: the CLI finds the stage's collector function by its stack output
 * and invokes it through the Lambda API. There is no Lambda emulator: a small server speaks the
 * Invoke API (`POST /2015-03-31/functions/<name>/invocations`) and runs the collector's own
 * handler, built by its composition root, against the test stack and a fake source. The CLI reads
 * the ingest log from the emulated DynamoDB, as it would read the stage's table.
 */
const BIN = new URL('../../bin/paperboy.mjs', import.meta.url).pathname;
const DAY = '2026-06-12';

let stack: Awaited<ReturnType<typeof bootTestStack>>;
let fake: FakeSource;
let lambda: Server;
let outputsFile: string;
const invocations: { name: string; event: unknown }[] = [];
let fail = false;

async function paperboy(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = {
    ...process.env,
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_ENDPOINT_URL_DYNAMODB: stack.urls.dynamodb,
    AWS_ENDPOINT_URL_S3: stack.urls.s3,
    AWS_ENDPOINT_URL_LAMBDA: `http://127.0.0.1:${(lambda.address() as AddressInfo).port}`,
    AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:9',
    PAPERBOY_TOKEN_KEY_FILE: join(stack.options.dataDir, 'token-key.json'),
  };
  try {
    const { stdout, stderr } = await promisify(execFile)(
      'node',
      [BIN, ...args, '--aws', '--stage', 'test', '--outputs-file', outputsFile],
      { env },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code: number; stdout: string; stderr: string };
    return { code: failure.code, stdout: failure.stdout, stderr: failure.stderr };
  }
}

beforeAll(async () => {
  if (!hasSharedData) return;
  stack = await bootTestStack();
  const samples = await loadSamples();
  fake = await startFakeSource(sourceRoutes(samples, { [DAY]: samples.hf2026 }, []), { validators: 'etag' });
  const handler = createCollectHandler(
    collectDeps(
      parseEnv(CollectEnv, {
        TABLE_NAME: stack.options.tableName,
        BUCKET_NAME: stack.options.bucket,
        COLLECTOR_CONFIG: JSON.stringify({
          contact: 'ops@example.org',
          hf: { baseUrl: fake.url, pastDays: 0, spacingMs: 0 },
        }),
      }),
    ),
  );
  lambda = createServer((request, response) => {
    const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations/u.exec(request.url ?? '');
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', async () => {
      if (!match || request.method !== 'POST') {
        response.writeHead(404, { 'content-type': 'application/json' }).end('{"Message":"not found"}');
        return;
      }
      const event = JSON.parse(body || '{}');
      invocations.push({ name: decodeURIComponent(match[1] ?? ''), event });
      if (fail) {
        response
          .writeHead(200, { 'content-type': 'application/json', 'x-amz-function-error': 'Unhandled' })
          .end(JSON.stringify({ errorType: 'ValidationError', errorMessage: 'expected {}: boom' }));
        return;
      }
      const run = await handler(event);
      await stack.idle();
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(run));
    });
  });
  await new Promise<void>((resolve) => lambda.listen(0, '127.0.0.1', resolve));
  outputsFile = join(stack.options.dataDir, 'outputs.json');
  await writeFile(
    outputsFile,
    JSON.stringify({
      'Paperboy-test-Data': {
        TableName: stack.options.tableName,
        IngestBucketName: stack.options.bucket,
        TokenSecretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:paperboy-test',
      },
      'Paperboy-test-App': {
        ApiUrl: stack.urls.api,
        SendQueueName: 'send',
        SendDeadLetterQueueName: 'send-dlq',
        SignupQueueName: 'signup',
        SignupDeadLetterQueueName: 'signup-dlq',
        IngestDeadLetterQueueName: 'ingest-dlq',
        RankDeadLetterQueueName: 'rank-dlq',
        FeedbackDeadLetterQueueName: 'feedback-dlq',
        IngestFunctionName: 'ingest',
        RankFunctionName: 'rank',
        FeedbackFunctionName: 'feedback',
        CollectFunctionName: 'paperboy-test-collect',
      },
    }),
  );
});
afterAll(async () => {
  await fake?.close();
  lambda?.closeAllConnections();
  await new Promise((resolve) => (lambda ? lambda.close(resolve) : resolve(undefined)));
  await stack?.cleanup();
});

describe.skipIf(!hasSharedData)(
  `npx paperboy collect --aws${hasSharedData ? '' : ` (${sharedDataSkipReason})`}`,
  { timeout: 60_000 },
  () => {
    it('invokes the stage’s collector function and reports what it wrote and what the ingestion made of it', async () => {
      const result = await paperboy(['collect', '--source', 'hf', '--date', DAY, '--json']);
      expect(result.code, result.stderr).toBe(0);
      expect(invocations).toEqual([{ name: 'paperboy-test-collect', event: { source: 'hf', date: DAY } }]);
      const run = JSON.parse(result.stdout) as {
        sources: { source: string; objects: string[] }[];
        ingested: Record<string, { status: string; accepted: number }>;
      };
      expect(run.sources.map((s) => s.source)).toEqual(['hf']);
      const [key] = run.sources[0]?.objects ?? [];
      expect(run.ingested[key ?? '']).toMatchObject({ status: 'ingested', accepted: 30 });
    });

    it('says when the function failed (1), and when the stage has no collector (3)', async () => {
      fail = true;
      const failed = await paperboy(['collect']);
      fail = false;
      expect(failed.code).toBe(1);
      expect(failed.stderr).toMatch(/the collector function failed \(Unhandled\): expected \{\}: boom/u);

      const outputs = JSON.parse(await (await import('node:fs/promises')).readFile(outputsFile, 'utf8'));
      delete outputs['Paperboy-test-App'].CollectFunctionName;
      await writeFile(outputsFile, JSON.stringify(outputs));
      const missing = await paperboy(['collect']);
      expect(missing.code).toBe(3);
      expect(missing.stderr).toMatch(/the stack Paperboy-test-App has no output CollectFunctionName/u);
    });
  },
);
