/**
 * The job-runner data layer: row types and state machines, `BaseRepository`, the domain
 * repositories, their errors, `withTransaction` and `openJobStore`. The per-dialect tables are in
 * `tables/` and re-exported by the dialect entry points. `createDatabase` lives above the dialects
 * in `src/database`; the `/jobs` subpath (`src/jobs-entry.ts`) publishes both.
 */
export * from './rows.js'
export { InvalidJobFilterError, InvalidJobOptionError, InvalidJobValueError, JobInputError, TransactionConflictError } from './errors.js'
export { MAX_LABEL_LENGTH, MAX_PAYLOAD_DEPTH } from './column-values.js'
export * from './state-machines.js'
export * from './names.js'
export * from './filters.js'
export * from './insert-types.js'
export * from './job-tables.js'
export * from './base-repository.js'
export * from './stateful-repository.js'
export * from './repositories/workflows.js'
export * from './repositories/workflow-steps.js'
export * from './repositories/history-and-timers.js'
export * from './repositories/batches.js'
export * from './repositories/batch-rows.js'
export * from './repositories/attempts-and-keys.js'
export * from './store.js'
export { type TransactionRetryOptions } from './transactions.js'
export * from './ddl.js'
export * from './binding.js'
export * from './maintenance.js'
