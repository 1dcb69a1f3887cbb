import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  type IMetric,
  MathExpression,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IConfigurationSet } from 'aws-cdk-lib/aws-ses';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import {
  METRIC,
  METRICS_NAMESPACE,
  SERVICES,
  SOURCE_DIMENSION,
} from '../../functions/shared/metric-names.ts';
import { paperboyMetric } from './metrics.ts';

/**
 * Bounce and complaint rates (as fractions) above which the operator is called: the levels
 * Gmail and Yahoo's bulk-sender rules and SES's own guidance treat as the edge of good standing
 * (SES reviews an account at 5% bounces or 0.1% complaints, and may pause it past 10% or 0.5%).
 */
export const REPUTATION_THRESHOLDS = { BounceRate: 0.02, ComplaintRate: 0.0005 } as const;

/**
 * Hours without an email sent (or a quiet day recorded) before "no edition sent" goes off: a
 * day, plus two hours of grace for a slow or late run.
 */
export const EDITION_LATE_HOURS = 26;

/**
 * Where alarms go (an SNS topic, emailed to the operator), and the alarms that watch the
 * functions, the sender's reputation, the daily edition and ingestion. Other capabilities add
 * their own alarms on this topic (their dead-letter queues, hanging deliveries, SES stops).
 */
export class Alarms extends Construct {
  readonly topic: Topic;
  private readonly stage: string;

  constructor(scope: Construct, id: string, props: { alarmEmail: string; stage: string }) {
    super(scope, id);
    this.stage = props.stage;
    this.topic = new Topic(this, 'Topic', { enforceSSL: true, displayName: 'Paperboy alarms' });
    this.topic.addSubscription(new EmailSubscription(props.alarmEmail));
  }

  /** Alarms on any error or throttle of a function within five minutes. */
  watchFunction(name: string, fn: IFunction): void {
    const metrics = { Errors: fn.metricErrors(), Throttles: fn.metricThrottles() };
    for (const [what, metric] of Object.entries(metrics)) {
      this.alarm(`${name}${what}`, {
        description: `The ${name} function reported ${what.toLowerCase()} (docs/operations.md, "Alarms").`,
        metric: metric.with({ period: Duration.minutes(5), statistic: 'Sum' }),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
    }
  }

  /**
   * Alarms on the SES reputation metrics: the account's (what SES acts on) and the
   * configuration set's (Paperboy's own mail; it publishes them because `reputationMetrics` is
   * on). No mail sent means no data, which is not a problem.
   */
  watchReputation(configurationSet: IConfigurationSet): void {
    for (const [rate, threshold] of Object.entries(REPUTATION_THRESHOLDS)) {
      const scopes = {
        Account: {},
        ConfigurationSet: { 'ses:configuration-set': configurationSet.configurationSetName },
      };
      for (const [scope, dimensionsMap] of Object.entries(scopes)) {
        this.alarm(`Ses${rate}${scope === 'Account' ? 'Account' : ''}`, {
          description:
            `SES ${rate === 'BounceRate' ? 'bounce' : 'complaint'} rate (${scope === 'Account' ? 'the whole account' : "Paperboy's configuration set"}) ` +
            `is over ${threshold * 100}%: find the cause before SES reviews the account (docs/operations.md, "Alarms").`,
          metric: new Metric({
            namespace: 'AWS/SES',
            metricName: `Reputation.${rate}`,
            dimensionsMap,
            period: Duration.hours(1),
            statistic: 'Maximum',
          }),
          threshold,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        });
      }
    }
  }

  /**
   * "No edition sent by the expected hour": goes off after {@link EDITION_LATE_HOURS} hours in
   * a row in which the send function sent no email and the rank function recorded no quiet day.
   * Missing data is breaching: a stage that sends nothing at all, or whose functions never run,
   * must not look healthy. With a daily send at `sendAt`, that is about two hours after the
   * missed send, whatever the time zone (the window slides, it is not tied to a clock hour).
   */
  watchEditionSent(sendAt: string, timeZone: string): Alarm {
    const hour = Duration.hours(1);
    return this.alarm('NoEditionSent', {
      description:
        `No email sent and no quiet day in ${EDITION_LATE_HOURS} hours: today's edition (due ${sendAt} ${timeZone}) ` +
        'was not sent. See docs/operations.md, "No edition sent".',
      metric: new MathExpression({
        expression: 'FILL(sent, 0) + FILL(skipped, 0)',
        usingMetrics: {
          sent: paperboyMetric(this.stage, SERVICES.send, METRIC.emailsSent, { period: hour }),
          skipped: paperboyMetric(this.stage, SERVICES.rank, METRIC.editionsSkipped, { period: hour }),
        },
        period: hour,
        label: 'emails sent + quiet days, per hour',
      }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: EDITION_LATE_HOURS,
      treatMissingData: TreatMissingData.BREACHING,
    });
  }

  /** Any file quarantined by ingestion (unreadable, too large, cut short) within five minutes. */
  watchQuarantines(): Alarm {
    return this.alarm('FilesQuarantined', {
      description:
        'An ingested file was quarantined: its report is beside it under quarantine/ (docs/operations.md, "Alarms").',
      metric: paperboyMetric(this.stage, SERVICES.ingest, METRIC.filesQuarantined),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }

  /**
   * A collector source that failed every run for a day: the collector emits `CollectorSourceFailed`
   * (1 when a source gave no usable answer in a run, else 0) per run with a `Source` dimension;
   * its minimum over 24 hours is 1 only when no run of the day got through. A day without any
   * run is not this alarm's to call (the function's errors and its schedule's dead letters are).
   */
  watchCollectorSources(sources: readonly string[]): Alarm[] {
    return sources.map((source) =>
      this.alarm(`CollectorSourceFailed-${source}`, {
        description:
          `The collector got nothing usable from ${source} for a day: its runs are recorded in the table ` +
          '(docs/operations.md, "Alarms").',
        metric: new Metric({
          namespace: METRICS_NAMESPACE,
          metricName: METRIC.collectorSourceFailed,
          dimensionsMap: {
            service: SERVICES.collect,
            stage: this.stage,
            [SOURCE_DIMENSION]: source,
          },
          statistic: 'Minimum',
          period: Duration.days(1),
        }),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    );
  }

  /** One alarm on the operator topic. */
  alarm(
    id: string,
    props: {
      description: string;
      metric: IMetric;
      threshold: number;
      comparisonOperator: ComparisonOperator;
      treatMissingData: TreatMissingData;
      evaluationPeriods?: number;
    },
  ): Alarm {
    const alarm = new Alarm(this, id, {
      alarmDescription: props.description,
      metric: props.metric,
      threshold: props.threshold,
      evaluationPeriods: props.evaluationPeriods ?? 1,
      comparisonOperator: props.comparisonOperator,
      treatMissingData: props.treatMissingData,
    });
    alarm.addAlarmAction(new SnsAction(this.topic));
    return alarm;
  }
}
