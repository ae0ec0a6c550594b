/**
 * Read-only overview and retention of the job-runner tables (the command line's `inspect` and
 * `purge`): workflows counted by status; finished workflows and batches deleted after an age, in
 * bounded batches, their steps, history, timers, attempts, chunks and rows going with them
 * through the foreign keys' `ON DELETE CASCADE` (on SQLite only with `foreign_keys = ON`, which
 * `createDatabase` sets).
 */
import { and, asc, inArray, lt, sql, type SQL } from 'drizzle-orm'
import { checkPurgeOptions } from '../core/retention.js'
import { DurableExecutionStorageError } from '../core/errors.js'
import { deleteInBatches } from '../sql/batched-delete.js'
import { classifyDatabaseError } from '../sql/errors.js'
import type { JobStore } from './store.js'
import type { TableOf } from './job-tables.js'

/** Workflow and batch statuses that never change again: only these are purged. */
const FINAL_STATUSES = ['completed', 'cancelled'] as const

/**
 * Whether the job tables exist (the workflows table answers a SELECT); a lost connection still
 * throws. For tools that serve databases with only the task-executions table.
 */
export async function jobTablesExist(store: Pick<JobStore, 'session' | 'tables'>): Promise<boolean> {
  try {
    // Reads no row: only whether the table is there.
    await store.session.selectRows(store.tables.workflows, { fields: { one: sql`1` }, where: sql`1 = 0` })
    return true
  } catch (error) {
    const lost = error instanceof DurableExecutionStorageError ? error.kind === 'connection_lost' : classifyDatabaseError(error, store.session.errorCodes) === 'connection_lost'
    if (lost) throw error
    return false
  }
}

/** Workflow counts per status, by status. */
export async function countWorkflowsByStatus(store: Pick<JobStore, 'session' | 'tables'>): Promise<Array<{ status: string; count: number }>> {
  const { workflows } = store.tables
  // One row per status.
  const rows = await store.session.selectRows(workflows, {
    fields: { status: workflows.status, count: sql`count(*)` },
    groupBy: [sql`${workflows.status}`],
    orderBy: [asc(workflows.status)],
  })
  return rows.map((row) => ({ status: String(row.status), count: Number(row.count) }))
}

/** Options of {@link purgeJobHistory}. */
export type PurgeJobHistoryOptions = {
  /** Completed or cancelled workflows and batches last updated at least this long ago (the store's clock) are deleted. */
  readonly olderThanMs: number
  /** Most rows of one table one DELETE removes (default 500). */
  readonly batchSize?: number
  /** Count what would be deleted and delete nothing (default `false`). */
  readonly dryRun?: boolean
}

/** What {@link purgeJobHistory} deleted (or, with `dryRun`, would delete). */
export type PurgeJobHistoryResult = {
  /** Workflows deleted, with their steps, history, timers and attempts. */
  readonly workflows: number
  /** Batches deleted, with their chunks, processed rows and error rows. */
  readonly batches: number
}

type PurgedTable = TableOf<{ id: number; status: string; updatedAt: number }>

async function purgeTable(store: Pick<JobStore, 'session'>, table: PurgedTable, where: SQL, batchSize: number, dryRun: boolean): Promise<number> {
  if (dryRun) {
    // How many rows a real run would delete now.
    const [row] = await store.session.selectRows(table, { fields: { count: sql`count(*)` }, where })
    return Number(row?.count ?? 0)
  }
  return deleteInBatches(
    batchSize,
    async (limit) => (await store.session.selectRows(table, { fields: { id: table.id }, where, orderBy: [asc(table.id)], limit })).map((row) => Number(row.id)),
    (ids) => store.session.deleteRows(table, and(inArray(table.id, ids), where)),
  )
}

/**
 * Deletes completed and cancelled workflows and batches last updated at least `olderThanMs` ago,
 * in batches; their child rows go with them (cascading foreign keys). Running, pending, paused and
 * failed (retryable) ones stay, with everything under them.
 */
export async function purgeJobHistory(store: Pick<JobStore, 'session' | 'tables' | 'now'>, options: PurgeJobHistoryOptions): Promise<PurgeJobHistoryResult> {
  const batchSize = checkPurgeOptions(options)
  const before = store.now() - options.olderThanMs
  const dryRun = options.dryRun === true
  const finalBefore = (table: PurgedTable) => and(inArray(table.status, [...FINAL_STATUSES]), lt(table.updatedAt, before))!
  const { workflows, batches } = store.tables
  return {
    workflows: await purgeTable(store, workflows, finalBefore(workflows), batchSize, dryRun),
    batches: await purgeTable(store, batches, finalBefore(batches), batchSize, dryRun),
  }
}
