import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IConfigurationSet } from 'aws-cdk-lib/aws-ses';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

/** SES pauses accounts past 5% bounces or 0.1% complaints; these warn well before. */
export const REPUTATION_THRESHOLDS = { BounceRate: 0.04, ComplaintRate: 0.0008 } as const;

/**
 * Where alarms go (an SNS topic, emailed to the operator when an address is configured), and
 * the alarms that watch the functions and the sender's reputation. Other capabilities add
 * their own alarms on this topic (their dead-letter queues).
 */
export class Alarms extends Construct {
  readonly topic: Topic;

  constructor(scope: Construct, id: string, props: { alarmEmail?: string }) {
    super(scope, id);
    this.topic = new Topic(this, 'Topic', { enforceSSL: true, displayName: 'Paperboy alarms' });
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));
  }

  /** Alarms on any error or throttle of a function within five minutes. */
  watchFunction(name: string, fn: IFunction): void {
    const metrics = { Errors: fn.metricErrors(), Throttles: fn.metricThrottles() };
    for (const [what, metric] of Object.entries(metrics)) {
      new Alarm(this, `${name}${what}`, {
        alarmDescription: `The ${name} function reported ${what.toLowerCase()}`,
        metric: metric.with({ period: Duration.minutes(5) }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }).addAlarmAction(new SnsAction(this.topic));
    }
  }

  /** Alarms on the SES reputation metrics of the configuration set. */
  watchReputation(configurationSet: IConfigurationSet): void {
    for (const [metricName, threshold] of Object.entries(REPUTATION_THRESHOLDS)) {
      new Alarm(this, `Ses${metricName}`, {
        alarmDescription: `SES reputation ${metricName} is near the level at which SES pauses sending`,
        metric: new Metric({
          namespace: 'AWS/SES',
          metricName: `Reputation.${metricName}`,
          dimensionsMap: { 'ses:configuration-set': configurationSet.configurationSetName },
          period: Duration.hours(1),
          statistic: 'Maximum',
        }),
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }).addAlarmAction(new SnsAction(this.topic));
    }
  }
}
