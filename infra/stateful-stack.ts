import { Aws, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { type ITableV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { ConfigurationSet, SuppressionReasons } from 'aws-cdk-lib/aws-ses';
import type { Construct } from 'constructs';
import { DataTable } from './constructs/data-table.ts';
import { SendingDomain } from './constructs/sending-domain.ts';

/**
 * The ingest bucket's name is fixed per stage, account and region, so the stateless stack can
 * import it by name: its notification then lives there, with no cross-stack export to lock it.
 */
export function ingestBucketName(stage: string): string {
  return `paperboy-${stage}-ingest-${Aws.ACCOUNT_ID}-${Aws.REGION}`;
}

/**
 * What must outlive any deployment: the table, the ingest bucket, the token secret, the SES
 * configuration set and the sending domain's identity (its DNS records are outputs). Kept apart
 * from the functions so a bad code deploy can never replace data.
 */
export class StatefulStack extends Stack {
  /** The table the functions use: the Data stack's own, or the restored one `tableName` names. */
  readonly table: ITableV2;
  /** The table this stack made (kept, retained, when a restored one is used instead). */
  readonly ownTable: DataTable['table'];
  readonly ingestBucket: Bucket;
  readonly tokenSecret: Secret;
  readonly configurationSet: ConfigurationSet;

  readonly sendingDomain: SendingDomain;

  constructor(
    scope: Construct,
    id: string,
    props: StackProps & {
      ingestBucketName: string;
      sending: { domain: string; mailFromSubdomain: string };
      /** A restored table to use instead of this stack's own. */
      tableName?: string | undefined;
    },
  ) {
    super(scope, id, props);
    this.ownTable = new DataTable(this, 'Data').table;
    this.table = props.tableName
      ? TableV2.fromTableName(this, 'RestoredTable', props.tableName)
      : this.ownTable;

    const accessLogs = new Bucket(this, 'AccessLogs', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the access-log bucket itself; logging it into itself would loop.',
    });

    this.ingestBucket = new Bucket(this, 'IngestBucket', {
      bucketName: props.ingestBucketName,
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'ingest/',
      lifecycleRules: [{ noncurrentVersionExpiration: Duration.days(30) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.tokenSecret = new Secret(this, 'TokenSecret', {
      description: 'Paperboy HMAC keys for confirm and unsubscribe links: {"current":"k1","k1":"…"}',
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ current: 'k1' }),
        generateStringKey: 'k1',
        passwordLength: 64,
        excludePunctuation: true,
      },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.tokenSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Signing keys rotate by adding k2… and moving "current" (docs/operations.md): automatic rotation would ' +
        'replace k1 and break every unsubscribe link already sent, which must work forever (RFC 8058).',
    });

    this.configurationSet = new ConfigurationSet(this, 'ConfigurationSet', {
      reputationMetrics: true,
      suppressionReasons: SuppressionReasons.BOUNCES_AND_COMPLAINTS,
    });

    this.sendingDomain = new SendingDomain(this, 'SendingDomain', {
      ...props.sending,
      configurationSet: this.configurationSet,
    });

    new CfnOutput(this, 'TableName', {
      value: this.table.tableName,
      description: props.tableName ? 'The table in use: restored (paperboy:tableName)' : 'The single table',
    });
    new CfnOutput(this, 'TokenSecretArn', {
      value: this.tokenSecret.secretArn,
      description: 'The token key ring (the CLI derives subscriber ids with it: paperboy subscribers …)',
    });
    new CfnOutput(this, 'IngestBucketName', {
      value: this.ingestBucket.bucketName,
      description: 'Drop paper files under incoming/ here',
    });
  }
}
