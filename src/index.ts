/**
 * `durable-execution-drizzle`: every public API of the package — the durable-execution core, the
 * three dialects' tables and storages, and the job-runner layer. The testing suites live in
 * `durable-execution-drizzle/testing` because they import vitest. No driver is loaded here.
 */
export * from './core/index.js'
export * from './pg.js'
export * from './mysql.js'
export * from './sqlite.js'
export * from './jobs-entry.js'

// Types and classes the dialect entry points return or take, so that users can name them.
export { SqlTaskExecutionsStorage } from './common/storage.js'
export type { SqlTaskExecutionsStorageOptions } from './common/storage.js'
export type { TaskExecutionsStorageFactory, TaskExecutionsTablesEnsurer } from './common/factories.js'
export type { MySqlTaskExecutionsStorageOptions } from './common/affected-rows.js'
export * from './sql/index.js'
export { TaskExecutionsTableMissingError, howToCreateTaskExecutionsTable } from './common/table-check.js'
export type { InspectTaskExecutionsOptions, TaskExecutionOverviewEntry, TaskExecutionsOverview } from './common/overview.js'
