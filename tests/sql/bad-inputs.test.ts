/**
 * Bad inputs give a clear error that names the offending value (never a password) and leave the
 * table as it was: invalid table names, duplicate execution ids, reused sleeping-task unique ids,
 * unreachable databases.
 */
import Database from 'better-sqlite3'
import { drizzle as drizzleBetterSqlite } from 'drizzle-orm/better-sqlite3'
import { drizzle as drizzleMysql } from 'drizzle-orm/mysql2'
import { drizzle as drizzleNodePg } from 'drizzle-orm/node-postgres'
import mysql from 'mysql2/promise'
import pg from 'pg'
import { getTableConfig } from 'drizzle-orm/pg-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMySqlTaskExecutionsStorage, createMySqlTaskExecutionsTable } from '../../src/mysql.js'
import { createPgTaskExecutionsStorage, createPgTaskExecutionsTable } from '../../src/pg.js'
import { createSQLiteTaskExecutionsStorage, createSQLiteTaskExecutionsTable } from '../../src/sqlite.js'
import { DurableExecutor } from '../../src/index.js'
import { buildTaskExecutionRow, randomSleepingTaskUniqueId } from '../../src/testing/index.js'
import { uniqueTableName, type OpenedBackend } from './backends.js'
import { availableBackends } from './available-backends.js'

describe('table names', () => {
  const factories = [
    ['PostgreSQL', createPgTaskExecutionsTable, 24],
    ['MySQL', createMySqlTaskExecutionsTable, 25],
    ['SQLite', createSQLiteTaskExecutionsTable, 25],
  ] as const

  for (const [dialect, createTable, maxLength] of factories) {
    it(`${dialect} rejects a name with other characters than letters, digits and underscores, naming it`, () => {
      expect(() => createTable('task-executions; drop table x')).toThrow(/"task-executions; drop table x".*letters, digits and underscores/)
      expect(() => createTable('')).toThrow(/""/)
      expect(() => createTable('1st_table')).toThrow(/"1st_table"/)
    })

    it(`${dialect} accepts ${maxLength} characters and rejects ${maxLength + 1}, so every index name fits`, () => {
      expect(() => createTable('t'.repeat(maxLength))).not.toThrow()
      expect(() => createTable('t'.repeat(maxLength + 1))).toThrow(new RegExp(`at most ${maxLength} characters`))
    })
  }

  it('refuses names the database keeps for itself, whose DDL would fail, and says so', () => {
    expect(() => createSQLiteTaskExecutionsTable('sqlite_x')).toThrow(/"sqlite_x".*"sqlite_" is reserved/)
    expect(() => createSQLiteTaskExecutionsTable('SQLite_stat')).toThrow(/reserved/)
    expect(() => createPgTaskExecutionsTable('pg_catalog.t')).toThrow(/"pg_catalog.t".*schema "pg_catalog" is reserved/)
    expect(() => createPgTaskExecutionsTable('PG_toast.t')).toThrow(/reserved/)
    expect(() => createPgTaskExecutionsTable('information_schema.t')).toThrow(/reserved/)
    expect(() => createPgTaskExecutionsTable('pg_tasks')).not.toThrow()
    // drizzle refuses pgSchema('public'): the default schema's tables are declared without it.
    expect(getTableConfig(createPgTaskExecutionsTable('public.tasks'))).toMatchObject({ name: 'tasks', schema: undefined })
    expect(() => createMySqlTaskExecutionsTable('sqlite_x')).not.toThrow()
  })

  it('PostgreSQL accepts a schema prefix; MySQL and SQLite reject it', () => {
    expect(() => createPgTaskExecutionsTable('jobs.task_executions')).not.toThrow()
    expect(() => createPgTaskExecutionsTable('a.b.c')).toThrow(/"a.b.c"/)
    expect(() => createMySqlTaskExecutionsTable('jobs.task_executions')).toThrow(/"jobs.task_executions"/)
    expect(() => createSQLiteTaskExecutionsTable('jobs.task_executions')).toThrow(/"jobs.task_executions"/)
  })
})

const { backends, shutdown } = await availableBackends()
afterAll(shutdown)

for (const backend of backends) {
  describe(`duplicate keys on ${backend.name}`, () => {
    let opened: OpenedBackend<unknown>
    beforeAll(async () => {
      opened = await backend.open(uniqueTableName('te_bad'))
    })
    afterAll(async () => {
      await opened.close()
    })

    it('rejects a duplicate execution id naming it, and inserts none of the batch', async () => {
      const existing = buildTaskExecutionRow()
      await opened.storage.insertMany([existing])
      const fresh = buildTaskExecutionRow()
      const duplicate = buildTaskExecutionRow({ executionId: existing.executionId, taskId: 'other_task' })
      await expect(opened.storage.insertMany([fresh, duplicate])).rejects.toThrow(
        new RegExp(`already exists \\[executionIds=${existing.executionId}\\]`),
      )
      const [freshAfter, existingAfter] = await opened.storage.getManyById([
        { executionId: fresh.executionId },
        { executionId: existing.executionId },
      ])
      expect(freshAfter).toBeUndefined()
      expect(existingAfter).toEqual(existing)
    })

    it('rejects a reused sleeping-task unique id naming it, and inserts none of the batch', async () => {
      const uniqueId = randomSleepingTaskUniqueId()
      const sleeper = buildTaskExecutionRow({ sleepingTaskUniqueId: uniqueId })
      await opened.storage.insertMany([sleeper])
      const fresh = buildTaskExecutionRow()
      const reuse = buildTaskExecutionRow({ sleepingTaskUniqueId: uniqueId })
      await expect(opened.storage.insertMany([fresh, reuse])).rejects.toThrow(
        new RegExp(`\\[sleepingTaskUniqueIds=${uniqueId}\\]`),
      )
      const after = await opened.storage.getManyById([{ executionId: fresh.executionId }, { executionId: reuse.executionId }])
      expect(after).toEqual([undefined, undefined])
      expect(await opened.storage.getManyBySleepingTaskUniqueId([{ sleepingTaskUniqueId: uniqueId }])).toEqual([sleeper])
    })

    it('rejects an enqueue whose input is above the size limit, naming the size, and writes no row', async () => {
      const empty = await backend.open(uniqueTableName('te_big'))
      try {
        const executor = await DurableExecutor.make(empty.storage, { logLevel: 'error' })
        const echo = executor.task({ id: 'echo', timeoutMs: 1_000, run: (_ctx, input: string) => input })
        await expect(executor.enqueueTask(echo, 'x'.repeat(1_100_000))).rejects.toThrow(
          /Serialized data size exceeds maximum allowed size \[serializedDataSize=\d+B\] \[maxSerializedDataSize=1048576B\]/,
        )
        await executor.shutdown()
        // An enqueued row is ready and claimable with this bound: none may exist.
        const claimed = await empty.storage.updateByStatusAndStartAtLessThanAndReturn({
          status: 'ready',
          startAtLessThan: Number.MAX_SAFE_INTEGER,
          update: { updatedAt: Date.now() },
          updateExpiresAtWithStartedAt: Date.now(),
          limit: 100,
        })
        expect(claimed).toEqual([])
      } finally {
        await empty.close()
      }
    })

    it('rejects children with a duplicate id and rolls the parent update back', async () => {
      const parent = buildTaskExecutionRow({ status: 'running' })
      const existingChild = buildTaskExecutionRow()
      await opened.storage.insertMany([parent, existingChild])
      await expect(
        opened.storage.updateManyByIdAndInsertChildrenIfUpdated([
          {
            executionId: parent.executionId,
            filters: { status: 'running' },
            update: { status: 'waiting_for_children', updatedAt: parent.updatedAt + 1 },
            childrenTaskExecutionsToInsertIfAnyUpdated: [buildTaskExecutionRow({ executionId: existingChild.executionId })],
          },
        ]),
      ).rejects.toThrow(new RegExp(existingChild.executionId))
      expect((await opened.storage.getManyById([{ executionId: parent.executionId }]))[0]?.status).toBe('running')
    })
  })
}

describe('unreachable databases', () => {
  const password = 'pa55word-never-shown'

  it('PostgreSQL: a lost-connection error naming host and port, without the password', async () => {
    const pool = new pg.Pool({ connectionString: `postgres://postgres:${password}@127.0.0.1:1/test`, connectionTimeoutMillis: 2_000 })
    const storage = createPgTaskExecutionsStorage(drizzleNodePg({ client: pool }), createPgTaskExecutionsTable())
    const failure = storage.getManyById([{ executionId: 'te_missing' }])
    await expect(failure).rejects.toThrow(/Lost the connection to the database during getManyById on PostgreSQL table "task_executions".*127\.0\.0\.1:1/)
    await expect(failure).rejects.not.toThrow(new RegExp(password))
    await pool.end()
  })

  it('MySQL: a lost-connection error naming host and port, without the password', async () => {
    const pool = mysql.createPool({ uri: `mysql://root:${password}@127.0.0.1:1/test`, connectTimeout: 2_000 })
    const storage = createMySqlTaskExecutionsStorage(drizzleMysql({ client: pool }), createMySqlTaskExecutionsTable())
    const failure = storage.insertMany([buildTaskExecutionRow()])
    await expect(failure).rejects.toThrow(/Lost the connection to the database during insertMany on MySQL table "task_executions".*ECONNREFUSED/)
    await expect(failure).rejects.not.toThrow(new RegExp(password))
    await pool.end()
  })

  it('SQLite: a closed database gives a lost-connection error', async () => {
    const client = new Database(':memory:')
    const storage = createSQLiteTaskExecutionsStorage(drizzleBetterSqlite({ client }), createSQLiteTaskExecutionsTable())
    client.close()
    await expect(storage.getManyById([{ executionId: 'te_missing' }])).rejects.toThrow(
      /Lost the connection to the database during getManyById on SQLite table "task_executions": The database connection is not open/,
    )
  })
})
