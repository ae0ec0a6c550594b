/**
 * Inserting task executions: multi-row INSERTs chunked under the dialect's limits, all-or-nothing,
 * and a duplicate-key failure turned into an error that names the offending ids.
 */
import { inArray, or, type SQL } from 'drizzle-orm'
import { DurableExecutionError, type TaskExecutionStorageValue } from '../core/index.js'
import type { TaskExecutionsInsertRow } from './columns.js'
import type { TaskExecutionsDialect } from './dialect.js'
import { chunkItems, estimateValueBytes } from '../sql/chunks.js'
import { classifyDatabaseError, describeDatabaseError, runWithConflictRetry } from '../sql/errors.js'
import { taskExecutionValueToInsertRow } from './row-mapping.js'

/** Most parameters one row binds (every column set). */
export const PARAMETERS_PER_ROW = 42

/**
 * Where the insert runs: `own-transaction` opens one when the rows need several statements and
 * retries conflicts; `caller-transaction` runs inside a transaction someone else holds.
 */
export type InsertMode = 'own-transaction' | 'caller-transaction'

/**
 * Inserts all values or none; rejects on a duplicate execution id or sleeping-task unique id.
 * `notify`, a notification SELECT, runs with the last chunk, so it is delivered with the rows.
 */
export async function insertTaskExecutionValues<TDb>(
  dialect: TaskExecutionsDialect<TDb>,
  db: TDb,
  values: ReadonlyArray<TaskExecutionStorageValue>,
  mode: InsertMode,
  notify?: SQL,
): Promise<void> {
  if (values.length === 0) return
  const rows = values.map(taskExecutionValueToInsertRow)
  const chunks = chunkItems(
    rows,
    { maxItems: Math.floor(dialect.limits.boundParameters / PARAMETERS_PER_ROW), maxBytes: dialect.limits.statementBytes },
    estimateValueBytes,
  )
  const insertChunks = async (target: TDb) => {
    // One multi-row INSERT per chunk; chunks keep each statement under the parameter and size limits.
    for (const [index, chunk] of chunks.entries()) {
      await dialect.insertRows(target, chunk, index === chunks.length - 1 ? notify : undefined)
    }
  }
  try {
    if (mode === 'caller-transaction') await insertChunks(db)
    else if (chunks.length === 1) await runWithConflictRetry(() => insertChunks(db), dialect.errorCodes)
    else await runWithConflictRetry(() => dialect.writeTransaction(db, insertChunks), dialect.errorCodes)
  } catch (error) {
    if (mode === 'caller-transaction') throw error
    throw await explainDuplicateKeys(dialect, db, values, error)
  }
}

/**
 * A unique violation on inserting `values` turned into an error naming the duplicate ids (looked
 * up with `db` outside the failed transaction); any other error is returned as it is.
 */
export async function explainDuplicateKeys<TDb>(
  dialect: TaskExecutionsDialect<TDb>,
  db: TDb,
  values: ReadonlyArray<TaskExecutionStorageValue>,
  error: unknown,
): Promise<unknown> {
  if (classifyDatabaseError(error, dialect.errorCodes) !== 'unique_violation') return error
  const rows = values.map(taskExecutionValueToInsertRow)
  return duplicateKeyError(dialect, rows, await findExistingKeys(dialect, db, rows), error)
}

/** The rows already in the table that share an execution id or a sleeping-task unique id with `rows`. */
async function findExistingKeys<TDb>(
  dialect: TaskExecutionsDialect<TDb>,
  db: TDb,
  rows: ReadonlyArray<TaskExecutionsInsertRow>,
): Promise<ReadonlyArray<TaskExecutionsInsertRow>> {
  const { columns } = dialect
  const executionIds = rows.map((row) => row.executionId)
  const uniqueIds = rows.flatMap((row) => (row.sleepingTaskUniqueId != null ? [row.sleepingTaskUniqueId] : []))
  if (executionIds.length + uniqueIds.length > dialect.limits.boundParameters - 64) return []
  try {
    // Only to name the duplicates in the error message.
    return await dialect.selectRows(
      db,
      or(
        inArray(columns.executionId, executionIds),
        uniqueIds.length > 0 ? inArray(columns.sleepingTaskUniqueId, uniqueIds) : undefined,
      ),
    )
  } catch {
    return []
  }
}

function repeated(values: ReadonlyArray<string>): Array<string> {
  return [...new Set(values.filter((value, index) => values.indexOf(value) !== index))]
}

function duplicateKeyError<TDb>(
  dialect: TaskExecutionsDialect<TDb>,
  rows: ReadonlyArray<TaskExecutionsInsertRow>,
  existing: ReadonlyArray<TaskExecutionsInsertRow>,
  cause: unknown,
): DurableExecutionError {
  const executionIds = new Set(rows.map((row) => row.executionId))
  const uniqueIds = new Set(rows.map((row) => row.sleepingTaskUniqueId).filter((id) => id != null))
  const duplicateExecutionIds = [
    ...new Set([
      ...repeated(rows.map((row) => row.executionId)),
      ...existing.map((row) => row.executionId).filter((id) => executionIds.has(id)),
    ]),
  ]
  const duplicateUniqueIds = [
    ...new Set([
      ...repeated(rows.flatMap((row) => (row.sleepingTaskUniqueId != null ? [row.sleepingTaskUniqueId] : []))),
      ...existing.flatMap((row) => (row.sleepingTaskUniqueId != null && uniqueIds.has(row.sleepingTaskUniqueId) ? [row.sleepingTaskUniqueId] : [])),
    ]),
  ]
  const named = [
    duplicateExecutionIds.length > 0 ? `[executionIds=${duplicateExecutionIds.join(',')}]` : '',
    duplicateUniqueIds.length > 0 ? `[sleepingTaskUniqueIds=${duplicateUniqueIds.join(',')}]` : '',
  ].join('')
  return DurableExecutionError.nonRetryable(
    `Cannot insert task executions into ${dialect.dialectName} table "${dialect.tableName}": an execution ` +
      `id or sleeping task unique id already exists ${named || `(${describeDatabaseError(cause)})`}. ` +
      'Each may exist only once: use a new unique id, or look up the existing execution.',
    { cause },
  )
}
