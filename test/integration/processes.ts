/**
 * The local stack's own processes, for tests about processes: `npm start` and `npx paperboy`
 * run as operators run them, each in its own process, their output collected as it comes.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';

const ROOT = new URL('../../', import.meta.url).pathname;
const BIN = new URL('../../bin/paperboy.mjs', import.meta.url).pathname;
const START = new URL('../../functions/local/start.ts', import.meta.url).pathname;

/** Free ports for every server of `npm start`, so a test never collides with anything. */
export const FREE_PORTS = ['--api-port', '0', '--dynamodb-port', '0', '--s3-port', '0', '--ses-port', '0'];

export interface Launched {
  child: ChildProcess;
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves with the exit code (or the signal's name) and how long the process ran. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
  /** Resolves once `pattern` has appeared on the stream; rejects after `timeoutMs`. */
  waitFor(stream: 'stdout' | 'stderr', pattern: RegExp | string, timeoutMs: number): Promise<void>;
}

function launch(args: string[]): Launched {
  const started = Date.now();
  const child = spawn('node', args, {
    cwd: ROOT,
    env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'ERROR' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { stdout: '', stderr: '' };
  const waiters = new Set<() => void>();
  for (const stream of ['stdout', 'stderr'] as const) {
    child[stream]?.setEncoding('utf8');
    child[stream]?.on('data', (chunk: string) => {
      output[stream] += chunk;
      for (const check of waiters) check();
    });
  }
  const exited = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
    ms: Date.now() - started,
  }));
  return {
    child,
    get stdout() {
      return output.stdout;
    },
    get stderr() {
      return output.stderr;
    },
    exited,
    waitFor(stream, pattern, timeoutMs) {
      const seen = () =>
        typeof pattern === 'string' ? output[stream].includes(pattern) : pattern.test(output[stream]);
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!seen()) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no ${String(pattern)} on ${stream} within ${timeoutMs} ms:\n${output[stream]}`));
        }, timeoutMs);
        waiters.add(check);
        void exited.then(() => setTimeout(check, 0));
        check();
      });
    },
  };
}

/** `npm start -- <args>`, as one process (without npm's and tsx's wrappers, which relay signals). */
export const npmStart = (...args: string[]): Launched => launch(['--import', 'tsx', START, ...args]);

/** `npx paperboy <args>`. */
export const paperboy = (...args: string[]): Launched => launch([BIN, ...args]);

/**
 * Writes an arXiv Atom feed of `count` distinct, valid papers (about 1 KB each), streaming: a
 * file that takes the ingest tens of seconds.
 */
export async function writeAtomFeed(path: string, count: number): Promise<void> {
  const out = createWriteStream(path);
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  // Pseudo-random words (a linear congruential generator), so that no two papers look alike to
  // the near-duplicate check.
  const words =
    'model learning neural training data language vision transformer retrieval robust efficient sparse attention graph reasoning benchmark diffusion policy speech quantization agent'.split(
      ' ',
    );
  const text = (seed: number, n: number) => {
    let x = seed;
    return Array.from({ length: n }, () => {
      x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
      return words[x % words.length];
    }).join(' ');
  };
  await write(
    '<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom">\n',
  );
  for (let i = 0; i < count; i += 1) {
    const id = `${2600 + (i % 12)}.${String(10_000 + i).padStart(5, '0')}`;
    await write(
      `<entry><id>http://arxiv.org/abs/${id}v1</id><published>2026-11-${String(1 + (i % 26)).padStart(2, '0')}T00:00:00Z</published>` +
        `<title>Paper ${i}: ${text(i, 8)}</title><summary>${text(i * 7 + 1, 80)}.</summary>` +
        `<author><name>Author ${i % 97}</name></author><author><name>Writer ${i % 89}</name></author>` +
        '<arxiv:primary_category term="cs.LG"/><category term="cs.LG"/></entry>\n',
    );
  }
  await write('</feed>\n');
  out.end();
  await once(out, 'finish');
}
