import { Duration } from 'aws-cdk-lib';
import { Metric } from 'aws-cdk-lib/aws-cloudwatch';
import { METRICS_NAMESPACE, type MetricName, type ServiceName } from '../../functions/shared/metric-names.ts';

/**
 * One of Paperboy's own metrics as the functions emit it (functions/shared/metric-names.ts): the
 * namespace, and exactly the dimensions they put on it (`service`, `stage`). An alarm whose
 * dimensions differ by one key would watch a metric nobody writes, and never go off.
 */
export function paperboyMetric(
  stage: string,
  service: ServiceName,
  metricName: MetricName,
  options: { statistic?: string; period?: Duration; label?: string } = {},
): Metric {
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { service, stage },
    statistic: options.statistic ?? 'Sum',
    period: options.period ?? Duration.minutes(5),
    ...(options.label ? { label: options.label } : {}),
  });
}
