import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Option } from 'commander';
import { FileTokenKeys } from '../adapters/file-token-keys.ts';
import type { SignupQueue } from '../core/ports.ts';
import type { TokenKeys } from '../core/tokens.ts';
import type { LocalRuntime } from '../local/local-runtime.ts';
import { withConnection } from './common.ts';
import type { Connection } from './connect.ts';

/** The depth of one queue: messages waiting, and those received and not yet deleted. */
export interface QueueDepth {
  name: string;
  /** `work`: a queue functions take jobs from; `dead-letter`: where failures are kept. */
  kind: 'work' | 'dead-letter';
  /** What feeds it, or what it feeds: `send`, `signup`, `ingest`, `rank`, `feedback`. */
  role: string;
  /** Undefined where the queue cannot be seen from this process (see `note`). */
  visible?: number;
  inFlight?: number;
  note?: string;
}

/** A message in a dead-letter queue, as `dlq list` shows it (nothing is deleted to read it). */
export interface DeadLetterMessage {
  id: string;
  /** When it was set aside (or sent, on SQS). */
  at?: string;
  /** Why it failed, where the queue says so. */
  error?: string;
  attributes: Record<string, string>;
  /** The message body, cut to `BODY_PREVIEW_CHARS`. */
  body: string;
}

export interface DeadLetterQueueView {
  name: string;
  role: string;
  depth: number;
  messages: DeadLetterMessage[];
  /** Lines of the queue that could not be read as messages (local file only). */
  unreadable?: number;
}

export interface RedriveResult {
  name: string;
  role: string;
  /** Messages moved back to their source (or, for a function's queue, handed back to it). */
  moved: number;
  /** `move-task`: SQS moves them (StartMessageMoveTask) in the background; `invoked`: re-run now. */
  how: 'move-task' | 'invoked' | 'queued';
  /** Messages that could not be handed back, with why. */
  failed: { id: string; error: string }[];
  /** The SQS move task, to follow with ListMessageMoveTasks. */
  taskHandle?: string;
}

/** The queues of a stack: depths, dead letters to read, and a way to put them back. */
export interface QueueAdmin {
  depths(): Promise<QueueDepth[]>;
  deadLetters(peek: number): Promise<DeadLetterQueueView[]>;
  /** The dead-letter queues by role (send, signup, ingest, rank, feedback). */
  roles(): string[];
  redrive(role?: string): Promise<RedriveResult[]>;
}

/**
 * Everything a store-touching command works on, built either from the local stack's info or from
 * a deployed stage's stack outputs: the same commands run the same code against both, and only
 * the endpoints and credentials behind the clients differ.
 */
export interface Targets {
  kind: 'local' | 'aws';
  /** What is being operated on, for messages. */
  label: string;
  tableName: string;
  bucketName: string;
  /** The public API (links in emails point here). */
  apiUrl: string;
  db: DynamoDBDocumentClient;
  s3: S3Client;
  /** The token key ring: subscriber ids derive from it. */
  keys: TokenKeys;
  /** Sign-ups for the double opt-in path (the local stack's in-process queue, or SQS). */
  signups: SignupQueue;
  queues: QueueAdmin;
  /** Local only: the runtime this command runs the functions in. */
  local?: LocalRuntime;
  /** Local only: waits for this process's background work (sign-ups, send jobs). */
  settle(): Promise<void>;
}

/** The options every store-touching command takes to choose its target. */
export interface TargetOptions {
  dataDir: string;
  json?: boolean;
  aws?: boolean;
  stage?: string;
  profile?: string;
  region?: string;
  outputsFile?: string;
}

/** `--aws [--stage NAME] [--profile P] [--region R]`, and the hidden `--outputs-file`. */
export function awsOptions(): Option[] {
  return [
    new Option('--aws', "work on a deployed stage, found by its stacks' CloudFormation outputs"),
    new Option('--stage <name>', 'the deployed stage (with --aws)').default('dev'),
    new Option('--profile <profile>', 'the AWS profile of the credentials (with --aws)'),
    new Option('--region <region>', 'the AWS region of the stage (with --aws)'),
    // `cdk deploy --outputs-file` writes this; tests use it to run --aws against the emulators.
    new Option('--outputs-file <file>', "read the stacks' outputs from this file instead").hideHelp(),
  ];
}

/** Runs a command's work against the target its options name: the local stack, or `--aws`. */
export async function withTargets(
  options: TargetOptions,
  work: (targets: Targets) => Promise<void>,
): Promise<void> {
  if (options.aws || options.outputsFile) {
    const { awsTargets } = await import('./aws-target.ts');
    const targets = await awsTargets({
      stage: options.stage ?? 'dev',
      ...(options.profile ? { profile: options.profile } : {}),
      ...(options.region ? { region: options.region } : {}),
      ...(options.outputsFile ? { outputsFile: options.outputsFile } : {}),
    });
    await work(targets);
    return;
  }
  await withConnection(options, async (connection) => work(await localTargets(connection)));
}

/** The local stack's targets: its table, bucket and key file, its in-process queues. */
export async function localTargets(connection: Connection): Promise<Targets> {
  const { documentClient } = await import('../shared/aws/dynamodb.ts');
  const { LocalQueueAdmin } = await import('./local-queues.ts');
  return {
    kind: 'local',
    label: connection.attachedTo
      ? `the local stack of ${connection.dataDir} (pid ${connection.attachedTo.pid})`
      : `the local data of ${connection.dataDir}`,
    tableName: connection.tableName,
    bucketName: connection.bucket,
    apiUrl: connection.urls.api,
    db: documentClient(),
    s3: connection.local.s3,
    keys: new FileTokenKeys(join(connection.dataDir, 'token-key.json')),
    signups: connection.local.operator.signups,
    queues: new LocalQueueAdmin(connection),
    local: connection.local,
    settle: () => connection.settle(),
  };
}
