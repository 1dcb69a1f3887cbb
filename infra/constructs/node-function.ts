import { Duration, Validations } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Architecture, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, type NodejsFunctionProps, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IConfigurationSet } from 'aws-cdk-lib/aws-ses';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct, type IConstruct } from 'constructs';
import { GSI1 } from '../../functions/adapters/dynamo-keys.ts';
import { ENV, type EnvName } from '../../functions/shared/env-names.ts';
import { acknowledgeWildcard } from './nag.ts';

export interface NodeFunctionProps
  extends Omit<NodejsFunctionProps, 'entry' | 'runtime' | 'architecture' | 'environment'> {
  /** Handler file name under functions/handlers, e.g. `ingest-object.ts`. */
  handlerFile: string;
  /** Compiled templates to ship beside the handler (`templates.json`). */
  templatesFile?: string;
}

/**
 * Every Paperboy Lambda: Node.js 22 on ARM64, an ESM bundle built by the local esbuild with the
 * tested AWS SDK inside (not the runtime's), JSON logs with bounded retention, X-Ray tracing.
 *
 * A function gets access and the environment variable that names the resource in one call
 * (`useTable`, `useSendQueue`, …), so it can never have one without the other; plain settings
 * go through `setConfig`. Variable names come from functions/shared/env-names.ts, which the
 * functions' composition roots parse.
 */
export class NodeFunction extends Construct {
  readonly fn: NodejsFunction;

  constructor(scope: Construct, id: string, props: NodeFunctionProps) {
    super(scope, id);
    const { handlerFile, templatesFile, bundling, ...rest } = props;
    const logGroup = new LogGroup(this, 'Logs', { retention: RetentionDays.ONE_MONTH });
    this.fn = new NodejsFunction(this, 'Function', {
      entry: new URL(`../../functions/handlers/${handlerFile}`, import.meta.url).pathname,
      handler: 'handler',
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: 512,
      timeout: Duration.seconds(30),
      tracing: Tracing.ACTIVE,
      loggingFormat: LoggingFormat.JSON,
      logGroup,
      ...rest,
      environment: { NODE_OPTIONS: '--enable-source-maps' },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        minify: true,
        keepNames: true,
        sourceMap: true,
        mainFields: ['module', 'main'],
        // Ship the SDK version the tests ran against, not whatever the runtime carries.
        bundleAwsSDK: true,
        // CommonJS dependencies inside an ESM bundle still call require().
        banner:
          "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
        ...(templatesFile
          ? {
              commandHooks: {
                beforeBundling: () => [],
                beforeInstall: () => [],
                afterBundling: (_input: string, output: string) => [
                  `cp "${templatesFile}" "${output}/templates.json"`,
                ],
              },
            }
          : {}),
        ...bundling,
      },
    });
    const acknowledge = (ruleId: string, reason: string) =>
      Validations.of(this).acknowledge({ id: ruleId, reason });
    acknowledge(
      'AwsSolutions-L1',
      'DESIGN: Lambda runs Node.js 22, the newest runtime the code is tested on (developer machines run Node 20).',
    );
    acknowledge(
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      "AWS's minimal managed policy: write to this function's own CloudWatch log streams only.",
    );
    acknowledge(
      'AwsSolutions-IAM5[Resource::*]',
      'X-Ray PutTraceSegments and PutTelemetryRecords accept no resource but *.',
    );
  }

  /** A plain setting (no access attached): a URL, a time zone, a policy. */
  setConfig(name: EnvName, value: string): this {
    this.fn.addEnvironment(name, value);
    return this;
  }

  /** The table and its one index, with only the named actions; sets TABLE_NAME. */
  useTable(table: ITableV2, actions: readonly string[]): this {
    this.fn.addToRolePolicy(
      new PolicyStatement({
        actions: actions.map((a) => `dynamodb:${a}`),
        resources: [table.tableArn, `${table.tableArn}/index/${GSI1}`],
      }),
    );
    return this.setConfig(ENV.tableName, table.tableName);
  }

  /**
   * Only the items whose partition key starts with one of `prefixes` (an IAM
   * `dynamodb:LeadingKeys` condition), with only the named actions, on the table itself (no
   * index); sets TABLE_NAME. For a function that keeps a few items of its own (the collector).
   */
  useTableItems(table: ITableV2, actions: readonly string[], prefixes: readonly string[]): this {
    this.fn.addToRolePolicy(
      new PolicyStatement({
        actions: actions.map((a) => `dynamodb:${a}`),
        resources: [table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': prefixes.map((p) => `${p}*`) } },
      }),
    );
    return this.setConfig(ENV.tableName, table.tableName);
  }

  /**
   * Object access under prefixes of the ingest bucket (per prefix, the listed actions); sets
   * BUCKET_NAME. Object ARNs end in `*`, which cdk-nag is told about with the reason.
   */
  useBucketObjects(bucket: IBucket, access: Record<string, readonly ('Get' | 'Put' | 'Delete')[]>): this {
    for (const [prefix, actions] of Object.entries(access)) {
      const arn = bucket.arnForObjects(`${prefix}*`);
      this.fn.addToRolePolicy(
        new PolicyStatement({ actions: actions.map((a) => `s3:${a}Object`), resources: [arn] }),
      );
      acknowledgeWildcard(
        this,
        arn,
        `Objects are per file: this function ${actions.join('/').toLowerCase()}s objects under ${prefix}, and only there.`,
      );
    }
    return this.setConfig(ENV.bucketName, bucket.bucketName);
  }

  /** May send messages to the send queue; sets SEND_QUEUE_URL. */
  useSendQueue(queue: IQueue): this {
    queue.grantSendMessages(this.fn);
    return this.setConfig(ENV.sendQueueUrl, queue.queueUrl);
  }

  /** May send messages to the sign-up queue; sets SIGNUP_QUEUE_URL. */
  useSignupQueue(queue: IQueue): this {
    queue.grantSendMessages(this.fn);
    return this.setConfig(ENV.signupQueueUrl, queue.queueUrl);
  }

  /** May read the token key ring; sets TOKEN_SECRET_ID. */
  useTokenSecret(secret: ISecret): this {
    secret.grantRead(this.fn);
    return this.setConfig(ENV.tokenSecretId, secret.secretArn);
  }

  /**
   * May send email as the sender (its address or the sending domain's identity), through the
   * configuration set only; sets SENDER_ADDRESS, SENDER_NAME and SES_CONFIGURATION_SET.
   */
  useSender(
    sender: { address: string; name: string; domain: string },
    configurationSet: IConfigurationSet,
  ): this {
    const stack = this.fn.stack;
    const identities = new Set([sender.domain, sender.address.slice(sender.address.lastIndexOf('@') + 1)]);
    this.fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['ses:SendEmail'],
        resources: [
          ...[...identities].map((domain) =>
            stack.formatArn({ service: 'ses', resource: 'identity', resourceName: domain }),
          ),
          stack.formatArn({ service: 'ses', resource: 'identity', resourceName: sender.address }),
          stack.formatArn({
            service: 'ses',
            resource: 'configuration-set',
            resourceName: configurationSet.configurationSetName,
          }),
        ],
      }),
    );
    this.setConfig(ENV.senderAddress, sender.address);
    this.setConfig(ENV.senderName, sender.name);
    return this.setConfig(ENV.sesConfigurationSet, configurationSet.configurationSetName);
  }

  /** May read the SES account's sending quota (GetAccount, to pace sends). */
  useSesAccountQuota(): this {
    this.fn.addToRolePolicy(new PolicyStatement({ actions: ['ses:GetAccount'], resources: ['*'] }));
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray PutTraceSegments and PutTelemetryRecords, and SES GetAccount (the account quota), accept no resource but *.',
    });
    return this;
  }

  /** Acknowledges a wildcard resource this function (or `scope`) is granted, with why. */
  allowWildcardResource(arn: string, reason: string, scope: IConstruct = this): this {
    acknowledgeWildcard(scope, arn, reason);
    return this;
  }
}
