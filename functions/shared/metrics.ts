import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Counters } from '../core/ports.ts';
import { METRICS_NAMESPACE, type ServiceName } from './metric-names.ts';

export {
  METRIC,
  METRICS_NAMESPACE,
  type MetricName,
  SERVICES,
  type ServiceName,
} from './metric-names.ts';

/**
 * A function's metrics: namespace Paperboy, dimensions `service` and `stage`. Emitted as EMF
 * lines on stdout (CloudWatch turns them into metrics; no API call, no added latency), flushed
 * once per invocation by `withLambdaContext`. Locally POWERTOOLS_METRICS_DISABLED keeps them off
 * the console unless `--verbose` (functions/local/log-level.ts).
 */
export function createMetrics(service: ServiceName, stage: string): Metrics {
  return new Metrics({ namespace: METRICS_NAMESPACE, serviceName: service, defaultDimensions: { stage } });
}

/** The core's `Counters` port over Powertools metrics. */
export function countersOf(metrics: Metrics): Counters {
  return { count: (name, value = 1) => metrics.addMetric(name, MetricUnit.Count, value) };
}

/** Publishes what the invocation counted; nothing (and no warning) when it counted nothing. */
export function flushMetrics(metrics: Metrics): void {
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
}
