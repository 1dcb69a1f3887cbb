import { type ChildProcess, fork } from 'node:child_process';
import type { SQSEvent } from 'aws-lambda';
import type { SendJob } from '../../functions/core/ports.ts';
import type { LocalEndpoints, LocalSettings } from '../../functions/local/local-runtime.ts';
import type { KillPoint, WorkerReply, WorkerRequest } from './send-worker.ts';

/** Where and how often workers are killed with SIGKILL. */
export interface KillPlan {
  /** Kills right after a claim is written (nothing sent yet), each at a random claim of a worker. */
  afterClaim: number;
  /** Kills right after SES accepted a message (the ledger does not know yet). */
  afterAccept: number;
  /** A worker armed for one of those stops at its n-th claim or message, n at random up to this. */
  within: number;
  /** Kills at random moments: how many, and the mean time between them. */
  atRandom: { count: number; everyMs: number };
  random: () => number;
}

export interface Kill {
  point: 'claimed' | 'accepted' | 'random';
  /** The reader the worker was at, for the announced points. */
  subscriberId?: string;
}

export interface WorkersOutcome {
  kills: Kill[];
  /** Jobs that failed `maxReceives` times (an SQS dead-letter queue). */
  deadLetters: SendJob[];
  receives: number;
}

/**
 * SQS and the send function's instances, with real processes: jobs are handed one at a time
 * (batch size 1) to `count` child processes running the send handler; a job whose worker
 * reports a failure, or dies, is received again (at once: a visibility timeout that has run
 * out) until `maxReceives`. Workers are killed with SIGKILL where the plan says, and replaced.
 */
export async function runSendWorkers(
  jobs: readonly SendJob[],
  config: { endpoints: LocalEndpoints; settings: LocalSettings },
  options: { count: number; maxReceives: number; plan?: KillPlan },
): Promise<WorkersOutcome> {
  const queue = jobs.map((job, i) => ({ id: i, job, receives: 0 }));
  let nextId = jobs.length;
  const inFlight = new Map<ChildProcess, (typeof queue)[number]>();
  const workers = new Set<ChildProcess>();
  const outcome: WorkersOutcome = { kills: [], deadLetters: [], receives: 0 };
  const plan = options.plan;
  const armed: KillPoint[] = [
    ...Array.from({ length: plan?.afterClaim ?? 0 }, () => 'claimed' as const),
    ...Array.from({ length: plan?.afterAccept ?? 0 }, () => 'accepted' as const),
  ];
  const armedWith = new Map<ChildProcess, KillPoint>();
  let randomKills = plan?.atRandom.count ?? 0;
  let failure: Error | undefined;
  let finished = false;

  return new Promise<WorkersOutcome>((resolve, reject) => {
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(randomTimer);
      for (const worker of workers) if (worker.connected) worker.disconnect();
      if (failure) reject(failure);
      else resolve(outcome);
    };
    const requeue = (item: (typeof queue)[number]) => {
      if (item.receives >= options.maxReceives) outcome.deadLetters.push(item.job);
      else queue.push(item);
    };
    const dispatch = (worker: ChildProcess) => {
      const item = queue.shift();
      if (!item) {
        if (inFlight.size === 0) finish();
        return;
      }
      item.receives += 1;
      outcome.receives += 1;
      inFlight.set(worker, item);
      const request: WorkerRequest = {
        type: 'job',
        id: item.id,
        event: sqsEvent(item.id, item.job, item.receives),
      };
      worker.send(request);
    };
    const kill = (worker: ChildProcess, what: Kill) => {
      outcome.kills.push(what);
      worker.kill('SIGKILL');
    };

    const spawn = () => {
      const worker = fork(new URL('./send-worker.ts', import.meta.url), [], {
        execArgv: [
          '--import',
          'tsx',
          ...(process.env.PAPERBOY_WORKER_PROFILE
            ? ['--cpu-prof', `--cpu-prof-dir=${process.env.PAPERBOY_WORKER_PROFILE}`]
            : []),
        ],
        env: {
          ...process.env,
          PAPERBOY_WORKER: JSON.stringify(config),
          POWERTOOLS_LOG_LEVEL: 'ERROR',
          POWERTOOLS_METRICS_DISABLED: 'true',
        },
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      });
      let stderr = '';
      worker.stderr?.on('data', (chunk: Buffer) => {
        stderr = (stderr + chunk.toString()).slice(-4000);
      });
      workers.add(worker);
      worker.on('message', (message: WorkerReply) => {
        if (message.type === 'ready') {
          // Arm it for one planned kill, if any is left; a worker dies once.
          const point = plan ? armed.splice(Math.floor(plan.random() * armed.length), 1)[0] : undefined;
          if (plan && point) {
            const at = 1 + Math.floor(plan.random() * plan.within);
            worker.send({ type: 'arm', point, at } satisfies WorkerRequest);
            armedWith.set(worker, point);
          }
          dispatch(worker);
        } else if (message.type === 'at') {
          armedWith.delete(worker);
          kill(worker, { point: message.point, subscriberId: message.subscriberId });
        } else if (message.type === 'requeue') {
          queue.push({ id: nextId++, job: message.job, receives: 0 });
        } else if (message.type === 'done') {
          const item = inFlight.get(worker);
          inFlight.delete(worker);
          if (item && message.failed) requeue(item);
          dispatch(worker);
        }
      });
      worker.on('exit', (code, signal) => {
        workers.delete(worker);
        if (finished) return;
        // Killed at random before its armed moment: the planned kill goes to another worker.
        const unspent = armedWith.get(worker);
        if (unspent) armed.push(unspent);
        armedWith.delete(worker);
        const item = inFlight.get(worker);
        inFlight.delete(worker);
        if (signal !== 'SIGKILL') {
          failure ??= new Error(`a send worker exited with ${code ?? signal}: ${stderr}`);
          finish();
          return;
        }
        if (item) requeue(item);
        if (queue.length > 0) spawn();
        else if (inFlight.size === 0) finish();
      });
    };

    let randomTimer: NodeJS.Timeout | undefined;
    const scheduleRandomKill = () => {
      if (!plan || randomKills <= 0) return;
      randomTimer = setTimeout(
        () => {
          const busy = [...inFlight.keys()];
          const victim = busy[Math.floor(plan.random() * busy.length)];
          if (victim) {
            randomKills -= 1;
            kill(victim, { point: 'random' });
          }
          scheduleRandomKill();
        },
        plan.atRandom.everyMs * (0.5 + plan.random()),
      );
    };
    for (let i = 0; i < options.count; i += 1) spawn();
    scheduleRandomKill();
  });
}

function sqsEvent(id: number, job: SendJob, receive: number): SQSEvent {
  const now = String(Date.now());
  return {
    Records: [
      {
        messageId: `job-${id}`,
        receiptHandle: `job-${id}-${receive}`,
        body: JSON.stringify(job),
        attributes: {
          ApproximateReceiveCount: String(receive),
          SentTimestamp: now,
          SenderId: 'test',
          ApproximateFirstReceiveTimestamp: now,
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:local:000000000000:paperboy-send',
        awsRegion: 'local',
      },
    ],
  };
}

/** A small seeded generator (mulberry32), so a failing run can be repeated with its seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
