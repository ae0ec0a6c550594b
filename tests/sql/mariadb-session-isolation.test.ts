/**
 * Claims on MariaDB run READ COMMITTED. On a pool `createDatabase` opens, every session already
 * defaults to it, so a claim's transaction begins without a `SET TRANSACTION` statement; on any
 * other pool the transaction sets the level itself. Checked by what a transaction sees, on every
 * connection of the pool and on connections the pool opened after a kill.
 */
import { sql } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/mysql2'
import mysql from 'mysql2/promise'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createReadCommittedPool } from '../../src/database/drivers/mysql2.js'
import { createMySqlTaskExecutionsStorage, createMySqlTaskExecutionsTable, ensureMySqlTaskExecutionsTables, mySqlSqlDialect, type AnyMySqlDatabase } from '../../src/mysql.js'
import { buildTaskExecutionRow } from '../../src/testing/index.js'
import { uniqueTableName } from './backends.js'
import { countMysqlPoolQueries } from './driver-recording.js'
import { reachableServerUrl } from './servers.js'

const url = await reachableServerUrl('MariaDB')

/** Statement texts a pool ran, in order. */
function recordedTexts(pool: mysql.Pool): Array<string> {
  const texts: Array<string> = []
  countMysqlPoolQueries(pool, {
    record: (statement) => {
      const text = typeof statement === 'string' ? statement : (statement as { sql?: string }).sql
      texts.push(String(text).trim().toLowerCase())
    },
  })
  return texts
}

if (url) {
  describe('MariaDB claim transactions run READ COMMITTED', () => {
    const table = createMySqlTaskExecutionsTable(uniqueTableName('te_iso'))
    const readCommittedPool = createReadCommittedPool({ uri: url, connectionLimit: 3 })
    const plainPool = mysql.createPool({ uri: url, connectionLimit: 3 })
    const readCommittedTexts = recordedTexts(readCommittedPool)
    const plainTexts = recordedTexts(plainPool)
    const readCommittedDb: AnyMySqlDatabase = drizzle(readCommittedPool, { mode: 'default' })
    const plainDb: AnyMySqlDatabase = drizzle(plainPool, { mode: 'default' })
    // Commits the rows the transactions under test look for, from a pool of its own.
    const probePool = mysql.createPool({ uri: url, connectionLimit: 1 })
    const probeStorage = createMySqlTaskExecutionsStorage(drizzle(probePool, { mode: 'default' }), table, { enableTestMode: true })
    let probes = 0

    /**
     * The isolation level the open transaction on `tx` behaves as, and its connection's id: under
     * READ COMMITTED a second read sees a row another session committed after the first read;
     * under REPEATABLE READ it still reads the first read's snapshot.
     */
    async function openTransactionLevel(tx: AnyMySqlDatabase): Promise<{ level: string; connectionId: number }> {
      const taskId = `probe-${++probes}`
      const count = async () => {
        const rows = await mySqlSqlDialect.queryRows(tx, sql`select count(*) as n, connection_id() as connectionId from ${table} where ${table.taskId} = ${taskId}`)
        return { rows: Number(rows[0]!.n), connectionId: Number(rows[0]!.connectionId) }
      }
      const before = await count()
      await probeStorage.insertMany([buildTaskExecutionRow({ taskId, status: 'completed' })])
      const after = await count()
      return { level: after.rows > before.rows ? 'READ COMMITTED' : 'REPEATABLE READ', connectionId: before.connectionId }
    }

    /** The levels of `count` claim transactions held open at once (so each has its own connection). */
    async function concurrentClaimLevels(db: AnyMySqlDatabase, count: number) {
      let arrived = 0
      let releaseAll!: () => void
      const allArrived = new Promise<void>((resolve) => (releaseAll = resolve))
      return Promise.all(
        Array.from({ length: count }, () => {
          let counted = false
          // Counted once, on failure too (even one before the transaction began), so that no
          // transaction is left waiting while holding its connection.
          const arrive = () => {
            if (counted) return
            counted = true
            if (++arrived === count) releaseAll()
          }
          return mySqlSqlDialect
            .transaction(db, async (tx) => {
              try {
                return await openTransactionLevel(tx)
              } finally {
                arrive()
                await allArrived
              }
            })
            .finally(arrive)
        }),
      )
    }

    beforeAll(async () => {
      await ensureMySqlTaskExecutionsTables(plainDb, [table])
    })
    afterAll(async () => {
      await plainDb.execute(sql`drop table if exists ${table}`)
      await Promise.all([readCommittedPool.end(), plainPool.end(), probePool.end()])
    })

    it('claims on a createDatabase pool without a SET TRANSACTION statement', async () => {
      const storage = createMySqlTaskExecutionsStorage(readCommittedDb, table, { enableTestMode: true })
      const now = Date.now()
      await storage.insertMany(Array.from({ length: 3 }, () => buildTaskExecutionRow({ status: 'ready', startAt: now - 1_000 })))
      readCommittedTexts.length = 0
      const claimed = await storage.updateByStatusAndStartAtLessThanAndReturn({
        status: 'ready',
        startAtLessThan: now,
        update: { status: 'running', executorId: 'executor-a', startedAt: now, expiresAt: now + 60_000, updatedAt: now },
        updateExpiresAtWithStartedAt: now,
        limit: 10,
      })
      expect(claimed).toHaveLength(3)
      expect(readCommittedTexts).toContain('begin')
      expect(readCommittedTexts.filter((text) => text.includes('set transaction'))).toEqual([])
    })

    it('runs every connection of a createDatabase pool at READ COMMITTED, a reopened one too', async () => {
      const levels = await concurrentClaimLevels(readCommittedDb, 3)
      expect(new Set(levels.map((seen) => seen.connectionId)).size).toBe(3)
      expect(levels.map((seen) => seen.level)).toEqual(['READ COMMITTED', 'READ COMMITTED', 'READ COMMITTED'])
      // Kill every connection: the pool opens new ones, which must get the session level too.
      for (const { connectionId } of levels) await plainDb.execute(sql`kill connection ${connectionId}`)
      let after: Array<{ level: string; connectionId: number }> = []
      // A killed connection is dropped from the pool when a statement on it fails; try until three new ones answered.
      for (let attempt = 0; attempt < 20 && after.filter((seen) => !levels.some((old) => old.connectionId === seen.connectionId)).length < 3; attempt++) {
        after = await concurrentClaimLevels(readCommittedDb, 3).catch(() => [])
      }
      const reopened = after.filter((seen) => !levels.some((old) => old.connectionId === seen.connectionId))
      expect(reopened).toHaveLength(3)
      expect(reopened.map((seen) => seen.level)).toEqual(['READ COMMITTED', 'READ COMMITTED', 'READ COMMITTED'])
      expect(readCommittedTexts.filter((text) => text.includes('set transaction'))).toEqual([])
    })

    it('keeps the level across releases even when asked to reset connections on release', async () => {
      const resetting = createReadCommittedPool({ uri: url, connectionLimit: 1, resetOnRelease: true })
      try {
        const db: AnyMySqlDatabase = drizzle(resetting, { mode: 'default' })
        const levels: Array<string> = []
        // One connection, released and taken again between the transactions.
        for (let index = 0; index < 3; index++) levels.push(...(await concurrentClaimLevels(db, 1)).map((seen) => seen.level))
        expect(levels).toEqual(['READ COMMITTED', 'READ COMMITTED', 'READ COMMITTED'])
      } finally {
        await resetting.end()
      }
    })

    it('does not capture a stack trace for every statement, unless asked to', async () => {
      const traced = createReadCommittedPool({ uri: url, connectionLimit: 1, trace: true })
      try {
        const connectionConfig = (pool: mysql.Pool) => (pool as unknown as { pool: { config: { connectionConfig: { trace: boolean } } } }).pool.config.connectionConfig
        expect(connectionConfig(readCommittedPool).trace).toBe(false)
        expect(connectionConfig(traced).trace).toBe(true)
        // A failing statement still rejects with the server's error.
        await expect(readCommittedDb.execute(sql`select * from ${sql.identifier('no_such_table_here')}`)).rejects.toThrow(/no_such_table_here/)
      } finally {
        await traced.end()
      }
    })

    it('sets the level in each transaction on a pool it did not open', async () => {
      plainTexts.length = 0
      const levels = await concurrentClaimLevels(plainDb, 2)
      expect(levels.map((seen) => seen.level)).toEqual(['READ COMMITTED', 'READ COMMITTED'])
      expect(plainTexts.filter((text) => text.includes('set transaction'))).toHaveLength(2)
      // The server's default is what the SET overrides: a transaction that asks for nothing gets it.
      const unasked = await plainDb.transaction(async (tx) => (await openTransactionLevel(tx)).level)
      expect(unasked).toBe('REPEATABLE READ')
    })
  })
}
