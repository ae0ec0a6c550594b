/**
 * Retention of task executions: deleting finished-and-closed rows closed before a cutoff, in
 * bounded batches, never a row that an unfinished relative still needs. Dialect-neutral: each
 * batch selects ids (MariaDB rejects LIMIT inside IN) and then deletes by id.
 */
import { and, asc, eq, inArray, isNotNull, isNull, lt, not, notInArray, or, sql, type SQL } from 'drizzle-orm'
import { DurableExecutionError } from '../core/errors.js'
import type { TaskExecutionsDialect } from './dialect.js'

/** Options of a task-executions purge. */
export type PurgeTaskExecutionsOptions = {
  /** Rows closed at least this long ago (database clock) are deleted; `0` means every closed row. */
  readonly olderThanMs: number
  /** Most rows one DELETE removes (default 500), so no statement holds locks for long. */
  readonly batchSize?: number
  /** Count what would be deleted and delete nothing (default `false`). */
  readonly dryRun?: boolean
}

/** What a purge deleted, or with `dryRun`, would delete. */
export type PurgeTaskExecutionsResult = {
  /** Rows deleted (or, with `dryRun`, deletable now). */
  readonly executions: number
  /** The cutoff used, in epoch milliseconds on the database's clock. */
  readonly closedBefore: number
}

/** The default of {@link PurgeTaskExecutionsOptions.batchSize}. */
export const DEFAULT_PURGE_BATCH_SIZE = 500

/** Checks purge options; the message names the bad value. */
export function checkPurgeOptions(options: { readonly olderThanMs: number; readonly batchSize?: number }): number {
  if (!Number.isFinite(options.olderThanMs) || options.olderThanMs < 0) {
    throw DurableExecutionError.nonRetryable(`Invalid olderThanMs ${String(options.olderThanMs)}: use a number of milliseconds >= 0.`)
  }
  const batchSize = options.batchSize ?? DEFAULT_PURGE_BATCH_SIZE
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw DurableExecutionError.nonRetryable(`Invalid batchSize ${String(batchSize)}: use a positive integer.`)
  }
  return batchSize
}

/** Finished and closed: final, so a row seen so stays so. */
const finishedAndClosedCondition = <TDb>({ columns: c }: TaskExecutionsDialect<TDb>): SQL =>
  and(eq(c.isFinished, true), eq(c.closeStatus, 'closed'))!

/**
 * The rows a purge may delete: finished, closed before the cutoff, whose parent (if still there)
 * is finished and closed, and whose children are all finished and closed.
 */
function deletableCondition<TDb>(dialect: TaskExecutionsDialect<TDb>, closedBefore: number): SQL {
  const { columns: c, table } = dialect
  const finishedAndClosed = finishedAndClosedCondition(dialect)
  // Uncorrelated subqueries, so no alias is needed: executions that are not done yet, and their parents.
  const unfinishedIds = sql`(select ${c.executionId} from ${table} where not (${finishedAndClosed}))`
  const parentsOfUnfinished = sql`(select ${c.parentExecutionId} from ${table} where ${isNotNull(c.parentExecutionId)} and not (${finishedAndClosed}))`
  return and(
    finishedAndClosed,
    lt(c.closedAt, closedBefore),
    or(isNull(c.parentExecutionId), notInArray(c.parentExecutionId, unfinishedIds)),
    not(inArray(c.executionId, parentsOfUnfinished)),
  )!
}

/** Deletes (or counts, with `dryRun`) the purgeable executions of one table. */
export async function purgeTaskExecutions<TDb>(
  db: TDb,
  dialect: TaskExecutionsDialect<TDb>,
  options: PurgeTaskExecutionsOptions,
): Promise<PurgeTaskExecutionsResult> {
  const batchSize = checkPurgeOptions(options)
  const closedBefore = Math.round(await dialect.selectCurrentTimeMs(db)) - options.olderThanMs
  const where = deletableCondition(dialect, closedBefore)
  const { seam, table, columns } = dialect
  if (options.dryRun === true) {
    const [row] = await seam.selectRows(db, table, { fields: { count: sql`count(*)` }, where, groupBy: [], orderBy: [], limit: undefined, offset: undefined })
    return { executions: Number(row?.count ?? 0), closedBefore }
  }
  let executions = 0
  for (;;) {
    const batch = await seam.selectRows(db, table, { fields: { id: columns.id }, where, groupBy: [], orderBy: [asc(columns.id)], limit: batchSize, offset: undefined })
    if (batch.length === 0) break
    // By id; no subquery on the target table, which MySQL 8 rejects in a DELETE. Finished-and-closed
    // is final and no execution gains an unfinished relative once its own are all done.
    const ids = batch.map((row) => Number(row.id))
    const deleted = await seam.deleteRows(db, table, and(inArray(columns.id, ids), finishedAndClosedCondition(dialect)))
    executions += deleted
    if (batch.length < batchSize || deleted === 0) break
  }
  return { executions, closedBefore }
}
