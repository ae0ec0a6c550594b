/**
 * `findSweepWork`: one statement says which of the executor's sweeps would find a row, each flag
 * exactly the sweep's own filter (strict `<` on the times), on every dialect.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TaskExecutionsStorageSweepWork, TaskExecutionStorageValue } from '../../src/core/index.js'
import { buildTaskExecutionRow } from '../../src/testing/index.js'
import { availableBackends } from './available-backends.js'
import { uniqueTableName, type OpenedBackend } from './backends.js'
import { NO_SWEEP_WORK as NO_WORK } from './fixtures/no-sweep-work.js'

const { backends, shutdown } = await availableBackends()
afterAll(shutdown)

const NOW = 1_800_000_000_000
const EXECUTOR_ID = 'executor-sweeps'

/** A row no sweep finds at {@link NOW}: ready, but not before a minute later. */
const quietRow = (overrides: Partial<TaskExecutionStorageValue> = {}) =>
  buildTaskExecutionRow({ now: NOW - 10_000, startAt: NOW + 60_000, ...overrides })

/** For each sweep: a row only it finds, and a row just outside its filter. */
const ROWS: Record<keyof TaskExecutionsStorageSweepWork, { finds: () => TaskExecutionStorageValue; misses: () => TaskExecutionStorageValue }> = {
  ready: { finds: () => quietRow({ startAt: NOW - 1 }), misses: () => quietRow({ startAt: NOW }) },
  childrenFinished: {
    finds: () => quietRow({ status: 'waiting_for_children', activeChildrenCount: 0 }),
    misses: () => quietRow({ status: 'waiting_for_children', activeChildrenCount: 1 }),
  },
  closeReady: {
    finds: () => quietRow({ status: 'completed', isFinished: true, closeStatus: 'idle' }),
    misses: () => quietRow({ status: 'completed', isFinished: true, closeStatus: 'closed' }),
  },
  close: { finds: () => quietRow({ closeStatus: 'ready' }), misses: () => quietRow({ closeStatus: 'closing' }) },
  promiseCancellation: {
    finds: () => quietRow({ status: 'running', executorId: EXECUTOR_ID, needsPromiseCancellation: true, expiresAt: NOW + 60_000 }),
    misses: () => quietRow({ status: 'running', executorId: 'another-executor', needsPromiseCancellation: true, expiresAt: NOW + 60_000 }),
  },
  expiredRuns: {
    finds: () => quietRow({ status: 'running', executorId: 'another-executor', expiresAt: NOW - 1 }),
    misses: () => quietRow({ status: 'running', executorId: 'another-executor', expiresAt: NOW }),
  },
  expiredSleeps: {
    finds: () => quietRow({ status: 'running', isSleepingTask: true, sleepingTaskUniqueId: 'sleeper-found', expiresAt: NOW - 1 }),
    misses: () => quietRow({ status: 'running', isSleepingTask: true, sleepingTaskUniqueId: 'sleeper-missed', expiresAt: NOW }),
  },
  expiredChildrenFinishedProcessing: {
    finds: () => quietRow({ status: 'waiting_for_children', activeChildrenCount: 0, onChildrenFinishedProcessingStatus: 'processing', onChildrenFinishedProcessingExpiresAt: NOW - 1 }),
    misses: () => quietRow({ status: 'waiting_for_children', activeChildrenCount: 0, onChildrenFinishedProcessingStatus: 'processing', onChildrenFinishedProcessingExpiresAt: NOW }),
  },
  expiredClosing: {
    finds: () => quietRow({ status: 'completed', isFinished: true, closeStatus: 'closing', closeExpiresAt: NOW - 1 }),
    misses: () => quietRow({ status: 'completed', isFinished: true, closeStatus: 'closing', closeExpiresAt: NOW }),
  },
}

for (const backend of backends) {
  describe(`findSweepWork on ${backend.name}`, () => {
    let opened: OpenedBackend<unknown>
    beforeAll(async () => {
      opened = await backend.open(uniqueTableName('te_sweeps'), { enableTestMode: true })
    })
    afterAll(async () => {
      await opened.close()
    })

    const read = () => opened.storage.findSweepWork({ now: NOW, executorId: EXECUTOR_ID })

    it('finds no work in an empty table, in one statement', async () => {
      await opened.storage.deleteAll()
      opened.statements.reset()
      expect(await read()).toEqual(NO_WORK)
      expect(opened.statements.statements).toHaveLength(1)
    })

    for (const [sweep, rows] of Object.entries(ROWS) as Array<[keyof TaskExecutionsStorageSweepWork, (typeof ROWS)[keyof typeof ROWS]]>) {
      it(`flags ${sweep} for a row its sweep finds, and not for one just outside its filter`, async () => {
        await opened.storage.deleteAll()
        await opened.storage.insertMany([rows.misses()])
        expect(await read()).toEqual(NO_WORK)
        await opened.storage.insertMany([rows.finds()])
        expect(await read()).toEqual({ ...NO_WORK, [sweep]: true })
      })
    }
  })
}
