/**
 * The read that tells which of the executor's sweeps have work (`findSweepWork`, beyond upstream):
 * one SELECT of one EXISTS per sweep, each the sweep's own filter on the index that sweep uses,
 * so an idle executor sends this one cheap read instead of every claim and expiry UPDATE.
 */
import { and, eq, lt, sql, type SQL } from 'drizzle-orm'
import type { TaskExecutionsStorageFindSweepWorkRequest, TaskExecutionsStorageSweepWork } from '../core/index.js'
import type { TaskExecutionsDialect } from './dialect.js'

/** Reads, in one statement, which sweeps would find at least one row. */
export async function findSweepWork<TDb>(
  dialect: TaskExecutionsDialect<TDb>,
  db: TDb,
  request: TaskExecutionsStorageFindSweepWorkRequest,
): Promise<TaskExecutionsStorageSweepWork> {
  const { columns: c, table } = dialect
  const { now } = request
  const filters: Record<keyof TaskExecutionsStorageSweepWork, SQL | undefined> = {
    ready: and(eq(c.status, 'ready'), lt(c.startAt, now)),
    childrenFinished: and(eq(c.status, 'waiting_for_children'), eq(c.onChildrenFinishedProcessingStatus, 'idle'), eq(c.activeChildrenCount, 0)),
    closeReady: and(eq(c.isFinished, true), eq(c.closeStatus, 'idle')),
    close: eq(c.closeStatus, 'ready'),
    promiseCancellation: and(eq(c.executorId, request.executorId), eq(c.needsPromiseCancellation, true)),
    expiredRuns: and(eq(c.status, 'running'), eq(c.isSleepingTask, false), lt(c.expiresAt, now)),
    expiredSleeps: and(eq(c.status, 'running'), eq(c.isSleepingTask, true), lt(c.expiresAt, now)),
    expiredChildrenFinishedProcessing: lt(c.onChildrenFinishedProcessingExpiresAt, now),
    expiredClosing: lt(c.closeExpiresAt, now),
  }
  const keys = Object.keys(filters) as Array<keyof TaskExecutionsStorageSweepWork>
  const probes = keys.map((key, index) => sql`exists (select 1 from ${table} where ${filters[key]}) as ${sql.identifier(`w${index}`)}`)
  // One round trip for every sweep: each EXISTS stops at the first row its index finds.
  const [row] = await dialect.seam.queryRows(db, sql`select ${sql.join(probes, sql`, `)}`)
  return Object.fromEntries(keys.map((key, index) => [key, isTrue(row?.[`w${index}`])])) as TaskExecutionsStorageSweepWork
}

/** An EXISTS result as the drivers return it: `true` (PostgreSQL), `1` (MySQL, SQLite), `'1'` or a bigint. */
function isTrue(value: unknown): boolean {
  return value === true || value === 1 || value === '1' || value === 1n || value === 't'
}
