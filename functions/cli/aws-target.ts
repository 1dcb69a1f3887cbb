import { readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import * as z from 'zod';
import { FileTokenKeys } from '../adapters/file-token-keys.ts';
import { SecretsTokenKeys } from '../adapters/secrets-token-keys.ts';
import { SqsSignupQueue } from '../adapters/sqs-signup-queue.ts';
import { describeIssues, formatIssues, ValidationError } from '../core/errors.ts';
import { documentClient } from '../shared/aws/dynamodb.ts';
import { s3Client } from '../shared/aws/s3.ts';
import { secretsClient } from '../shared/aws/secrets.ts';
import { EnvironmentError } from './exit-codes.ts';
import {
  BODY_PREVIEW_CHARS,
  DEAD_LETTER_ROLES,
  type DeadLetterMessage,
  type DeadLetterQueueView,
  type QueueAdmin,
  type QueueDepth,
  type RedriveResult,
  type Targets,
} from './target-types.ts';

/** The stacks of a stage, named as infra/app.ts names them. */
export function stackNames(stage: string): { data: string; app: string } {
  return { data: `Paperboy-${stage}-Data`, app: `Paperboy-${stage}-App` };
}

/** The stage names infra/config.ts accepts. */
const StageSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{1,20}$/u, 'lower-case letters, digits and dashes, 2 to 21 characters');

/** Every output the CLI reads, by stack: a deployed stage that lacks one is named with it. */
export const REQUIRED_OUTPUTS = {
  data: ['TableName', 'IngestBucketName', 'TokenSecretArn'],
  app: [
    'ApiUrl',
    'SendQueueName',
    'SendDeadLetterQueueName',
    'SignupQueueName',
    'SignupDeadLetterQueueName',
    'IngestDeadLetterQueueName',
    'RankDeadLetterQueueName',
    'FeedbackDeadLetterQueueName',
    'IngestFunctionName',
    'RankFunctionName',
    'FeedbackFunctionName',
  ],
} as const;
type DataOutput = (typeof REQUIRED_OUTPUTS.data)[number];
type AppOutput = (typeof REQUIRED_OUTPUTS.app)[number];
export type StageOutputs = Record<DataOutput | AppOutput, string>;

/** Where the outputs come from: CloudFormation, or a file as `cdk deploy --outputs-file` writes it. */
export type OutputsSource = (stackName: string) => Promise<Record<string, string> | undefined>;

/** A stack's outputs from CloudFormation (DescribeStacks); undefined when the stack does not exist. */
export function cloudFormationOutputs(client: CloudFormationClient): OutputsSource {
  return async (stackName) => {
    try {
      const { Stacks } = await client.send(new DescribeStacksCommand({ StackName: stackName }));
      const stack = Stacks?.[0];
      if (!stack) return undefined;
      return Object.fromEntries(
        (stack.Outputs ?? [])
          .filter((o) => o.OutputKey && o.OutputValue !== undefined)
          .map((o) => [o.OutputKey as string, o.OutputValue as string]),
      );
    } catch (error) {
      // CloudFormation answers a missing stack with a ValidationError that says so.
      if (error instanceof Error && /does not exist/u.test(error.message)) return undefined;
      throw new EnvironmentError(
        `could not read the stack ${stackName} from CloudFormation: ${(error as Error).message}` +
          ' (check --profile, --region and your credentials)',
        { cause: error },
      );
    }
  };
}

/**
 * A named profile must exist in the shared config or credentials file (AWS_CONFIG_FILE,
 * AWS_SHARED_CREDENTIALS_FILE, or ~/.aws/config and ~/.aws/credentials): otherwise the SDK only
 * says that a region or credentials are missing, which does not name the profile.
 */
export async function requireProfile(profile: string): Promise<void> {
  const home = homedir();
  const files = [
    {
      path: process.env.AWS_CONFIG_FILE ?? join(home, '.aws', 'config'),
      sections: [`profile ${profile}`, profile],
    },
    {
      path: process.env.AWS_SHARED_CREDENTIALS_FILE ?? join(home, '.aws', 'credentials'),
      sections: [profile],
    },
  ];
  for (const { path, sections } of files) {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split(/\r?\n/u)) {
      const section = /^\s*\[\s*([^\]]+?)\s*\]\s*$/u.exec(line)?.[1];
      if (section && sections.includes(section)) return;
    }
  }
  throw new EnvironmentError(
    `--profile ${profile}: there is no such profile in ${files.map((f) => f.path).join(' or ')} (aws configure --profile ${profile} makes one)`,
  );
}

/** The largest outputs file read (cdk writes a few KB). */
const MAX_OUTPUTS_FILE_BYTES = 1024 * 1024;
const OutputsFileSchema = z.record(z.string(), z.record(z.string(), z.string()));

/** The outputs of `cdk deploy --outputs-file FILE`: `{ "<stack>": { "<output>": "<value>" } }`. */
export async function fileOutputs(file: string): Promise<OutputsSource> {
  let text: string;
  try {
    const info = await stat(file);
    if (info.size > MAX_OUTPUTS_FILE_BYTES) {
      throw new EnvironmentError(
        `${file}: ${info.size} bytes; an outputs file is at most ${MAX_OUTPUTS_FILE_BYTES}`,
      );
    }
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (error instanceof EnvironmentError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file (the file `npx cdk deploy --outputs-file FILE` writes)'
        : code === 'EISDIR'
          ? 'a directory, not an outputs file'
          : code === 'EACCES'
            ? 'not readable (permission denied)'
            : (error as Error).message;
    throw new EnvironmentError(`--outputs-file ${file}: ${why}`, { cause: error });
  }
  let parsed: z.infer<typeof OutputsFileSchema>;
  try {
    const result = OutputsFileSchema.safeParse(JSON.parse(text));
    if (!result.success) {
      throw new EnvironmentError(
        `${file}: not a stack outputs file ({"<stack>": {"<output>": "<value>"}}): ${formatIssues(describeIssues(result.error.issues))}`,
      );
    }
    parsed = result.data;
  } catch (error) {
    if (error instanceof EnvironmentError) throw error;
    throw new EnvironmentError(`${file}: not JSON: ${(error as Error).message}`, { cause: error });
  }
  return async (stackName) => parsed[stackName];
}

/**
 * Every output the CLI needs from a stage's two stacks, or an EnvironmentError that names the
 * stack (and the output) that is missing.
 */
export async function readStageOutputs(
  stage: string,
  source: OutputsSource,
  where: string,
): Promise<StageOutputs> {
  const names = stackNames(stage);
  const found: Partial<StageOutputs> = {};
  for (const part of ['data', 'app'] as const) {
    const stackName = names[part];
    const outputs = await source(stackName);
    if (!outputs) {
      throw new EnvironmentError(
        `stage ${stage}: there is no stack ${stackName} ${where}; deploy it (npx cdk deploy --all -c paperboy:stage=${stage}), or give the right --stage, --region or --profile`,
      );
    }
    const missing = REQUIRED_OUTPUTS[part].filter((name) => !outputs[name]);
    if (missing.length > 0) {
      throw new EnvironmentError(
        `stage ${stage}: the stack ${stackName} ${where} has no output ${missing.join(', ')}; deploy this version of Paperboy to it (npx cdk deploy --all)`,
      );
    }
    for (const name of REQUIRED_OUTPUTS[part]) found[name] = outputs[name] as string;
  }
  return found as StageOutputs;
}

export interface AwsTargetOptions {
  stage: string;
  profile?: string;
  region?: string;
  /** Read the outputs from this file (`cdk deploy --outputs-file`) instead of CloudFormation. */
  outputsFile?: string;
}

/**
 * A deployed stage's targets, every resource found from its stacks' outputs. Credentials and
 * region come as for any AWS tool (`--profile`, `--region`, or the SDK's own variables and
 * files); they are set in this process's environment, so every client the command builds (the
 * functions' own composition roots included) uses them. The SDK's endpoint variables
 * (`AWS_ENDPOINT_URL_DYNAMODB`, …) are honoured, which is how the tests run `--aws` against the
 * local emulators with an outputs file.
 */
export async function awsTargets(options: AwsTargetOptions): Promise<Targets> {
  const stage = StageSchema.safeParse(options.stage);
  if (!stage.success) {
    // A name that cannot be a stage is bad input (exit 2); a valid one not deployed is exit 3.
    throw new ValidationError(
      `--stage ${options.stage}: ${stage.error.issues[0]?.message ?? 'not a stage name'}`,
    );
  }
  if (options.profile && !options.outputsFile) await requireProfile(options.profile);
  // Lambda runs Node.js 22; the SDK's notice about this machine's Node 20 is known (README).
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  if (options.profile) process.env.AWS_PROFILE = options.profile;
  if (options.region) process.env.AWS_REGION = options.region;
  const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  const where = options.outputsFile
    ? `in ${options.outputsFile}`
    : `in ${region ?? 'the profile’s region'}${options.profile ? ` (profile ${options.profile})` : ''}`;
  const source = options.outputsFile
    ? await fileOutputs(options.outputsFile)
    : cloudFormationOutputs(new CloudFormationClient({}));
  const outputs = await readStageOutputs(stage.data, source, where);

  // An outputs file stands for a stage on other endpoints (the emulators): its token key may be a
  // file too. Against CloudFormation, the key is always the stage's secret.
  const keyFile = options.outputsFile ? process.env.PAPERBOY_TOKEN_KEY_FILE : undefined;
  const queues = new SqsQueueAdmin(new SQSClient({}), new LambdaClient({}), outputs);
  return {
    kind: 'aws',
    label: `stage ${stage.data} (${stackNames(stage.data).data}, ${stackNames(stage.data).app}) ${where}`,
    tableName: outputs.TableName,
    bucketName: outputs.IngestBucketName,
    apiUrl: outputs.ApiUrl,
    db: documentClient(),
    s3: s3Client(),
    keys: keyFile
      ? new FileTokenKeys(keyFile)
      : new SecretsTokenKeys(secretsClient(), outputs.TokenSecretArn),
    signups: {
      enqueue: async (message) =>
        new SqsSignupQueue(queues.sqs, await queues.url(outputs.SignupQueueName)).enqueue(message),
    },
    queues,
    settle: async () => {},
  };
}

/** Each dead-letter queue's role, name output and what its messages go back to. */
const DEAD_LETTERS: Record<
  (typeof DEAD_LETTER_ROLES)[number],
  { queue: AppOutput; source: { queue: AppOutput } | { function: AppOutput } }
> = {
  send: { queue: 'SendDeadLetterQueueName', source: { queue: 'SendQueueName' } },
  signup: { queue: 'SignupDeadLetterQueueName', source: { queue: 'SignupQueueName' } },
  ingest: { queue: 'IngestDeadLetterQueueName', source: { function: 'IngestFunctionName' } },
  rank: { queue: 'RankDeadLetterQueueName', source: { function: 'RankFunctionName' } },
  feedback: { queue: 'FeedbackDeadLetterQueueName', source: { function: 'FeedbackFunctionName' } },
};

/** At most this many messages handed back to a function in one redrive (run it again for more). */
export const MAX_REDRIVE_INVOCATIONS = 1000;

/**
 * A deployed stage's queues on SQS. Listing dead letters receives them with a visibility timeout
 * of 0, so they stay in the queue. A redrive of a queue fed by another queue (send, signup) is
 * SQS's own move task back to that queue; a queue of a function's failed events (ingest, rank,
 * feedback) is emptied by invoking the function again with each event, asynchronously, deleting
 * each message once the invocation is accepted.
 */
export class SqsQueueAdmin implements QueueAdmin {
  private readonly urls = new Map<string, Promise<string>>();

  constructor(
    readonly sqs: SQSClient,
    private readonly lambda: LambdaClient,
    readonly outputs: StageOutputs,
  ) {}

  roles(): string[] {
    return [...DEAD_LETTER_ROLES];
  }

  url(name: string): Promise<string> {
    let url = this.urls.get(name);
    if (!url) {
      url = (async () => {
        const { QueueUrl } = await this.sqs.send(new GetQueueUrlCommand({ QueueName: name }));
        if (!QueueUrl) throw new EnvironmentError(`SQS has no queue ${name}`);
        return QueueUrl;
      })();
      this.urls.set(name, url);
    }
    return url;
  }

  private async attributes(name: string, names: string[]): Promise<Record<string, string>> {
    const { Attributes } = await this.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: await this.url(name),
        AttributeNames: names as never,
      }),
    );
    return Attributes ?? {};
  }

  async depths(): Promise<QueueDepth[]> {
    const work = [
      { name: this.outputs.SendQueueName, role: 'send' },
      { name: this.outputs.SignupQueueName, role: 'signup' },
    ];
    const dead = DEAD_LETTER_ROLES.map((role) => ({ name: this.outputs[DEAD_LETTERS[role].queue], role }));
    return Promise.all([
      ...work.map((q) => this.depth(q.name, 'work', q.role)),
      ...dead.map((q) => this.depth(q.name, 'dead-letter', q.role)),
    ]);
  }

  private async depth(name: string, kind: QueueDepth['kind'], role: string): Promise<QueueDepth> {
    const a = await this.attributes(name, [
      'ApproximateNumberOfMessages',
      'ApproximateNumberOfMessagesNotVisible',
    ]);
    return {
      name,
      kind,
      role,
      visible: Number(a.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(a.ApproximateNumberOfMessagesNotVisible ?? 0),
    };
  }

  async deadLetters(peek: number): Promise<DeadLetterQueueView[]> {
    return Promise.all(
      DEAD_LETTER_ROLES.map(async (role) => {
        const name = this.outputs[DEAD_LETTERS[role].queue];
        const { visible = 0 } = await this.depth(name, 'dead-letter', role);
        const messages: DeadLetterMessage[] = [];
        if (peek > 0 && visible > 0) {
          const { Messages } = await this.sqs.send(
            new ReceiveMessageCommand({
              QueueUrl: await this.url(name),
              MaxNumberOfMessages: Math.min(10, peek),
              // Seen, not taken: visible again at once.
              VisibilityTimeout: 0,
              WaitTimeSeconds: 0,
              MessageAttributeNames: ['All'],
              MessageSystemAttributeNames: ['All'],
            }),
          );
          for (const message of Messages ?? []) messages.push(describeMessage(message));
        }
        return { name, role, depth: visible, messages };
      }),
    );
  }

  async redrive(role?: string): Promise<RedriveResult[]> {
    const roles = role ? [role as (typeof DEAD_LETTER_ROLES)[number]] : [...DEAD_LETTER_ROLES];
    const results: RedriveResult[] = [];
    for (const r of roles) {
      const spec = DEAD_LETTERS[r];
      const name = this.outputs[spec.queue];
      if ('queue' in spec.source) {
        const a = await this.attributes(name, ['QueueArn', 'ApproximateNumberOfMessages']);
        const waiting = Number(a.ApproximateNumberOfMessages ?? 0);
        if (waiting === 0) {
          results.push({ name, role: r, moved: 0, how: 'move-task', failed: [] });
          continue;
        }
        // No destination: SQS moves the messages back to the queue they came from.
        const { TaskHandle } = await this.sqs.send(
          new StartMessageMoveTaskCommand({ SourceArn: a.QueueArn }),
        );
        results.push({
          name,
          role: r,
          moved: waiting,
          how: 'move-task',
          failed: [],
          ...(TaskHandle ? { taskHandle: TaskHandle } : {}),
        });
        continue;
      }
      results.push(await this.reinvoke(name, r, this.outputs[spec.source.function]));
    }
    return results;
  }

  /** Hands each failed event back to its function (asynchronously), deleting it once accepted. */
  private async reinvoke(name: string, role: string, functionName: string): Promise<RedriveResult> {
    const url = await this.url(name);
    const result: RedriveResult = { name, role, moved: 0, how: 'invoked', failed: [] };
    const seen = new Set<string>();
    while (result.moved + result.failed.length < MAX_REDRIVE_INVOCATIONS) {
      const { Messages } = await this.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: url,
          MaxNumberOfMessages: 10,
          // Long enough to invoke and delete; a message that failed becomes visible again after it.
          VisibilityTimeout: 60,
          WaitTimeSeconds: 0,
        }),
      );
      const fresh = (Messages ?? []).filter((m) => m.MessageId && !seen.has(m.MessageId));
      if (fresh.length === 0) break;
      for (const message of fresh) {
        seen.add(message.MessageId as string);
        try {
          const response = await this.lambda.send(
            new InvokeCommand({
              FunctionName: functionName,
              InvocationType: 'Event',
              Payload: Buffer.from(eventOf(message.Body ?? '')),
            }),
          );
          if (response.FunctionError) throw new Error(response.FunctionError);
          await this.sqs.send(
            new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: message.ReceiptHandle }),
          );
          result.moved += 1;
        } catch (error) {
          result.failed.push({ id: message.MessageId as string, error: (error as Error).message });
        }
      }
    }
    return result;
  }
}

/**
 * The event a dead letter stands for: a Lambda destination's record carries it as
 * `requestPayload`; EventBridge's and Lambda's own dead-letter queues hold the event itself.
 */
export function eventOf(body: string): string {
  try {
    const parsed = JSON.parse(body) as { requestContext?: unknown; requestPayload?: unknown };
    if (parsed && typeof parsed === 'object' && parsed.requestContext && 'requestPayload' in parsed) {
      return JSON.stringify(parsed.requestPayload);
    }
  } catch {
    // not JSON: handed back as it is
  }
  return body;
}

/** A dead letter as `dlq list` shows it: why it failed, from wherever the sender put it. */
export function describeMessage(message: Message): DeadLetterMessage {
  const attributes: Record<string, string> = { ...(message.Attributes ?? {}) };
  for (const [key, value] of Object.entries(message.MessageAttributes ?? {})) {
    if (value.StringValue !== undefined) attributes[key] = value.StringValue;
  }
  const body = message.Body ?? '';
  let error =
    attributes.ERROR_MESSAGE ?? attributes.ErrorMessage ?? attributes.ERROR_CODE ?? attributes.ErrorCode;
  if (!error) {
    try {
      const record = JSON.parse(body) as {
        requestContext?: { condition?: string };
        responsePayload?: { errorMessage?: string };
      };
      error = record.responsePayload?.errorMessage ?? record.requestContext?.condition;
    } catch {
      // a body that is not JSON says nothing about why
    }
  }
  const sent = attributes.SentTimestamp ? Number(attributes.SentTimestamp) : undefined;
  return {
    id: message.MessageId ?? '',
    ...(sent ? { at: new Date(sent).toISOString() } : {}),
    ...(error ? { error } : {}),
    attributes,
    body: body.slice(0, BODY_PREVIEW_CHARS),
  };
}
