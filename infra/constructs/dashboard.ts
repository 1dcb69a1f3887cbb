import { Duration } from 'aws-cdk-lib';
import {
  Dashboard,
  GraphWidget,
  type IMetric,
  type IWidget,
  Metric,
  Shading,
  SingleValueWidget,
  TextWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IConfigurationSet } from 'aws-cdk-lib/aws-ses';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  METRIC,
  METRICS_NAMESPACE,
  SERVICES,
  SOURCE_DIMENSION,
} from '../../functions/shared/metric-names.ts';
import { REPUTATION_THRESHOLDS } from './alarms.ts';
import { paperboyMetric } from './metrics.ts';

export interface PipelineDashboardProps {
  stage: string;
  /** Each function by the name the operator knows it by (Ingest, Rank, Send…). */
  functions: Record<string, IFunction>;
  /** Queues whose depth matters: the work queues and every dead-letter queue, by name. */
  queues: Record<string, IQueue>;
  deadLetterQueues: Record<string, IQueue>;
  configurationSet: IConfigurationSet;
  /** The collector's enabled sources (its metrics carry a `Source` dimension). */
  collectorSources?: readonly string[];
  /** Emails per second all workers may send (paperboy:sendRateCap), when set. */
  sendRateCap?: number;
  sendAt: string;
  timeZone: string;
}

const WIDTH = 8;
const HEIGHT = 6;

/**
 * The day's pipeline at a glance, one CloudWatch dashboard per stage, read top to bottom as the
 * morning runs: files in and papers accepted or rejected; the edition (candidates and size);
 * emails sent per minute against the send rate cap; bounces and complaints against the
 * thresholds that alarm; queue depths; errors; p99 durations. docs/operations.md, "The morning's
 * runbook", says what healthy looks like on each widget.
 */
export class PipelineDashboard extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: PipelineDashboardProps) {
    super(scope, id);
    const m = (
      service: Parameters<typeof paperboyMetric>[1],
      name: Parameters<typeof paperboyMetric>[2],
      statistic = 'Sum',
      period = Duration.hours(1),
    ) => paperboyMetric(props.stage, service, name, { statistic, period, label: name });
    const graph = (
      title: string,
      left: IMetric[],
      extra: Partial<ConstructorParameters<typeof GraphWidget>[0]> = {},
    ) => new GraphWidget({ title, left, width: WIDTH, height: HEIGHT, ...extra });

    const perMinute = Duration.minutes(1);
    const sentPerMinute = paperboyMetric(props.stage, SERVICES.send, METRIC.emailsSent, {
      period: perMinute,
      label: 'emails sent per minute',
    });
    const capPerMinute = props.sendRateCap ? props.sendRateCap * 60 : undefined;

    const rows: IWidget[][] = [
      [
        new TextWidget({
          markdown:
            `## Paperboy ${props.stage}: the morning at a glance\n` +
            `The edition runs at **${props.sendAt} ${props.timeZone}**. Healthy: files in and papers accepted before it; ` +
            'one edition built with candidates; emails sent in a burst right after, under the cap line; ' +
            'bounces and complaints far under their lines; every queue back to 0; no errors. ' +
            'Runbooks: docs/operations.md.',
          width: 24,
          height: 2,
        }),
      ],
      [
        graph('Files in (per hour)', [
          m(SERVICES.ingest, METRIC.filesIngested),
          m(SERVICES.ingest, METRIC.filesQuarantined),
        ]),
        graph('Papers accepted and rejected (per hour)', [
          m(SERVICES.ingest, METRIC.papersIngested),
          m(SERVICES.ingest, METRIC.papersRejected),
        ]),
        new SingleValueWidget({
          title: 'Edition (last 24 h)',
          metrics: [
            m(SERVICES.rank, METRIC.candidates, 'Maximum', Duration.days(1)),
            m(SERVICES.rank, METRIC.editionSize, 'Maximum', Duration.days(1)),
            m(SERVICES.rank, METRIC.editionsBuilt, 'Sum', Duration.days(1)),
            m(SERVICES.rank, METRIC.readersDue, 'Sum', Duration.days(1)),
          ],
          width: WIDTH,
          height: HEIGHT,
        }),
      ],
      [
        graph('Emails sent per minute, against the cap', [sentPerMinute], {
          right: [
            paperboyMetric(props.stage, SERVICES.send, METRIC.emailsThrottled, { period: perMinute }),
            paperboyMetric(props.stage, SERVICES.send, METRIC.emailsFailed, { period: perMinute }),
          ],
          leftAnnotations: capPerMinute
            ? [{ value: capPerMinute, label: `send rate cap (${props.sendRateCap}/s)`, color: '#d62728' }]
            : [],
          width: 12,
        }),
        graph(
          'Bounces and complaints (per hour)',
          [m(SERVICES.feedback, METRIC.emailsBounced), m(SERVICES.feedback, METRIC.emailsComplained)],
          {
            right: Object.keys(REPUTATION_THRESHOLDS).map(
              (rate) =>
                new Metric({
                  namespace: 'AWS/SES',
                  metricName: `Reputation.${rate}`,
                  dimensionsMap: { 'ses:configuration-set': props.configurationSet.configurationSetName },
                  statistic: 'Maximum',
                  period: Duration.hours(1),
                  label: `SES ${rate}`,
                }),
            ),
            rightAnnotations: Object.entries(REPUTATION_THRESHOLDS).map(([rate, value]) => ({
              value,
              label: `${rate} alarm`,
              fill: Shading.ABOVE,
            })),
            width: 12,
          },
        ),
      ],
      [
        graph(
          'Queue depth (messages visible)',
          Object.entries(props.queues).map(([name, queue]) =>
            queue.metricApproximateNumberOfMessagesVisible({
              label: name,
              period: perMinute,
              statistic: 'Maximum',
            }),
          ),
        ),
        graph(
          'Dead-letter queues (should be 0)',
          Object.entries(props.deadLetterQueues).map(([name, queue]) =>
            queue.metricApproximateNumberOfMessagesVisible({
              label: name,
              period: Duration.minutes(5),
              statistic: 'Maximum',
            }),
          ),
        ),
        graph(
          'Errors per function',
          Object.entries(props.functions).map(([name, fn]) =>
            fn.metricErrors({ label: name, period: Duration.minutes(5), statistic: 'Sum' }),
          ),
        ),
      ],
      [
        graph(
          'p99 duration per function (ms)',
          Object.entries(props.functions).map(([name, fn]) =>
            fn.metricDuration({ label: name, period: Duration.minutes(5), statistic: 'p99' }),
          ),
          { width: 12 },
        ),
        graph(
          'Sign-ups (per hour)',
          [
            m(SERVICES.signup, METRIC.subscribersSubscribed),
            // "That was a mistake" on the unsubscribed page signs up again from the api function.
            paperboyMetric(props.stage, SERVICES.api, METRIC.subscribersSubscribed, {
              period: Duration.hours(1),
              label: 'SubscribersSubscribed (resubscribed)',
            }),
            m(SERVICES.api, METRIC.subscribersConfirmed),
            m(SERVICES.api, METRIC.subscribersLeft),
          ],
          { width: 12 },
        ),
      ],
    ];

    const sources = props.collectorSources ?? [];
    if (sources.length > 0) {
      const perSource = (name: string, statistic: string) =>
        sources.map(
          (source) =>
            new Metric({
              namespace: METRICS_NAMESPACE,
              metricName: name,
              dimensionsMap: {
                service: SERVICES.collect,
                stage: props.stage,
                [SOURCE_DIMENSION]: source,
              },
              statistic,
              period: Duration.hours(1),
              label: `${source}`,
            }),
        );
      rows.push([
        graph('Collected papers per source (per hour)', perSource(METRIC.collectorPapers, 'Sum'), {
          width: 12,
        }),
        graph(
          'Collector source failed (1 = a run got nothing)',
          perSource(METRIC.collectorSourceFailed, 'Maximum'),
          {
            width: 12,
          },
        ),
      ]);
    }

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: `Paperboy-${props.stage}`,
      defaultInterval: Duration.days(1),
      widgets: rows,
    });
  }
}
