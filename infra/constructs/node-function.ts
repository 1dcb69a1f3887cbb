import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Architecture, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, type NodejsFunctionProps, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import { Construct } from 'constructs';
import { GSI1 } from '../../functions/adapters/dynamo-keys.ts';

export interface NodeFunctionProps extends Omit<NodejsFunctionProps, 'entry' | 'runtime' | 'architecture'> {
  /** Handler file name under functions/handlers, e.g. `ingest-object.ts`. */
  handlerFile: string;
  /** Compiled templates to ship beside the handler (`templates.json`). */
  templatesFile?: string;
}

/**
 * Every Paperboy Lambda: Node.js 22 on ARM64, ESM bundle built by the local esbuild, JSON logs
 * with bounded retention, X-Ray tracing. Callers' environment is merged, never replaced.
 */
export class NodeFunction extends Construct {
  readonly fn: NodejsFunction;

  constructor(scope: Construct, id: string, props: NodeFunctionProps) {
    super(scope, id);
    const { handlerFile, templatesFile, environment, bundling, ...rest } = props;
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
      environment: { NODE_OPTIONS: '--enable-source-maps', ...environment },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        minify: true,
        keepNames: true,
        sourceMap: true,
        mainFields: ['module', 'main'],
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
    const acknowledge = (id: string, reason: string) => Validations.of(this).acknowledge({ id, reason });
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

  /**
   * Lets this function use a resource ARN that contains `*` (object prefixes, say), recording
   * why for cdk-nag. The finding id is computed the way cdk-nag renders it, so it stays exact.
   */
  allowWildcardResource(arn: string, reason: string, scope: Construct = this): this {
    const rendered = flattenCfnReference(Stack.of(this).resolve(arn));
    Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Resource::${rendered}]`, reason });
    return this;
  }

  /** Table access without wildcards: the table and its one index, with only the named actions. */
  grantTable(table: ITableV2, actions: readonly string[]): this {
    this.fn.addToRolePolicy(
      new PolicyStatement({
        actions: actions.map((a) => `dynamodb:${a}`),
        resources: [table.tableArn, `${table.tableArn}/index/${GSI1}`],
      }),
    );
    return this;
  }
}
