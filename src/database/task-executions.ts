/**
 * The task-executions storage on a database opened by `createDatabase`: the one place that picks
 * the dialect's table and storage factory from the opened driver, so the command line, the demo
 * and users with only a URL get the same storage a hand-written setup would.
 */
import type { SqlTaskExecutionsStorage, SqlTaskExecutionsStorageOptions } from '../common/storage.js'
import { createMySqlTaskExecutionsStorage, createMySqlTaskExecutionsTable, ensureMySqlTaskExecutionsTables, type AnyMySqlDatabase } from '../mysql.js'
import { createPgTaskExecutionsStorage, createPgTaskExecutionsTable, ensurePgTaskExecutionsTables, type AnyPgDatabase } from '../pg.js'
import {
  createSQLiteTaskExecutionsStorage,
  createSQLiteTaskExecutionsTable,
  ensureSQLiteTaskExecutionsTables,
  type AnySQLiteDatabase,
} from '../sqlite.js'
import type { JobDatabase } from './create-database.js'

/** Options of {@link openTaskExecutionsStorage}. */
export type OpenTaskExecutionsStorageOptions = SqlTaskExecutionsStorageOptions & {
  /** The table's name (default `task_executions`). */
  readonly tableName?: string
  /** Create the table and its indexes when missing (default `false`: use the shipped migrations). */
  readonly ensureTable?: boolean
}

/** A task-executions storage on any of the dialects `createDatabase` opens. */
export type AnySqlTaskExecutionsStorage =
  | SqlTaskExecutionsStorage<AnyPgDatabase>
  | SqlTaskExecutionsStorage<AnyMySqlDatabase>
  | SqlTaskExecutionsStorage<AnySQLiteDatabase>

/**
 * The task-executions storage on `database`'s connection (pass it to `new DurableExecutor`).
 * @param database - a handle from `createDatabase`; closing it closes the storage's connection.
 * @param options - table name, `ensureTable`, and the storage's own options.
 */
export async function openTaskExecutionsStorage(
  database: Pick<JobDatabase, 'db' | 'dialectName'>,
  options: OpenTaskExecutionsStorageOptions = {},
): Promise<AnySqlTaskExecutionsStorage> {
  const { tableName, ensureTable = false, ...storageOptions } = options
  switch (database.dialectName) {
    case 'PostgreSQL': {
      const db = database.db as AnyPgDatabase
      const table = createPgTaskExecutionsTable(tableName)
      if (ensureTable) await ensurePgTaskExecutionsTables(db, [table])
      return createPgTaskExecutionsStorage(db, table, storageOptions)
    }
    case 'MySQL': {
      const db = database.db as AnyMySqlDatabase
      const table = createMySqlTaskExecutionsTable(tableName)
      if (ensureTable) await ensureMySqlTaskExecutionsTables(db, [table])
      return createMySqlTaskExecutionsStorage(db, table, storageOptions)
    }
    case 'SQLite': {
      const db = database.db as AnySQLiteDatabase
      const table = createSQLiteTaskExecutionsTable(tableName)
      if (ensureTable) await ensureSQLiteTaskExecutionsTables(db, [table])
      return createSQLiteTaskExecutionsStorage(db, table, storageOptions)
    }
  }
}
