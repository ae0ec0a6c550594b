/**
 * What reaches the database: coalesced single calls of the executor's storage layer become one
 * SQL statement per batch, on every dialect (counted by a wrapper around each driver); an idle
 * executor sends at most 2 statements a second.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { DurableExecutor, TaskExecutionsStorageLayer } from '../../src/core/index.js'
import { buildChildRow, buildTaskExecutionRow } from '../../src/testing/index.js'
import { sqliteMemoryBackend, uniqueTableName, type OpenedBackend } from './backends.js'
import { availableBackends } from './available-backends.js'

const { backends, shutdown } = await availableBackends()
afterAll(shutdown)

const BATCHING = { enableBatching: true, batchWindowMs: 10, maxRetryAttempts: 0, enableStats: false }

for (const backend of backends) {
  describe(`statement counts on ${backend.name}`, () => {
    let opened: OpenedBackend<unknown>
    beforeAll(async () => {
      opened = await backend.open(uniqueTableName('te_count'))
    })
    afterAll(async () => {
      await opened.close()
    })

    it('inserts 100 rows with one INSERT', async () => {
      await opened.storage.deleteAll()
      opened.statements.reset()
      await opened.storage.insertMany(Array.from({ length: 100 }, () => buildTaskExecutionRow()))
      expect(opened.statements.count('insert')).toBe(1)
    })

    it('answers 100 concurrent getById calls through the batching layer with one SELECT', async () => {
      const rows = Array.from({ length: 100 }, () => buildTaskExecutionRow())
      await opened.storage.insertMany(rows)
      const layer = new TaskExecutionsStorageLayer(opened.storage, BATCHING)
      layer.start()
      try {
        opened.statements.reset()
        const values = await Promise.all(rows.map((row) => layer.getById({ executionId: row.executionId })))
        expect(opened.statements.count('select')).toBe(1)
        expect(values.map((value) => value?.executionId)).toEqual(rows.map((row) => row.executionId))
      } finally {
        await layer.shutdown()
      }
    })

    it('writes 100 concurrent completions of different executions with one UPDATE', async () => {
      const now = Date.now()
      const rows = Array.from({ length: 100 }, () => buildTaskExecutionRow({ now, status: 'running' }))
      await opened.storage.insertMany(rows)
      const layer = new TaskExecutionsStorageLayer(opened.storage, BATCHING)
      layer.start()
      try {
        opened.statements.reset()
        await Promise.all(
          rows.map((row, index) =>
            layer.updateById({
              executionId: row.executionId,
              filters: { status: 'running' },
              update: { status: 'completed', isFinished: true, output: `output ${index}`, finishedAt: now + index, updatedAt: now + index, unset: { executorId: true, expiresAt: true } },
            }),
          ),
        )
        expect(opened.statements.count('update')).toBe(1)
      } finally {
        await layer.shutdown()
      }
      const values = await opened.storage.getManyById(rows.map((row) => ({ executionId: row.executionId })))
      expect(values.map((value) => [value?.status, value?.output, value?.finishedAt])).toEqual(
        rows.map((_row, index) => ['completed', `output ${index}`, now + index]),
      )
    })

    it('claims in one statement on PostgreSQL even when the update overwrites the order column; with a locking SELECT elsewhere, which MySQL reads the rows with', async () => {
      await opened.storage.deleteAll()
      const now = Date.now()
      const rows = Array.from({ length: 5 }, (_, index) =>
        buildTaskExecutionRow({ status: 'completed', isFinished: true, closeStatus: 'ready', updatedAt: now - 100 + index }),
      )
      await opened.storage.insertMany(rows)
      opened.statements.reset()
      const claimed = await opened.storage.updateByCloseStatusAndReturn({
        closeStatus: 'ready',
        update: { closeStatus: 'closing', closeExpiresAt: now + 60_000, updatedAt: now },
        limit: 3,
      })
      expect(claimed.map((row) => row.executionId)).toEqual(rows.slice(0, 3).map((row) => row.executionId))
      const { statements } = opened.statements
      // PostgreSQL: one UPDATE, its candidates locked in a WITH clause before it.
      if (backend.dialect === 'pg') expect(statements.map((statement) => statement.split(' ')[0])).toEqual(['with'])
      // SQLite's RETURNING cannot see the subquery's old order value, and MySQL has no RETURNING.
      else expect(opened.statements.count('select')).toBeGreaterThanOrEqual(1)
      if (backend.dialect === 'mysql') {
        // The locking SELECT reads the rows and the UPDATE's values are applied to them: no read after it.
        const transactionControl = /^(begin|start|commit|set)\b/i
        expect(statements.filter((statement) => !transactionControl.test(statement.trim())).map((statement) => statement.trim().split(' ')[0]?.toLowerCase())).toEqual([
          'select',
          'update',
        ])
        expect(claimed).toStrictEqual(await opened.storage.getManyById(claimed.map((row) => ({ executionId: row.executionId }))))
      }
    })

    it('claims with one statement after a claim of its kind found nothing, where a claim takes a transaction', async () => {
      await opened.storage.deleteAll()
      const now = Date.now()
      const claimClosing = () =>
        opened.storage.updateByCloseStatusAndReturn({
          closeStatus: 'ready',
          update: { closeStatus: 'closing', closeExpiresAt: now + 60_000, updatedAt: now },
          limit: 3,
        })
      const statementsOf = async (claim: () => Promise<unknown>) => {
        opened.statements.reset()
        const claimed = await claim()
        return { claimed, words: opened.statements.statements.map((statement) => statement.trim().split(/\s/)[0]?.toLowerCase()) }
      }
      expect((await statementsOf(claimClosing)).claimed).toEqual([])
      const afterNothing = await statementsOf(claimClosing)
      expect(afterNothing.claimed).toEqual([])
      // PostgreSQL claims in one statement anyway; elsewhere the look replaces the transaction.
      expect(afterNothing.words).toEqual([backend.dialect === 'pg' ? 'with' : 'select'])
      const row = buildTaskExecutionRow({ status: 'completed', isFinished: true, closeStatus: 'ready', updatedAt: now - 100 })
      await opened.storage.insertMany([row])
      const found = await statementsOf(claimClosing)
      expect((found.claimed as Array<{ executionId: string }>).map((claimed) => claimed.executionId)).toEqual([row.executionId])
      const selects = (words: Array<string | undefined>) => words.filter((word) => word === 'select').length
      // The look, then the transaction's locking SELECT (which reads the rows where there is no RETURNING).
      if (backend.dialect !== 'pg') expect(selects(found.words)).toBe(2)
      // After a claim that found rows, the next one goes straight to its transaction.
      const afterFound = await statementsOf(claimClosing)
      expect(afterFound.claimed).toEqual([])
      if (backend.dialect !== 'pg') expect(selects(afterFound.words)).toBe(1)
    })

    it('sweeps close-ready rows and releases them to their parents in one statement on PostgreSQL, a claimed parent included', async () => {
      await opened.storage.deleteAll()
      const now = Date.now()
      const finished = { isFinished: true, closeStatus: 'idle', updatedAt: now - 100 } as const
      const waiting = buildTaskExecutionRow({ status: 'waiting_for_children', activeChildrenCount: 3, updatedAt: now - 200 })
      // A cancelled parent, finished before its child: the sweep claims it and releases its child to it.
      const cancelled = buildTaskExecutionRow({ ...finished, status: 'cancelled', activeChildrenCount: 2 })
      const children = [
        buildChildRow(waiting, { ...finished, status: 'completed' }),
        buildChildRow(waiting, { ...finished, status: 'failed' }),
        buildChildRow(cancelled, { ...finished, status: 'cancelled' }),
      ]
      const finalize = buildChildRow(waiting, { ...finished, status: 'completed', link: { isFinalizeOfParent: true } })
      const notReady = buildChildRow(waiting, { status: 'completed', isFinished: true, closeStatus: 'ready', updatedAt: now - 100 })
      await opened.storage.insertMany([waiting, cancelled, ...children, finalize, notReady])
      opened.statements.reset()
      const claimed = await opened.storage.updateAndDecrementParentActiveChildrenCountByIsFinishedAndCloseStatus({
        isFinished: true,
        closeStatus: 'idle',
        update: { closeStatus: 'ready', updatedAt: now },
        limit: 10,
      })
      const { statements } = opened.statements
      if (backend.dialect === 'pg') expect(statements).toHaveLength(1)
      expect(claimed).toBe(5)
      const [waitingAfter, cancelledAfter, ...rest] = await opened.storage.getManyById(
        [waiting, cancelled, ...children, finalize, notReady].map((row) => ({ executionId: row.executionId })),
      )
      // Two ordinary children released to the waiting parent; the finalize child is not counted.
      expect([waitingAfter?.activeChildrenCount, waitingAfter?.updatedAt, waitingAfter?.closeStatus]).toEqual([1, now, 'idle'])
      expect([cancelledAfter?.activeChildrenCount, cancelledAfter?.updatedAt, cancelledAfter?.closeStatus]).toEqual([1, now, 'ready'])
      expect(rest.map((row) => row?.closeStatus)).toEqual(['ready', 'ready', 'ready', 'ready', 'ready'])
    })

    it('updates parents and inserts the children of those that matched in one statement on PostgreSQL', async () => {
      await opened.storage.deleteAll()
      const now = Date.now()
      const running = buildTaskExecutionRow({ status: 'running', updatedAt: now - 100 })
      const stale = buildTaskExecutionRow({ status: 'ready', updatedAt: now - 100 })
      await opened.storage.insertMany([running, stale])
      const [runningChildren, staleChildren] = [running, stale].map((parent) => [
        buildChildRow(parent, { input: 'first', link: { indexInParentChildren: 0 } }),
        buildChildRow(parent, { input: 'second', sleepingTaskUniqueId: `unique-${parent.executionId}`, link: { indexInParentChildren: 1 } }),
      ])
      const update = { status: 'waiting_for_children', activeChildrenCount: 2, waitingForChildrenStartedAt: now, updatedAt: now } as const
      opened.statements.reset()
      const matched = await opened.storage.updateManyByIdAndInsertChildrenIfUpdated(
        [running, stale].map((parent, index) => ({
          executionId: parent.executionId,
          filters: { status: 'running' },
          update,
          childrenTaskExecutionsToInsertIfAnyUpdated: (index === 0 ? runningChildren : staleChildren) ?? [],
        })),
      )
      if (backend.dialect === 'pg') expect(opened.statements.statements).toHaveLength(1)
      // On MySQL (no RETURNING) the merged UPDATE missed a row: rolled back, then one request at a time.
      if (backend.dialect === 'mysql') expect(opened.statements.count('update')).toBe(3)
      expect(matched).toEqual([true, false])
      const [inserted, notInserted] = await opened.storage.getManyByParentExecutionId([running, stale].map((parent) => ({ parentExecutionId: parent.executionId })))
      const stored = (child: (typeof inserted & object)[number]) => [child.executionId, child.input, child.parent, child.sleepingTaskUniqueId, child.isSleepingTask, child.status]
      expect(inserted?.map(stored).sort()).toEqual(runningChildren?.map(stored).sort())
      expect(notInserted).toEqual([])
    })

    it('merges the updates of parents that all match into one UPDATE', async () => {
      await opened.storage.deleteAll()
      const now = Date.now()
      const parents = Array.from({ length: 3 }, () => buildTaskExecutionRow({ status: 'running', updatedAt: now - 100 }))
      await opened.storage.insertMany(parents)
      const update = { status: 'waiting_for_children', activeChildrenCount: 1, waitingForChildrenStartedAt: now, updatedAt: now } as const
      opened.statements.reset()
      const matched = await opened.storage.updateManyByIdAndInsertChildrenIfUpdated(
        parents.map((parent) => ({
          executionId: parent.executionId,
          filters: { status: 'running' },
          update,
          childrenTaskExecutionsToInsertIfAnyUpdated: [buildChildRow(parent)],
        })),
      )
      expect(matched).toEqual([true, true, true])
      expect(opened.statements.count('update')).toBe(1)
      // MySQL: READ COMMITTED, set per transaction (tests/sql/mariadb-write-locks.test.ts says why).
      expect(opened.statements.count('set')).toBe(backend.dialect === 'mysql' ? 1 : 0)
      const children = await opened.storage.getManyByParentExecutionId(parents.map((parent) => ({ parentExecutionId: parent.executionId })))
      expect(children.map((list) => list.length)).toEqual([1, 1, 1])
    })
  })
}

describe('statement counts of an idle executor (better-sqlite3 in memory, fake time)', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('sends at most 2 statements a second once idle: the polled version, the sweep-work read and the one-minute backstop', async () => {
    // better-sqlite3 answers synchronously, so fake time drives every loop and read.
    vi.useFakeTimers({ now: 1_000_000 })
    const opened = await sqliteMemoryBackend.open(uniqueTableName('te_idle'))
    const executor = await DurableExecutor.make(opened.storage, { logLevel: 'error' })
    try {
      await executor.start()
      // Past the start-up sweeps and the fast polling after the start.
      await vi.advanceTimersByTimeAsync(15_000)
      opened.statements.reset()
      const seconds = 120
      await vi.advanceTimersByTimeAsync(seconds * 1000)
      const counted = opened.statements.statements.length
      expect(counted).toBeLessThanOrEqual(2 * seconds)
      // Each quiet second reads the version; every 3 s the sweep-work read runs; no expiry UPDATE.
      expect(opened.statements.count('pragma')).toBeGreaterThanOrEqual(seconds * 0.9)
      expect(opened.statements.statements.filter((statement) => statement.startsWith('select exists')).length).toBeGreaterThanOrEqual(seconds / 3.3)
      expect(opened.statements.statements.filter((statement) => /expires_at" </.test(statement) && statement.startsWith('update'))).toEqual([])
    } finally {
      const shutdown = executor.shutdown()
      await vi.runAllTimersAsync()
      await shutdown
      await opened.close()
    }
  })
})
