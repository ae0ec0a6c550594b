/**
 * What an open update-and-insert-children transaction locks on MariaDB, seen from a second
 * connection while the transaction waits to commit: only the parents it updated, not the gaps of
 * the index its UPDATE scans (under REPEATABLE READ, the session default, a range scan keeps
 * next-key locks until COMMIT, so an enqueue of a new ready task waits for the whole transaction).
 * The second connection waits at most one second for a lock.
 */
import { sql } from 'drizzle-orm'
import { drizzle, type MySql2Database } from 'drizzle-orm/mysql2'
import mysql from 'mysql2/promise'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMySqlTaskExecutionsStorage, createMySqlTaskExecutionsTable, ensureMySqlTaskExecutionsTables } from '../../src/mysql.js'
import { buildChildRow, buildTaskExecutionRow } from '../../src/testing/index.js'
import { uniqueTableName } from './backends.js'
import { onEachMysqlPoolConnection } from './driver-recording.js'
import { reachableServerUrl } from './servers.js'

const url = await reachableServerUrl('MariaDB')

/** A pool whose connections hold their next COMMIT until `release` is called. */
function poolHoldingNextCommit(uri: string) {
  const pool = mysql.createPool({ uri, connectionLimit: 4 })
  let hold: { reached: () => void; released: Promise<void> } | undefined
  onEachMysqlPoolConnection(pool, (connection) => {
    const query = connection.query.bind(connection) as (...args: Array<unknown>) => Promise<unknown>
    ;(connection as { query: unknown }).query = async (...args: Array<unknown>) => {
      const text = typeof args[0] === 'string' ? args[0] : (args[0] as { sql?: string }).sql
      const current = hold
      if (current && text?.trim().toLowerCase() === 'commit') {
        hold = undefined
        current.reached()
        await current.released
      }
      return query(...args)
    }
  })
  const holdNextCommit = () => {
    let reached!: () => void
    let release!: () => void
    const commitReached = new Promise<void>((resolve) => (reached = resolve))
    hold = { reached, released: new Promise<void>((resolve) => (release = resolve)) }
    return { commitReached, release }
  }
  return { pool, holdNextCommit }
}

if (url) {
  describe('update-and-insert-children transaction locks on MariaDB', () => {
    const tableName = uniqueTableName('te_wlock')
    const table = createMySqlTaskExecutionsTable(tableName)
    const { pool, holdNextCommit } = poolHoldingNextCommit(url)
    const db = drizzle({ client: pool })
    const storage = createMySqlTaskExecutionsStorage(db, table, { enableTestMode: true })
    let probeConnection: mysql.Connection
    let probe: MySql2Database
    beforeAll(async () => {
      await db.execute(sql`drop table if exists ${table}`)
      await ensureMySqlTaskExecutionsTables(db, [table])
      probeConnection = await mysql.createConnection({ uri: url })
      probe = drizzle({ client: probeConnection })
      // The probe gives up on a lock after one second instead of fifty.
      await probe.execute(sql`set session innodb_lock_wait_timeout = 1`)
    })
    afterAll(async () => {
      await probeConnection.end()
      await db.execute(sql`drop table if exists ${table}`)
      await pool.end()
    })

    it('leaves the gap where new ready rows go free while the children transaction is open', async () => {
      const now = Date.now()
      // The parents are the only running rows: MariaDB's estimates for `execution_id in (…)` and
      // `status = 'running'` tie, and the UPDATE scans the (status, start_at) index.
      const parents = Array.from({ length: 3 }, (_, index) => buildTaskExecutionRow({ status: 'running', startAt: now - 50 + index, updatedAt: now - 100 }))
      const waiting = buildTaskExecutionRow({ status: 'waiting_for_children', startAt: now - 60, updatedAt: now - 100 })
      const queued = Array.from({ length: 3 }, (_, index) => buildTaskExecutionRow({ status: 'ready', startAt: now - 200 + index, updatedAt: now - 100 }))
      await storage.insertMany([...parents, waiting, ...queued])
      const columns = (await probe.execute(
        sql`select column_name as name from information_schema.columns where table_schema = database() and table_name = ${tableName} and column_name <> 'id'`,
      )) as unknown as [Array<{ name: string }>]
      const columnNames = columns[0].map((column) => column.name)
      const update = { status: 'waiting_for_children', activeChildrenCount: 1, waitingForChildrenStartedAt: now, updatedAt: now } as const
      const { commitReached, release } = holdNextCommit()
      const updating = storage.updateManyByIdAndInsertChildrenIfUpdated(
        parents.map((parent) => ({
          executionId: parent.executionId,
          filters: { status: 'running' },
          update,
          childrenTaskExecutionsToInsertIfAnyUpdated: [buildChildRow(parent, { startAt: now + 1000 })],
        })),
      )
      await commitReached
      const outcome = async (statement: Promise<unknown>) =>
        statement.then(
          () => 'done',
          (error: { cause?: { code?: string }; code?: string; message?: string }) => error.cause?.code ?? error.code ?? error.message,
        )
      try {
        // Another executor's write to a row the UPDATE did not match.
        const otherRowWrite = await outcome(probe.execute(sql`update ${table} set updated_at = ${now} where execution_id = ${waiting.executionId}`))
        // A new ready task, the latest to start (a copy of a queued one), as an application's enqueue inserts it.
        const copied = columnNames.map((name) =>
          name === 'execution_id' ? sql`'te_probe_enqueued'` : name === 'start_at' ? sql`${now + 5000}` : sql.identifier(name),
        )
        const enqueue = await outcome(
          probe.execute(
            sql`insert into ${table} (${sql.join(columnNames.map((name) => sql.identifier(name)), sql`, `)}) select ${sql.join(copied, sql`, `)} from ${table} where execution_id = ${queued[0]!.executionId}`,
          ),
        )
        expect({ otherRowWrite, enqueue }).toEqual({ otherRowWrite: 'done', enqueue: 'done' })
      } finally {
        release()
      }
      expect(await updating).toEqual([true, true, true])
    }, 30_000)
  })
}
