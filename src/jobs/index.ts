/**
 * The job-runner data layer (`<pkg>/jobs`): row types and state machines, `BaseRepository`, the
 * domain repositories, `withTransaction`, `openJobStore` and `createDatabase`. The per-dialect
 * tables are in `tables/` and re-exported by the dialect entry points.
 */
export * from './rows.js'
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
export * from './ddl.js'
export * from './binding.js'
export * from './database-url.js'
export * from './env-file.js'
export * from './database.js'
