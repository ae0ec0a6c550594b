/**
 * SQLite (better-sqlite3, libsql or any drizzle SQLite database): the driver's error codes, the
 * dialect's seam objects (one per driver kind), the task-executions table and the job-runner
 * bindings. Logic lives in `common/`, `sql/` and `jobs/`.
 */
import { sql, type SQL } from 'drizzle-orm'
import {
  getTableConfig,
  index,
  integer,
  sqliteTable,
  text,
  uniqueIndex,
  type BaseSQLiteDatabase,
  type SQLiteColumn,
  type SQLiteInsertValue,
  type SQLiteTable,
  type SQLiteUpdateSetSource,
} from 'drizzle-orm/sqlite-core'
import * as common from './common/index.js'
import { defineJobDialectBinding, type JobDialectBinding } from './jobs/binding.js'
import { createSQLiteJobTables, type SQLiteJobTables } from './jobs/tables/sqlite.js'
import { highestIdChangeSignal, type SqlDialect, type SqlRow } from './sql/dialect.js'
import { sqliteDatabaseFile } from './sql/database-file.js'
import { fastRendered } from './sql/fast-render.js'
import { boundValue, insertEveryColumnStatement } from './sql/flat-statements.js'
import { selectClaimCandidates, selectRowsWithBuilder } from './sql/select-builder.js'
import type { DatabaseErrorCodes } from './sql/errors.js'
import { runQueuedDriverTransaction, runSerialised, runSerialisedTransaction } from './sql/serialised-connection.js'

/** Any drizzle SQLite database, synchronous (better-sqlite3) or asynchronous (libsql). */
export type AnySQLiteDatabase = BaseSQLiteDatabase<'sync' | 'async', unknown, Record<string, unknown>>

/** better-sqlite3 and libsql error codes per kind (libsql puts the extended code on `extendedCode`). */
const SQLITE_ERROR_CODES: DatabaseErrorCodes = {
  uniqueViolation: ['SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_CONSTRAINT_PRIMARYKEY'],
  checkViolation: ['SQLITE_CONSTRAINT_CHECK'],
  notNullViolation: ['SQLITE_CONSTRAINT_NOTNULL'],
  foreignKeyViolation: ['SQLITE_CONSTRAINT_FOREIGNKEY'],
  conflict: ['SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_BUSY_RECOVERY', 'SQLITE_LOCKED'],
  connectionLost: ['SQLITE_CANTOPEN', 'SQLITE_IOERR'],
  connectionLostMessages: [/database connection is not open/i],
  duplicateColumn: [/duplicate column name/i],
}

// The seam is only ever given tables of this dialect, so these narrowings are declarations.
const asSQLiteTable = (table: unknown) => table as SQLiteTable
const asValues = (rows: unknown) => rows as Array<SQLiteInsertValue<SQLiteTable>>
const asSet = (set: unknown) => set as SQLiteUpdateSetSource<SQLiteTable>
const asFields = (fields: unknown) => fields as Record<string, SQLiteColumn>
const ONE: SQL<number> = sql<number>`1`
const runStatement = (db: AnySQLiteDatabase, statement: SQL) => Promise.resolve(db.run(statement))

/**
 * The SQLite seam: this dialect's SQL for each intent, over any table. One connection per handle:
 * statements wait for an open transaction of another caller (`sql/serialised-connection.ts`), and
 * an immediate transaction stands in for row locks.
 */
export const sqliteSqlDialect: SqlDialect<AnySQLiteDatabase> = {
  dialectName: 'SQLite',
  maxBoundParameters: 32_766,
  maxStatementBytes: 256 * 1024 * 1024,
  // In-process: no packet limit to read.
  packetLimitQuery: undefined,
  errorCodes: SQLITE_ERROR_CODES,
  ddl: { autoIncrementPrimaryKey: sql`integer primary key autoincrement`, indexesInline: false },
  selectRows: (db, table, q) => runSerialised(db, async (db) => selectRowsWithBuilder(db, table, q)),
  // No row locks in SQLite: the claim's immediate transaction already holds the write lock.
  selectRowsToClaim: (db, table, q) => runSerialised(db, async (db) => selectClaimCandidates(db, table, q)),
  // Inside the UPDATE that uses it, the statement's own write lock excludes other writers.
  claimCandidates: (db, table, q) => selectClaimCandidates(db, table, q),
  insertRows: (db, table, rows) =>
    runSerialised(db, async (db) => {
      await db.insert(asSQLiteTable(table)).values(asValues(rows))
    }),
  insertRowsIgnoringDuplicates: (db, table, rows) =>
    runSerialised(db, async (db) => {
      await db.insert(asSQLiteTable(table)).values(asValues(rows)).onConflictDoNothing()
    }),
  insertEveryColumn: insertEveryColumnStatement,
  ignoreDuplicatesClause: () => sql` on conflict do nothing`,
  insertRowReturningId: (db, table, row, primaryKey) =>
    runSerialised(db, async (db) =>
      Number((await db.insert(asSQLiteTable(table)).values(asValues(row)).returning({ id: sql<number>`${primaryKey.column}` }))[0]?.id),
    ),
  updateRows: (db, table, set, where) =>
    runSerialised(db, async (db) =>
      (await db.update(asSQLiteTable(table)).set(asSet(set)).where(where).returning({ one: ONE })).length,
    ),
  updateRowsReturning: (db, table, set, where, fields) =>
    runSerialised(db, async (db) => db.update(asSQLiteTable(table)).set(asSet(set)).where(where).returning(asFields(fields))),
  insertRowReturning: (db, table, row) =>
    runSerialised(db, async (db) => (await db.insert(asSQLiteTable(table)).values(asValues(row)).returning())[0]!),
  deleteRows: (db, table, where) =>
    runSerialised(db, async (db) => (await db.delete(asSQLiteTable(table)).where(where).returning({ one: ONE })).length),
  transaction: (db, fn) => runSerialisedTransaction(db, fn, runStatement),
  executeStatement: (db, statement) =>
    runSerialised(db, async (db) => {
      await db.run(fastRendered(statement))
    }),
  queryRows: (db, statement) => runSerialised(db, async (db) => db.all<SqlRow>(fastRendered(statement))),
  currentTimeMs: sql`cast((julianday('now') - 2440587.5) * 86400000.0 as real)`,
  // SQLite's values carry their own type: no cast needed anywhere.
  typedValue: (value, column) => [boundValue(value, column)],
  // Changes whenever another connection commits, read only after a watched write to the file.
  changeSignal: { kind: 'poll', versionQuery: () => sql`pragma data_version`, watchedFile: sqliteDatabaseFile },
}

/**
 * The seam on asynchronous SQLite drivers whose client pools connections (libsql): the driver's
 * own immediate transactions, queued per handle; everything else as {@link sqliteSqlDialect}.
 */
export const asyncSqliteSqlDialect: SqlDialect<AnySQLiteDatabase> = {
  ...sqliteSqlDialect,
  // libsql may answer on another connection each time, whose data_version is its own: the highest id instead.
  changeSignal: highestIdChangeSignal,
  transaction: (db, fn) => runQueuedDriverTransaction(db, fn, async (db, fn) => await db.transaction(fn, { behavior: 'immediate' })),
}

/** This dialect's job-runner tables. */
export * from './jobs/tables/sqlite.js'

/** The SQLite job-runner binding for `openJobStore` (better-sqlite3). */
export const sqliteJobDialect: JobDialectBinding<AnySQLiteDatabase, SQLiteJobTables> = defineJobDialectBinding(sqliteSqlDialect, createSQLiteJobTables, getTableConfig)

/** The binding for asynchronous SQLite drivers that pool connections (libsql). */
export const asyncSqliteJobDialect: JobDialectBinding<AnySQLiteDatabase, SQLiteJobTables> = {
  ...sqliteJobDialect,
  sqlDialect: asyncSqliteSqlDialect,
}

// Each builder is called with its name only: passing drizzle's overloaded functions as they are
// would type the columns through their last overload (`any`).
const SQLITE_COLUMN_BUILDERS = {
  primaryKey: (name: string) => integer(name).primaryKey({ autoIncrement: true }),
  identifier: (name: string) => text(name),
  longText: (name: string) => text(name),
  state: (name: string) => text(name),
  integer: (name: string) => integer(name),
  milliseconds: (name: string) => integer(name),
  flag: (name: string) => integer(name, { mode: 'boolean' }),
  json: (name: string) => text(name, { mode: 'json' }),
}

/**
 * The SQLite task-executions table (spec 3.2, 3.3; booleans as integers, JSON as text).
 * @param tableName - letters, digits and underscores, at most 25 characters (MySQL's limit, so a
 *   schema moves between dialects). Defaults to `task_executions`.
 */
export function createSQLiteTaskExecutionsTable(tableName = 'task_executions') {
  const { table } = common.parseTaskExecutionsTableName(tableName, {
    dialectName: 'SQLite',
    maxIdentifierLength: 64,
    allowsSchema: false,
    reservedTablePrefix: 'sqlite_',
  })
  return sqliteTable(table, common.declareTaskExecutionsColumns(SQLITE_COLUMN_BUILDERS), (columns) =>
    common.declareTaskExecutionsIndexes(table, columns, { index, uniqueIndex }),
  )
}

/** A table made by {@link createSQLiteTaskExecutionsTable}. */
export type TaskExecutionsSQLiteTable = ReturnType<typeof createSQLiteTaskExecutionsTable>

/**
 * Drizzle keeps the driver kind in a field its types call private, so it is read without them:
 * libsql (async) pools connections and needs its own transactions; better-sqlite3 (sync) takes
 * explicit ones.
 */
const seamForDriverOf = (db: AnySQLiteDatabase) =>
  (db as unknown as { resultKind?: unknown }).resultKind === 'async' ? asyncSqliteSqlDialect : sqliteSqlDialect

/** The seam bound to one task-executions table; one operation at a time per database handle. */
function sqliteDialect(table: TaskExecutionsSQLiteTable): common.TaskExecutionsDialect<AnySQLiteDatabase> {
  return common.bindTaskExecutionsDialect(table, sqliteSqlDialect, {
    capabilities: { updateReturning: true, oneOperationAtATime: true, claimOrderInOneStatement: false },
    ddl: { idColumnDefinition: sql`integer primary key autoincrement`, partialIndexes: false, beforeCreateTable: [] },
    typedValue: (value, column) => [boundValue(value, column)],
    transaction: (db, fn) => seamForDriverOf(db).transaction(db, fn),
    changeSignal: (db) => seamForDriverOf(db).changeSignal,
  })
}

/** Creates the tables and their indexes when missing (idempotent). Call it as `(db, tables)`. */
export const ensureSQLiteTaskExecutionsTables: common.TaskExecutionsTablesEnsurer<AnySQLiteDatabase, TaskExecutionsSQLiteTable> =
  common.defineTablesEnsurer(sqliteDialect)

/**
 * The SQLite storage, `(db, table, options?)`: batched reads and merged writes as real multi-row
 * SQL, one operation at a time per database handle (use WAL mode for file databases). `db` is
 * a drizzle SQLite database (better-sqlite3 or libsql); `table` comes from {@link createSQLiteTaskExecutionsTable};
 * `options.enableTestMode` lets the delete helpers delete.
 */
export const createSQLiteTaskExecutionsStorage: common.TaskExecutionsStorageFactory<AnySQLiteDatabase, TaskExecutionsSQLiteTable> =
  common.defineStorageFactory(sqliteDialect)
