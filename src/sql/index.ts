/**
 * The dialect-neutral pieces of the generic, table-agnostic seam: the `SqlDialect` type (each
 * dialect's seam object lives in `pg.ts`, `mysql.ts`, `sqlite.ts`), error classification, chunked
 * inserts, primary keys, the serialised one-connection SQLite helpers and the session.
 */
export * from './dialect.js'
export * from './errors.js'
export * from './driver-errors.js'
export * from './notifications.js'
export * from './chunks.js'
export * from './affected-rows.js'
export * from './select-builder.js'
export * from './insert.js'
export * from './primary-key.js'
export * from './serialised-connection.js'
export * from './session.js'
export * from './batched-delete.js'
