import { join } from 'node:path';
import { Option } from 'commander';
import { FileTokenKeys } from '../adapters/file-token-keys.ts';
import { CliError, withConnection } from './common.ts';
import type { Connection } from './connect.ts';
import { EXIT } from './exit-codes.ts';
import type { TargetOptions, Targets } from './target-types.ts';

export type { TargetOptions, Targets } from './target-types.ts';

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
  if (options.outputsFile && !options.aws)
    throw new CliError('--outputs-file goes with --aws (it stands for a deployed stage)', EXIT.badInput);
  if (options.aws) {
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
