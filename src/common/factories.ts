/**
 * The public functions each dialect exports, made once from its dialect-for-a-table function, so
 * the dialect files stay declarations.
 */
import type { TaskExecutionsDialect } from './dialect.js'
import { ensureTaskExecutionsTables } from './ddl.js'
import { SqlTaskExecutionsStorage, type SqlTaskExecutionsStorageOptions } from './storage.js'

/** A dialect bound to one of its tables. */
export type DialectForTable<TDb, TTable> = (table: TTable) => TaskExecutionsDialect<TDb>

/** A storage over one table of a dialect: `(db, table, options?)`. */
export type TaskExecutionsStorageFactory<TDb, TTable> = (
  db: TDb,
  table: TTable,
  options?: SqlTaskExecutionsStorageOptions,
) => SqlTaskExecutionsStorage<TDb>

/** Creates tables and their indexes when missing, idempotently: `(db, tables)`. */
export type TaskExecutionsTablesEnsurer<TDb, TTable> = (db: TDb, tables: ReadonlyArray<TTable>) => Promise<void>

/** The `create…TaskExecutionsStorage` function of a dialect. */
export function defineStorageFactory<TDb, TTable>(
  dialectFor: DialectForTable<TDb, TTable>,
): TaskExecutionsStorageFactory<TDb, TTable> {
  return (db, table, options) => new SqlTaskExecutionsStorage(db, dialectFor(table), options)
}

/** The `ensure…TaskExecutionsTables` function of a dialect. */
export function defineTablesEnsurer<TDb, TTable>(
  dialectFor: DialectForTable<TDb, TTable>,
): TaskExecutionsTablesEnsurer<TDb, TTable> {
  return async (db, tables) => ensureTaskExecutionsTables(db, tables.map((table) => dialectFor(table)))
}
