/**
 * Dialect-neutral SQL code (design.md): the task-executions storage written once over a dialect's
 * generic seam (`sql/dialect.ts`) bound to its table, and the table's declarations. The
 * table-agnostic helpers (error classification, chunks, affected rows) live in `sql/` and are
 * re-exported here. Nothing here may import `drizzle-orm/pg-core`, `mysql-core` or `sqlite-core`.
 */
export * from './columns.js'
export * from './table-name.js'
export * from './row-mapping.js'
export * from './conditions.js'
export * from '../sql/chunks.js'
export * from '../sql/errors.js'
export * from './dialect.js'
export * from './merged-update.js'
export * from './insert.js'
export * from './storage.js'
export * from './ddl.js'
export * from '../sql/affected-rows.js'
export * from './affected-rows.js'
export * from './column-declarations.js'
export * from './query-primitives.js'
export * from './factories.js'
export * from './claims.js'
export * from './table-check.js'
export * from './retention.js'
export * from './overview.js'
