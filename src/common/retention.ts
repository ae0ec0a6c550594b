/**
 * Retention of task executions: deleting finished-and-closed rows closed before a cutoff, in
 * bounded batches, never a row that an unfinished relative still needs. Dialect-neutral.
 */
import { and, asc, eq, inArray, isNotNull, isNull, lt, not, notInArray, or, sql, type SQL } from 'drizzle-orm'
import { checkPurgeOptions, type PurgeTaskExecutionsOptions, type PurgeTaskExecutionsResult } from '../core/retention.js'
import { deleteInBatches } from '../sql/batched-delete.js'
import type { TaskExecutionsDialect } from './dialect.js'

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
  const executions = await deleteInBatches(
    batchSize,
    async (limit) =>
      (await seam.selectRows(db, table, { fields: { id: columns.id }, where, groupBy: [], orderBy: [asc(columns.id)], limit, offset: undefined })).map(
        (row) => Number(row.id),
      ),
    // Finished-and-closed is final and no execution gains an unfinished relative once its own are
    // all done, so the ids stay deletable.
    (ids) => seam.deleteRows(db, table, and(inArray(columns.id, ids), finishedAndClosedCondition(dialect))),
  )
  return { executions, closedBefore }
}
