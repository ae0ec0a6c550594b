/**
 * Each claim's locking SELECT walks the index made for it on MariaDB (EXPLAIN of the statement
 * the storage sent). The table is in the state a busy tree leaves it in: thousands of unfinished
 * rows not yet closed, written long ago, and as many finished ones written since. MariaDB then
 * chose `(close_status, updated_at)` for the claim of finished rows not yet closed: that walk
 * locks every unfinished row it passes, and a pickup claiming meanwhile skipped the ready ones
 * and found nothing, so the executor waited for its next sweep-work read (about 2 s, in one
 * tree of ten).
 */
import { sql } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/mysql2'
import mysql from 'mysql2/promise'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMySqlTaskExecutionsStorage, createMySqlTaskExecutionsTable, ensureMySqlTaskExecutionsTables } from '../../src/mysql.js'
import { buildTaskExecutionRow } from '../../src/testing/index.js'
import { uniqueTableName } from './backends.js'
import { onEachMysqlPoolConnection } from './driver-recording.js'
import { reachableServerUrl } from './servers.js'
import { claimCloseReadyRows, claimReadyRows, markFinishedRowsCloseReady } from './sweep-claims.js'

const url = await reachableServerUrl('MariaDB')

/** A pool that keeps the text and values of every locking SELECT its connections send. */
function poolRecordingLockingSelects(uri: string) {
  const pool = mysql.createPool({ uri, connectionLimit: 2 })
  const lockingSelects: Array<{ text: string; values: Array<unknown> | undefined }> = []
  onEachMysqlPoolConnection(pool, (connection) => {
    const query = connection.query.bind(connection) as (...args: Array<unknown>) => Promise<unknown>
    ;(connection as { query: unknown }).query = async (...args: Array<unknown>) => {
      const text = typeof args[0] === 'string' ? args[0] : (args[0] as { sql?: string }).sql
      if (text?.toLowerCase().includes('for update skip locked')) lockingSelects.push({ text, values: args[1] as Array<unknown> | undefined })
      return query(...args)
    }
  })
  return { pool, lockingSelects }
}

if (url) {
  describe('claim indexes on MariaDB', () => {
    const tableName = uniqueTableName('te_cidx')
    const table = createMySqlTaskExecutionsTable(tableName)
    const { pool, lockingSelects } = poolRecordingLockingSelects(url)
    const db = drizzle({ client: pool })
    const storage = createMySqlTaskExecutionsStorage(db, table, { enableTestMode: true })
    const now = Date.now()
    let probe: mysql.Connection

    /** The index MariaDB walks for the last locking SELECT the storage sent. */
    const indexOfLastLockingSelect = async (): Promise<unknown> => {
      const last = lockingSelects.at(-1)
      if (!last) throw new Error('The claim sent no locking SELECT')
      const [plan] = (await probe.query(`explain ${last.text}`, last.values)) as unknown as [Array<{ key: unknown }>]
      return plan[0]?.key
    }

    beforeAll(async () => {
      await db.execute(sql`drop table if exists ${table}`)
      await ensureMySqlTaskExecutionsTables(db, [table])
      probe = await mysql.createConnection({ uri: url })
      const unfinished = Array.from({ length: 3000 }, (_, index) =>
        buildTaskExecutionRow({ status: 'ready', startAt: now - 10_000 + index, updatedAt: now - 10_000 + index }),
      )
      const finished = Array.from({ length: 3000 }, (_, index) =>
        buildTaskExecutionRow({ status: 'completed', isFinished: true, finishedAt: now - 5_000 + index, updatedAt: now - 5_000 + index }),
      )
      for (let start = 0; start < 3000; start += 500) {
        await storage.insertMany([...unfinished.slice(start, start + 500), ...finished.slice(start, start + 500)])
      }
      await probe.query(`analyze table ${tableName}`)
    }, 60_000)
    afterAll(async () => {
      await probe.end()
      await db.execute(sql`drop table if exists ${table}`)
      await pool.end()
    })

    it('claims finished rows not yet closed on (is_finished, close_status, updated_at), not on (close_status, updated_at)', async () => {
      const claimed = await markFinishedRowsCloseReady(storage, now, 5)
      expect(claimed).toBe(5)
      expect(await indexOfLastLockingSelect()).toBe(`ix_${tableName}_is_finished_close_status_updated_at`)
    })

    it('says how to create the indexes when the table lacks the one a claim names, and the ensure function adds it', async () => {
      const bareName = uniqueTableName('te_cidx')
      const bare = createMySqlTaskExecutionsTable(bareName)
      await ensureMySqlTaskExecutionsTables(db, [bare])
      try {
        await probe.query(`alter table ${bareName} drop index ix_${bareName}_is_finished_close_status_updated_at`)
        const bareStorage = createMySqlTaskExecutionsStorage(db, bare, { enableTestMode: true })
        await bareStorage.insertMany([buildTaskExecutionRow({ status: 'completed', isFinished: true, finishedAt: now, updatedAt: now })])
        const sweep = () => markFinishedRowsCloseReady(bareStorage, now, 5)
        await expect(sweep()).rejects.toThrow(
          new RegExp(`ix_${bareName}_is_finished_close_status_updated_at.*The table lacks an index this library's statements name: run the dialect's ensure function`),
        )
        // As the message says: the ensure function adds the index to the existing table, its row kept.
        await ensureMySqlTaskExecutionsTables(db, [bare])
        expect(await sweep()).toBe(1)
      } finally {
        await db.execute(sql`drop table if exists ${bare}`)
      }
    })

    it('claims ready rows on (status, start_at)', async () => {
      const claimed = await claimReadyRows(storage, now, 5)
      expect(claimed).toHaveLength(5)
      expect(await indexOfLastLockingSelect()).toBe(`ix_${tableName}_status_start_at`)
    })

    it('claims close-ready rows on (close_status, updated_at)', async () => {
      const claimed = await claimCloseReadyRows(storage, now, 5)
      expect(claimed).toHaveLength(5)
      expect(await indexOfLastLockingSelect()).toBe(`ix_${tableName}_close_status_updated_at`)
    })
  })
}
