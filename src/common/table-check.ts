/**
 * The task-executions table's readiness check (`checkReady`, run by `DurableExecutor.start()`):
 * one SELECT of every expected column on the happy path; on failure, a column-by-column probe
 * that names what is missing. Dialect-neutral: it only selects, and reads no catalog.
 */
import { getTableColumns, sql, type Column } from 'drizzle-orm'
import { DurableExecutionError } from '../core/errors.js'
import { classifyDatabaseError, toStorageError } from '../sql/errors.js'
import type { TaskExecutionsDialect } from './dialect.js'

/** Per dialect: the shipped migrations' folder key and the runtime DDL function, named in the fix. */
const HOW_TO_CREATE: Readonly<Record<string, { folder: string; ensure: string }>> = {
  PostgreSQL: { folder: 'pg', ensure: 'ensurePgTaskExecutionsTables' },
  MySQL: { folder: 'mysql', ensure: 'ensureMySqlTaskExecutionsTables' },
  SQLite: { folder: 'sqlite', ensure: 'ensureSQLiteTaskExecutionsTables' },
}

/** How to create a task-executions table on a dialect, as a sentence for error messages. */
export function howToCreateTaskExecutionsTable(dialectName: string, tableName: string): string {
  const known = HOW_TO_CREATE[dialectName] ?? { folder: '<dialect>', ensure: 'ensure…TaskExecutionsTables' }
  const tableOption = tableName === 'task_executions' ? '' : ` --table ${tableName}`
  return (
    `create it with \`npx durable-execution-drizzle migrate --url <url>${tableOption}\`, ` +
    `the shipped migrations in taskExecutionsMigrationsFolder('${known.folder}') (default table name only), ` +
    `or ${known.ensure}(db, [table]) (pick one of them).`
  )
}

/**
 * The task-executions table is missing or lacks columns: the storage cannot work until it is
 * created or migrated. Not retryable.
 */
export class TaskExecutionsTableMissingError extends DurableExecutionError {
  /** The table's name. */
  readonly tableName: string
  /** The database names of the missing columns; empty when the whole table is missing. */
  readonly missingColumns: ReadonlyArray<string>

  /**
   * @param dialectName - `PostgreSQL`, `MySQL` or `SQLite`.
   * @param tableName - the table's name.
   * @param missingColumns - the missing columns' names, or none when the table is missing.
   */
  constructor(dialectName: string, tableName: string, missingColumns: ReadonlyArray<string>) {
    const what =
      missingColumns.length === 0
        ? `The task-executions table ${tableName} does not exist on this ${dialectName} database`
        : `The task-executions table ${tableName} lacks the columns ${missingColumns.join(', ')} (an older release's table)`
    super(`${what}: ${howToCreateTaskExecutionsTable(dialectName, tableName)}`, { isRetryable: false, isInternal: false })
    this.tableName = tableName
    this.missingColumns = missingColumns
  }
}

/** Runs `select <columns> from table where 1 = 0`; resolves to the error, or `undefined` when it ran. */
async function probe<TDb>(db: TDb, dialect: TaskExecutionsDialect<TDb>, columns: ReadonlyArray<Column>): Promise<unknown> {
  const list = columns.length === 0 ? sql`1` : sql.join(columns.map((column) => sql.identifier(column.name)), sql`, `)
  try {
    // Reads no row: only whether the table and these columns exist.
    await dialect.executeStatement(db, sql`select ${list} from ${dialect.table} where 1 = 0`)
    return undefined
  } catch (error) {
    return error
  }
}

/**
 * Checks that the dialect's table exists with every expected column.
 * @throws TaskExecutionsTableMissingError naming the table, the missing columns and how to create them;
 *   a storage error (retryable) when the database cannot be reached.
 */
export async function checkTaskExecutionsTable<TDb>(db: TDb, dialect: TaskExecutionsDialect<TDb>): Promise<void> {
  const columns = Object.values(getTableColumns(dialect.table))
  const failure = await probe(db, dialect, columns)
  if (failure === undefined) return
  const unreachable = (error: unknown) => classifyDatabaseError(error, dialect.errorCodes) === 'connection_lost'
  const context = { dialectName: dialect.dialectName, tableName: dialect.tableName, operation: 'checkReady' }
  if (unreachable(failure)) throw toStorageError(failure, dialect.errorCodes, context)
  const tableFailure = await probe(db, dialect, [])
  if (tableFailure !== undefined) {
    if (unreachable(tableFailure)) throw toStorageError(tableFailure, dialect.errorCodes, context)
    throw new TaskExecutionsTableMissingError(dialect.dialectName, dialect.tableName, [])
  }
  const missing: Array<string> = []
  for (const column of columns) {
    if ((await probe(db, dialect, [column])) !== undefined) missing.push(column.name)
  }
  // Every column exists one by one, so the first failure was something else: report it as it was.
  if (missing.length === 0) throw toStorageError(failure, dialect.errorCodes, context)
  throw new TaskExecutionsTableMissingError(dialect.dialectName, dialect.tableName, missing)
}
