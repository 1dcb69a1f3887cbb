/**
 * Imported first by the local entry points: handler loggers read their level when their module
 * loads, so the level is settled before any handler is imported. Warnings and errors always
 * show; `--verbose` (or POWERTOOLS_LOG_LEVEL) brings back the handlers' INFO lines and metrics.
 */
const verbose = process.argv.includes('--verbose');
// `paperboy dlq redrive` reports each letter that fails again, with its reason, in one line:
// the handlers' JSON error lines (with their stacks) would only repeat it, so only --verbose shows them.
const reportsFailuresItself = process.argv[2] === 'dlq';
process.env.POWERTOOLS_LOG_LEVEL ??= verbose ? 'INFO' : reportsFailuresItself ? 'SILENT' : 'WARN';
// CloudWatch metrics (EMF lines on stdout) mean nothing locally unless asked for.
process.env.POWERTOOLS_METRICS_DISABLED ??= verbose ? 'false' : 'true';
