/**
 * A read-only overview of a task-executions table (the command line's `inspect`): counts by
 * status and task id, the oldest ready execution, expired leases and recent failures. Selects
 * through the generic seam with the table's columns, so every dialect decodes values alike.
 */
import { and, asc, desc, eq, inArray, lt, sql } from 'drizzle-orm'
import { ERRORED_TASK_EXECUTION_STATUSES } from '../core/status.js'
import type { SqlSelectQuery } from '../sql/dialect.js'
import type { TaskExecutionsDialect } from './dialect.js'

/** Options of `SqlTaskExecutionsStorage.inspect`. */
export type InspectTaskExecutionsOptions = {
  /** Most failures and expired leases listed (default 10). */
  readonly limit?: number
}

/** One execution as the overview lists it. */
export type TaskExecutionOverviewEntry = {
  readonly executionId: string
  readonly taskId: string
  readonly status: string
  /** Epoch milliseconds, or `null`. */
  readonly startAt: number | null
  /** Epoch milliseconds, or `null`. */
  readonly expiresAt: number | null
  /** Epoch milliseconds, or `null`. */
  readonly finishedAt: number | null
  readonly executorId: string | null
  /** The stored error's message, or `null`. */
  readonly errorMessage: string | null
}

/** What `SqlTaskExecutionsStorage.inspect` returns. */
export type TaskExecutionsOverview = {
  /** The table's name. */
  readonly tableName: string
  /** The database's clock when read, in epoch milliseconds. */
  readonly now: number
  /** Row counts per status and task id, by status then task id. */
  readonly byStatusAndTaskId: ReadonlyArray<{ readonly status: string; readonly taskId: string; readonly count: number }>
  /** The ready execution with the earliest start time, if any. */
  readonly oldestReady: TaskExecutionOverviewEntry | null
  /** Running executions whose lease ran out (their executor is likely gone): how many, and the oldest. */
  readonly expiredLeases: { readonly count: number; readonly oldest: ReadonlyArray<TaskExecutionOverviewEntry> }
  /** The most recently finished executions with an error, newest first. */
  readonly recentFailures: ReadonlyArray<TaskExecutionOverviewEntry>
}

const nullableNumber = (value: unknown) => (value === null || value === undefined ? null : Number(value))
const nullableString = (value: unknown) => (typeof value === 'string' ? value : null)

/** Reads the overview of one table. */
export async function inspectTaskExecutions<TDb>(
  db: TDb,
  dialect: TaskExecutionsDialect<TDb>,
  options: InspectTaskExecutionsOptions = {},
): Promise<TaskExecutionsOverview> {
  const limit = options.limit ?? 10
  const { seam, table, columns: c } = dialect
  const now = Math.round(await dialect.selectCurrentTimeMs(db))
  const select = (query: Partial<SqlSelectQuery> & Pick<SqlSelectQuery, 'fields'>) =>
    seam.selectRows(db, table, { where: undefined, groupBy: [], orderBy: [], limit: undefined, offset: undefined, ...query })
  const summaryFields = {
    executionId: c.executionId,
    taskId: c.taskId,
    status: c.status,
    startAt: c.startAt,
    expiresAt: c.expiresAt,
    finishedAt: c.finishedAt,
    executorId: c.executorId,
    error: c.error,
  }
  const toSummary = (row: Record<string, unknown>): TaskExecutionOverviewEntry => ({
    executionId: String(row.executionId),
    taskId: String(row.taskId),
    status: String(row.status),
    startAt: nullableNumber(row.startAt),
    expiresAt: nullableNumber(row.expiresAt),
    finishedAt: nullableNumber(row.finishedAt),
    executorId: nullableString(row.executorId),
    errorMessage: nullableString((row.error as { message?: unknown } | null)?.message),
  })
  const expired = and(eq(c.status, 'running'), lt(c.expiresAt, now))
  // Grouped counts: one row per (status, task id).
  const counts = await select({
    fields: { status: c.status, taskId: c.taskId, count: sql`count(*)` },
    groupBy: [sql`${c.status}`, sql`${c.taskId}`],
    orderBy: [asc(c.status), asc(c.taskId)],
  })
  // The ready execution that has waited longest.
  const [oldestReady] = await select({ fields: summaryFields, where: eq(c.status, 'ready'), orderBy: [asc(c.startAt), asc(c.id)], limit: 1 })
  // How many leases ran out, then the oldest few of them.
  const [expiredCount] = await select({ fields: { count: sql`count(*)` }, where: expired })
  const expiredRows = await select({ fields: summaryFields, where: expired, orderBy: [asc(c.expiresAt), asc(c.id)], limit })
  // The newest finished executions that carry an error.
  const failures = await select({
    fields: summaryFields,
    where: inArray(c.status, [...ERRORED_TASK_EXECUTION_STATUSES]),
    orderBy: [desc(c.finishedAt), desc(c.id)],
    limit,
  })
  return {
    tableName: dialect.tableName,
    now,
    byStatusAndTaskId: counts.map((row) => ({ status: String(row.status), taskId: String(row.taskId), count: Number(row.count) })),
    oldestReady: oldestReady === undefined ? null : toSummary(oldestReady),
    expiredLeases: { count: Number(expiredCount?.count ?? 0), oldest: expiredRows.map(toSummary) },
    recentFailures: failures.map(toSummary),
  }
}
