import { afterAll, describe, expect, it, vi } from 'vitest';

/**
 * The Tracer switches itself on only inside Lambda: the environment Lambda sets for an active
 * trace is set here before the modules load, so the handler wrapper and the SDK capture run as
 * they do in Lambda (the X-Ray SDK sends finished segments to a daemon over UDP; none listens).
 */
vi.hoisted(() => {
  process.env.AWS_EXECUTION_ENV = 'AWS_Lambda_nodejs22.x';
  process.env.AWS_LAMBDA_FUNCTION_NAME = 'paperboy-test';
  process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'on-demand';
  process.env.LAMBDA_TASK_ROOT = '/var/task';
  process.env._X_AMZN_TRACE_ID = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';
  process.env.AWS_XRAY_CONTEXT_MISSING = 'IGNORE_ERROR';
  // The test listens where the X-Ray SDK sends its documents (UDP), as the daemon would.
  process.env.AWS_XRAY_DAEMON_ADDRESS = `127.0.0.1:${20_000 + Math.floor(Math.random() * 20_000)}`;
});

const { tracer, traced } = await import('../../../functions/shared/tracer.ts');
const { withLambdaContext } = await import('../../../functions/shared/lambda.ts');
const { createLogger } = await import('../../../functions/shared/logger.ts');
const { SQSClient, GetQueueUrlCommand } = await import('@aws-sdk/client-sqs');
const { createServer } = await import('node:http');
const { createSocket } = await import('node:dgram');

/** What the test reads of an X-Ray subsegment (the SDK's type leaves these fields out). */
interface Subsegment {
  name: string;
  annotations?: Record<string, unknown>;
  end_time?: number;
  subsegments?: Subsegment[];
}

afterAll(() => {
  for (const name of [
    'AWS_EXECUTION_ENV',
    'AWS_LAMBDA_FUNCTION_NAME',
    'LAMBDA_TASK_ROOT',
    '_X_AMZN_TRACE_ID',
  ]) {
    delete process.env[name];
  }
});

describe('tracing inside Lambda', () => {
  it('runs each invocation in a "## handler" subsegment with its cold start, closed even on failure', async () => {
    expect(tracer.isTracingEnabled()).toBe(true);
    const documents: { name: string; id: string; parent_id?: string }[] = [];
    const daemon = createSocket('udp4');
    daemon.on('message', (message) => {
      // Each datagram is a header line, then the JSON document.
      const body = message.toString('utf8').split('\n').slice(1).join('\n');
      documents.push(JSON.parse(body));
    });
    const [host, daemonPort] = String(process.env.AWS_XRAY_DAEMON_ADDRESS).split(':');
    await new Promise<void>((resolve) => daemon.bind(Number(daemonPort), host, resolve));
    // A stand-in SQS endpoint (a mocked client would skip the middleware the Tracer adds).
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(JSON.stringify({ QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/q' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const client = traced(
      new SQSClient({
        region: 'eu-west-1',
        endpoint: `http://127.0.0.1:${port}`,
        credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      }),
    );
    const logger = createLogger('test');
    logger.setLogLevel('SILENT');
    const seen: Subsegment[] = [];
    const calls: string[][] = [];
    const handler = withLambdaContext(logger, async (fail: boolean) => {
      const current = tracer.getSegment() as Subsegment;
      seen.push(current);
      await client.send(new GetQueueUrlCommand({ QueueName: 'q' }));
      calls.push((current.subsegments ?? []).map((s) => s.name));
      if (fail) throw new Error('boom');
      return 'ok';
    });
    const facade = tracer.getSegment();
    expect(await handler(false)).toBe('ok');
    await expect(handler(true)).rejects.toThrow('boom');
    const [first, second] = seen;
    expect(first?.name).toBe('## handler');
    expect(first?.annotations).toMatchObject({ ColdStart: true });
    expect(second?.annotations).toMatchObject({ ColdStart: false });
    // The SDK call is a subsegment of the handler's, named after the service.
    // Closed subsegments are sent at once in Lambda (the facade is never sent): the SQS call
    // is one, a child of its invocation's handler subsegment.
    await vi.waitFor(() => expect(documents.filter((d) => d.name === 'SQS')).toHaveLength(2));
    const handlers = documents.filter((d) => d.name === '## handler');
    for (const call of documents.filter((d) => d.name === 'SQS')) {
      expect(handlers.map((h) => h.id)).toContain(call.parent_id);
    }
    expect(calls).toHaveLength(2);
    daemon.close();
    // Closed when the invocation ends, failed or not, the error recorded; the facade active again.
    expect(first?.end_time).toBeGreaterThan(0);
    expect(second?.end_time).toBeGreaterThan(0);
    expect(JSON.stringify(second)).toContain('boom');
    expect(tracer.getSegment()).toBe(facade);
    server.close();
  });
});
