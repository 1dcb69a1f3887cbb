import { Duration, Validations } from 'aws-cdk-lib';
import { HttpApi, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IConfigurationSet } from 'aws-cdk-lib/aws-ses';
import { Construct } from 'constructs';
import { ENV } from '../../functions/shared/env-names.ts';
import type { StageConfig } from '../config.ts';
import { NodeFunction } from './node-function.ts';

export interface SubscriptionApiProps {
  config: StageConfig;
  table: ITableV2;
  tokenSecret: ISecret;
  configurationSet: IConfigurationSet;
  /** Compiled email and page templates shipped beside the function. */
  templatesFile: string;
}

/**
 * The public HTTP API (API Gateway HTTP API, payload v2, one `$default` route) → the api
 * function, which routes every URL itself (functions/triggers/api/routes.ts). The stage
 * throttles to the configured rate and logs every request.
 */
export class SubscriptionApi extends Construct {
  readonly function: NodeFunction;
  readonly httpApi: HttpApi;

  constructor(scope: Construct, id: string, props: SubscriptionApiProps) {
    super(scope, id);
    const { config } = props;
    this.function = new NodeFunction(this, 'Api', {
      handlerFile: 'api.ts',
      description: 'Subscribe, confirm, unsubscribe and public pages',
      timeout: Duration.seconds(10),
      templatesFile: props.templatesFile,
    })
      .useTable(props.table, ['GetItem', 'PutItem', 'Query'])
      .useTokenSecret(props.tokenSecret)
      .useSender(config.senderAddress, props.configurationSet)
      .setConfig(ENV.publicBaseUrl, config.publicBaseUrl);

    this.httpApi = new HttpApi(this, 'HttpApi', {
      description: 'Paperboy public API and pages',
      createDefaultStage: false,
      defaultIntegration: new HttpLambdaIntegration('ApiIntegration', this.function.fn),
    });
    new HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: config.apiRateLimit, burstLimit: config.apiRateLimit * 2 },
      accessLogSettings: {
        destination: new LogGroupLogDestination(
          new LogGroup(this, 'AccessLogs', { retention: RetentionDays.ONE_MONTH }),
        ),
      },
    });
    Validations.of(this.httpApi).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'Public sign-up API: there are no accounts; confirm and unsubscribe are authorized by signed tokens.',
    });
  }
}
