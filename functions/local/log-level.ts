/**
 * Imported first by the local entry points: handler loggers read their level when their module
 * loads, so the level is settled before any handler is imported. Warnings and errors always
 * show; `--verbose` (or POWERTOOLS_LOG_LEVEL) brings back the handlers' INFO lines.
 */
process.env.POWERTOOLS_LOG_LEVEL ??= process.argv.includes('--verbose') ? 'INFO' : 'WARN';
