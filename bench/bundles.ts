/**
 * Each function's bundle, as `cdk synth` builds it (esbuild, ESM, minified, the AWS SDK inside),
 * and its cold import time in a fresh Node process, beside the same function at the commit
 * before the composition roots (one shared Runtime object wired every adapter into every
 * bundle), bundled the same way in the same run.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { compileTemplates } from '../functions/adapters/mjml-compiler.ts';
import { defaultCollectorConfig } from '../functions/core/collect/config.ts';
import { type BenchResult, result } from './harness.ts';

const ROOT = new URL('../', import.meta.url).pathname;
/** The last commit with the shared Runtime (functions/handlers/wiring.ts). */
export const BEFORE_COMMIT = '145507f';
const HANDLERS = ['ingest-object', 'rank-papers', 'send-digest', 'api'] as const;
/** Every function, for the cost of X-Ray tracing (Powertools Tracer) measured against none. */
const ALL_HANDLERS = [...HANDLERS, 'process-signup', 'feedback', 'collect'] as const;

/**
 * Bundles functions/shared/tracer.ts as a tracer that is never enabled and captures nothing:
 * the same function without Powertools Tracer and the X-Ray SDK, the baseline of its cost.
 */
const withoutTracer: Plugin = {
  name: 'without-tracer',
  setup(b) {
    b.onResolve({ filter: /\/tracer\.ts$/ /* esbuild filters are Go regexps: no flags */ }, (args) =>
      args.importer.includes('/functions/shared/')
        ? { path: 'no-tracer', namespace: 'no-tracer' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'no-tracer' }, () => ({
      contents:
        'export const tracer = { isTracingEnabled: () => false }; export function traced(client) { return client; }',
      loader: 'js',
    }));
  },
};

/** What the functions' roots read; stand-ins, since nothing is called at import. */
const ENVIRONMENT = {
  TABLE_NAME: 'paperboy-bench',
  BUCKET_NAME: 'paperboy-bench-ingest',
  SEND_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/send',
  SIGNUP_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/signup',
  // As in Lambda, so that the Tracer starts enabled (it switches itself off elsewhere).
  AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
  AWS_LAMBDA_FUNCTION_NAME: 'paperboy-bench',
  _X_AMZN_TRACE_ID: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
  SENDER_ADDRESS: 'papers@example.org',
  SES_CONFIGURATION_SET: 'paperboy',
  PUBLIC_BASE_URL: 'https://papers.example.org',
  TOKEN_SECRET_ID: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:token',
  EDITION_TIME_ZONE: 'UTC',
  COLLECTOR_CONFIG: JSON.stringify(defaultCollectorConfig('ops@example.org')),
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
};

/** The NodejsFunction bundling options of infra/constructs/node-function.ts. */
async function bundle(entry: string, outdir: string, plugins: Plugin[] = []): Promise<number> {
  await mkdir(outdir, { recursive: true });
  const outfile = join(outdir, 'index.mjs');
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    minify: true,
    keepNames: true,
    mainFields: ['module', 'main'],
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
    nodePaths: [join(ROOT, 'node_modules')],
    logLevel: 'silent',
    plugins,
  });
  return (await stat(outfile)).size;
}

/**
 * Milliseconds to import the bundle once, in a fresh Node process: the wall time, or the CPU
 * time (user + system) the import took, which other work on a busy machine disturbs far less.
 */
function importOnceMs(dir: string, clock: 'wall' | 'cpu' = 'wall'): number {
  const script =
    `const t = performance.now(); const c = process.cpuUsage(); await import(${JSON.stringify(join(dir, 'index.mjs'))}); ` +
    `const u = process.cpuUsage(c); console.log(JSON.stringify({ wall: performance.now() - t, cpu: (u.user + u.system) / 1000 }));`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, ...ENVIRONMENT },
  });
  if (child.status !== 0) throw new Error(`importing ${dir} failed: ${child.stderr}`);
  const times = JSON.parse(child.stdout.trim()) as { wall: number; cpu: number };
  return times[clock];
}

/** Milliseconds to import the bundle in a fresh process: the fastest of five. */
function coldImportMs(dir: string): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 5; i += 1) best = Math.min(best, importOnceMs(dir));
  return best;
}

/**
 * The CPU time of cold imports of two bundles, alternated (a, b, a, b…) so that a busy machine
 * disturbs both alike: the median of `runs` each (wall times swung either way by 2× on a
 * machine shared with other work).
 */
function coldImportPairMs(a: string, b: string, runs = 21): [number, number] {
  const timesA: number[] = [];
  const timesB: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    timesA.push(importOnceMs(a, 'cpu'));
    timesB.push(importOnceMs(b, 'cpu'));
  }
  return [median(timesA), median(timesB)];
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

export async function benchBundles(): Promise<BenchResult[]> {
  const work = await mkdtemp(join(ROOT, '.build', 'bench-bundles-'));
  const results: BenchResult[] = [];
  try {
    const before = join(work, 'before');
    await mkdir(before, { recursive: true });
    try {
      const archive = execFileSync('git', ['archive', BEFORE_COMMIT, 'functions', 'templates'], {
        cwd: ROOT,
      });
      execFileSync('tar', ['-x', '-C', before], { input: archive });
    } catch (error) {
      console.log(
        `  bundles: commit ${BEFORE_COMMIT} is not in this clone (${(error as Error).message}); no baseline`,
      );
      return [];
    }
    const templates = JSON.stringify(await compileTemplates());
    for (const name of HANDLERS) {
      const now = join(work, 'after', name);
      const then = join(work, 'before-out', name);
      const size = await bundle(join(ROOT, 'functions/handlers', `${name}.ts`), now);
      const sizeBefore = await bundle(join(before, 'functions/handlers', `${name}.ts`), then);
      // The mail functions read their templates beside the bundle, as in Lambda.
      await writeFile(join(now, 'templates.json'), templates);
      await writeFile(join(then, 'templates.json'), templates);
      results.push(
        result(
          `${name} bundle (minified, SDK inside)`,
          size / 1024,
          'KB',
          `the same function at ${BEFORE_COMMIT}`,
          sizeBefore / 1024,
          false,
        ),
        result(
          `${name} cold import`,
          coldImportMs(now),
          'ms',
          `the same function at ${BEFORE_COMMIT}`,
          coldImportMs(then),
          false,
        ),
      );
    }
    for (const name of ALL_HANDLERS) {
      const traced = join(work, 'traced', name);
      const plain = join(work, 'plain', name);
      const size = await bundle(join(ROOT, 'functions/handlers', `${name}.ts`), traced);
      const sizePlain = await bundle(join(ROOT, 'functions/handlers', `${name}.ts`), plain, [withoutTracer]);
      await writeFile(join(traced, 'templates.json'), templates);
      await writeFile(join(plain, 'templates.json'), templates);
      const [importTraced, importPlain] = coldImportPairMs(traced, plain);
      results.push(
        result(
          `${name} bundle with Tracer`,
          size / 1024,
          'KB',
          'the same function without Tracer',
          sizePlain / 1024,
          false,
        ),
        result(
          `${name} cold import CPU time with Tracer (median of 21, alternated)`,
          importTraced,
          'ms',
          'the same function without Tracer',
          importPlain,
          false,
        ),
      );
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return results;
}
