/**
 * MySQL 8 and MariaDB 10.6+ (mysql2 or any drizzle MySQL database): the driver's error codes, the
 * dialect's one seam object, the task-executions table and the job-runner binding. Logic lives in
 * `common/`, `sql/` and `jobs/`. No statement uses RETURNING, which MySQL 8 lacks.
 */
import { sql } from 'drizzle-orm'
import {
  bigint,
  boolean,
  getTableConfig,
  index,
  int,
  json,
  longtext,
  mysqlTable,
  uniqueIndex,
  varbinary,
  type MySqlDatabase,
  type MySqlInsertValue,
  type MySqlQueryResultHKT,
  type MySqlTable,
  type MySqlUpdateSetSource,
  type PreparedQueryHKTBase,
} from 'drizzle-orm/mysql-core'
import * as common from './common/index.js'
import { defineJobDialectBinding, type JobDialectBinding } from './jobs/binding.js'
import { createMySqlJobTables, type MySqlJobTables } from './jobs/tables/mysql.js'
import { readAffectedRowsCount } from './sql/affected-rows.js'
import { highestIdChangeSignal, type SqlDialect, type SqlRow } from './sql/dialect.js'
import { fastRendered } from './sql/fast-render.js'
import { executeOnMysql2Client } from './sql/mysql2-client.js'
import { readCommittedConfigFor } from './sql/session-isolation.js'
import { boundValue, insertEveryColumnStatement } from './sql/flat-statements.js'
import { selectLockedClaimCandidatesOnIndex, selectRowsWithBuilder } from './sql/select-builder.js'
import type { DatabaseErrorCodes } from './sql/errors.js'

/** Any drizzle MySQL database or transaction (mysql2, PlanetScale, …). */
export type AnyMySqlDatabase = MySqlDatabase<MySqlQueryResultHKT, PreparedQueryHKTBase, Record<string, unknown>>

/** mysql2 error codes (names and errno) per kind. */
const MYSQL_ERROR_CODES: DatabaseErrorCodes = {
  uniqueViolation: ['ER_DUP_ENTRY', 1062],
  // MySQL 8 reports a failed CHECK as 3819, MariaDB as 4025 (ER_CONSTRAINT_FAILED).
  checkViolation: ['ER_CHECK_CONSTRAINT_VIOLATED', 3819, 'ER_CONSTRAINT_FAILED', 4025],
  notNullViolation: ['ER_BAD_NULL_ERROR', 1048, 'ER_NO_DEFAULT_FOR_FIELD', 1364],
  foreignKeyViolation: ['ER_NO_REFERENCED_ROW_2', 1452, 'ER_ROW_IS_REFERENCED_2', 1451, 'ER_NO_REFERENCED_ROW', 1216, 'ER_ROW_IS_REFERENCED', 1217],
  conflict: ['ER_LOCK_DEADLOCK', 1213, 'ER_LOCK_WAIT_TIMEOUT', 1205],
  connectionLost: ['PROTOCOL_CONNECTION_LOST', 'PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR', 'ER_SERVER_SHUTDOWN', 2006, 2013],
  connectionLostMessages: [/connection is in closed state/i, /Connection lost/i],
  duplicateColumn: ['ER_DUP_FIELDNAME', 1060],
  missingIndex: ['ER_KEY_DOES_NOT_EXITS', 1176],
  duplicateIndex: ['ER_DUP_KEYNAME', 1061],
}

// The seam is only ever given tables of this dialect, so these narrowings are declarations.
const asMySqlTable = (table: unknown) => table as MySqlTable
const asValues = (rows: unknown) => rows as Array<MySqlInsertValue<MySqlTable>>
const asSet = (set: unknown) => set as MySqlUpdateSetSource<MySqlTable>
const readRows = (result: unknown) => (result as [Array<SqlRow>])[0]
const insertIdOf = (result: unknown) => Number((result as [{ insertId: number | string }])[0].insertId)

/**
 * The MySQL / MariaDB seam: this dialect's SQL for each intent, over any table. No RETURNING
 * (MySQL 8 lacks it): counts and ids come from the result header, where mysql2's FOUND_ROWS makes
 * `affectedRows` count matched rows.
 */
export const mySqlSqlDialect: SqlDialect<AnyMySqlDatabase> = {
  dialectName: 'MySQL',
  maxBoundParameters: 65_535,
  // mysql2 interpolates parameters into the text, which max_allowed_packet bounds (16 MiB on MariaDB).
  maxStatementBytes: 4 * 1024 * 1024,
  // The server's bound on one statement, escaped values included (read once per pool).
  packetLimitQuery: sql`select @@max_allowed_packet as bytes`,
  errorCodes: MYSQL_ERROR_CODES,
  ddl: { autoIncrementPrimaryKey: sql`bigint not null auto_increment primary key`, indexesInline: true },
  selectRows: async (db, table, q) => selectRowsWithBuilder(db, table, q),
  // On the claim's own index: the planner may pick another that walks (and locks) rows of other states.
  selectRowsToClaim: async (db, table, q) => selectLockedClaimCandidatesOnIndex(db, table, q),
  selectToClaimStatement: (db, table, q) => selectLockedClaimCandidatesOnIndex(db, table, q).getSQL(),
  insertRows: async (db, table, rows) => {
    await db.insert(asMySqlTable(table)).values(asValues(rows))
  },
  // `id = id` rather than INSERT IGNORE, which would also swallow foreign-key and data errors.
  insertRowsIgnoringDuplicates: async (db, table, rows, primaryKey) => {
    await db
      .insert(asMySqlTable(table))
      .values(asValues(rows))
      .onDuplicateKeyUpdate({ set: { [primaryKey.key]: sql`${primaryKey.column}` } })
  },
  insertEveryColumn: insertEveryColumnStatement,
  ignoreDuplicatesClause: (primaryKey) => sql` on duplicate key update ${sql.identifier(primaryKey.column.name)} = ${sql.identifier(primaryKey.column.name)}`,
  insertRowReturningId: async (db, table, row) => insertIdOf(await db.insert(asMySqlTable(table)).values(asValues(row))),
  updateRows: async (db, table, set, where) =>
    readAffectedRowsCount(await db.update(asMySqlTable(table)).set(asSet(set)).where(where)),
  deleteRows: async (db, table, where) => readAffectedRowsCount(await db.delete(asMySqlTable(table)).where(where)),
  // READ COMMITTED: no gap locks, so SKIP LOCKED claimers do not serialise on each other. Nested: a savepoint.
  // No SET statement before BEGIN on a pool whose sessions already default to it (createDatabase's).
  transaction: async (db, fn) => db.transaction(fn, readCommittedConfigFor(db)),
  // The session's own isolation level, saving the SET statement: an INSERT takes no gap locks but its
  // insert intention under every level. Not for UPDATEs: under REPEATABLE READ their index scans keep
  // next-key locks until COMMIT, blocking other sessions' inserts.
  writeTransaction: async (db, fn) => db.transaction(fn),
  executeStatement: async (db, statement) => {
    await executeOnMysql2Client(db, fastRendered(statement))
  },
  // On mysql2's client: its own parser reads every field, not drizzle's per-field callback.
  queryRows: async (db, statement) => readRows(await executeOnMysql2Client(db, fastRendered(statement))),
  // sysdate(3), not now(3): now() is frozen at the start of the statement's routine or trigger.
  currentTimeMs: sql`cast(unix_timestamp(sysdate(3)) * 1000 as double)`,
  // mysql2 interpolates values into the text: the server sees literals, whose type it knows.
  typedValue: (value, column) => [boundValue(value, column)],
  // No notifications in MySQL: the highest id grows with every enqueue.
  changeSignal: highestIdChangeSignal,
}

/** This dialect's job-runner tables. */
export * from './jobs/tables/mysql.js'

/** The MySQL / MariaDB job-runner binding for `openJobStore`. */
export const mySqlJobDialect: JobDialectBinding<AnyMySqlDatabase, MySqlJobTables> = defineJobDialectBinding(mySqlSqlDialect, createMySqlJobTables, getTableConfig)

// Each builder is called with its name only: passing drizzle's overloaded functions as they are
// would type the columns through their last overload (`any`).
const MYSQL_COLUMN_BUILDERS = {
  // Not `serial`: drizzle-kit renders it as `serial AUTO_INCREMENT`, which MariaDB rejects.
  primaryKey: (name: string) => bigint(name, { mode: 'number', unsigned: true }).autoincrement().primaryKey(),
  // Ids and statuses compare byte for byte, as on PostgreSQL and SQLite: a text column's collation
  // ignores case, accents or trailing spaces (even `utf8mb4_bin` pads on MariaDB 10.11), so they
  // are binary strings, which drizzle reads back as strings. Task ids may have 255 characters
  // (spec 3.7.2) of up to 4 bytes each.
  identifier: (name: string) => varbinary(name, { length: 1020 }),
  longText: (name: string) => longtext(name),
  state: (name: string) => varbinary(name, { length: 64 }),
  integer: (name: string) => int(name),
  milliseconds: (name: string) => bigint(name, { mode: 'number' }),
  flag: (name: string) => boolean(name),
  json: (name: string) => json(name),
}

/**
 * The MySQL / MariaDB task-executions table (spec 3.2, 3.3; id-like columns are `varchar(255)`).
 * @param tableName - letters, digits and underscores, at most 25 characters so index names fit
 *   MySQL's 64. Defaults to `task_executions`.
 */
export function createMySqlTaskExecutionsTable(tableName = 'task_executions') {
  const rules = { dialectName: 'MySQL', maxIdentifierLength: 64, allowsSchema: false }
  const { table } = common.parseTaskExecutionsTableName(tableName, rules)
  return mysqlTable(table, common.declareTaskExecutionsColumns(MYSQL_COLUMN_BUILDERS), (columns) =>
    common.declareTaskExecutionsIndexes(table, columns, { index, uniqueIndex }),
  )
}

/** A table made by {@link createMySqlTaskExecutionsTable}. */
export type TaskExecutionsMySqlTable = ReturnType<typeof createMySqlTaskExecutionsTable>

/** The seam bound to one task-executions table, reading UPDATE counts with the user's extractor. */
function mySqlDialect(
  table: TaskExecutionsMySqlTable,
  affectedRowsCount: common.AffectedRowsCountExtractor,
): common.TaskExecutionsDialect<AnyMySqlDatabase> {
  return common.bindTaskExecutionsDialect(table, mySqlSqlDialect, {
    capabilities: { updateReturning: false, oneOperationAtATime: false, claimOrderInOneStatement: false },
    ddl: { idColumnDefinition: sql`bigint unsigned not null auto_increment primary key`, partialIndexes: false, beforeCreateTable: [] },
    typedValue: (value, column) => [boundValue(value, column)],
    affectedRowsCount,
  })
}

/**
 * Creates the tables with their indexes when missing (idempotent; an existing table is left as
 * is). Call it as `(db, tables)`.
 */
export const ensureMySqlTaskExecutionsTables: common.TaskExecutionsTablesEnsurer<AnyMySqlDatabase, TaskExecutionsMySqlTable> =
  common.defineTablesEnsurer((table) => mySqlDialect(table, readAffectedRowsCount))

/**
 * The MySQL / MariaDB storage: batched reads and merged writes as real multi-row SQL.
 * @param db - a drizzle MySQL database (mysql2 pool, …).
 * @param table - the table from {@link createMySqlTaskExecutionsTable}.
 * @param getAffectedRowsCount - upstream's positional extractor of the UPDATE count, or the options
 *   object; mysql2 and `{ rowsAffected }` results are understood without it. The count must be of
 *   matched rows (mysql2's default FOUND_ROWS), not changed rows.
 * @param options - `enableTestMode` lets the delete helpers delete.
 */
export function createMySqlTaskExecutionsStorage(
  db: AnyMySqlDatabase,
  table: TaskExecutionsMySqlTable,
  getAffectedRowsCount?: common.AffectedRowsCountExtractor | common.MySqlTaskExecutionsStorageOptions,
  options?: common.SqlTaskExecutionsStorageOptions,
): common.SqlTaskExecutionsStorage<AnyMySqlDatabase> {
  const resolved = common.resolveMySqlStorageArguments(getAffectedRowsCount, options)
  return new common.SqlTaskExecutionsStorage(db, mySqlDialect(table, resolved.getAffectedRowsCount), resolved)
}
