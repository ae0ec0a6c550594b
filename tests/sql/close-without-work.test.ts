/**
 * The close-ready sweep's shortcut (`closesRowsWithoutClosingWorkAt`): claimed rows whose close
 * only marks them closed (`hasClosingWork` false) are closed in the same statement, the others go
 * to `ready` for the close sweep as before; the parents' counters are released either way. On
 * the in-memory storage and every SQL backend; without the field, every claimed row goes to
 * `ready`, as upstream's storages do.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hasClosingWork } from '../../src/core/closing-work.js'
import { InMemoryTaskExecutionsStorage } from '../../src/core/in-memory-storage.js'
import { InvalidStorageValueError, type TaskExecutionsStorage, type TaskExecutionStorageValue } from '../../src/core/index.js'
import { buildChildRow, buildTaskExecutionRow } from '../../src/testing/index.js'
import { availableBackends } from './available-backends.js'
import { uniqueTableName } from './backends.js'

const { backends, shutdown } = await availableBackends()
afterAll(shutdown)

const PAST = 1_700_000_000_000
const SWEPT_AT = PAST + 1_000

/** A parent waiting for its children, and finished rows of every closing kind, by name. */
function finishedRows() {
  const parent = buildTaskExecutionRow({ now: PAST, status: 'waiting_for_children', activeChildrenCount: 2, updatedAt: PAST })
  const finished = { isFinished: true, closeStatus: 'idle', finishedAt: PAST, updatedAt: PAST } as const
  const someChild = { taskId: 'task_x', executionId: 'te_not_stored' }
  const rows = {
    // Finished after the time the sweep was given: it is closed at its finish, never before.
    completedChild: buildChildRow(parent, { now: PAST, ...finished, finishedAt: SWEPT_AT + 5, status: 'completed', output: '1', link: { indexInParentChildren: 0 } }),
    failedChild: buildChildRow(parent, {
      now: PAST,
      ...finished,
      status: 'failed',
      error: { errorType: 'generic', message: 'boom', isRetryable: false, isInternal: false },
      link: { indexInParentChildren: 1 },
    }),
    completedParent: buildTaskExecutionRow({ now: PAST, ...finished, status: 'completed', output: '2', children: [someChild] }),
    finalizeChild: buildChildRow(parent, { now: PAST, ...finished, status: 'completed', output: '3', link: { isFinalizeOfParent: true } }),
    failedParent: buildTaskExecutionRow({
      now: PAST,
      ...finished,
      status: 'failed',
      error: { errorType: 'generic', message: 'boom', isRetryable: false, isInternal: false },
      children: [someChild],
    }),
    cancelledWithFinalize: buildTaskExecutionRow({
      now: PAST,
      ...finished,
      status: 'cancelled',
      error: { errorType: 'cancelled', message: 'cancelled', isRetryable: false, isInternal: false },
      finalize: someChild,
    }),
  }
  return { parent, rows }
}

/** The storages: the in-memory one, and one per SQL backend. */
const storages: Array<{ name: string; open: () => Promise<{ storage: TaskExecutionsStorage; close: () => Promise<void> }> }> = [
  { name: 'the in-memory storage', open: async () => ({ storage: new InMemoryTaskExecutionsStorage(), close: async () => {} }) },
  ...backends.map((backend) => ({
    name: backend.name,
    open: async () => {
      const opened = await backend.open(uniqueTableName('te_cwow'))
      return { storage: opened.storage, close: () => opened.close() }
    },
  })),
]

for (const { name, open } of storages) {
  describe(`the close-ready sweep on ${name}`, () => {
    let storage: TaskExecutionsStorage
    let close: () => Promise<void>
    beforeAll(async () => {
      ;({ storage, close } = await open())
    })
    afterAll(async () => {
      await close()
    })

    const sweep = (closesRowsWithoutClosingWork: boolean) =>
      storage.updateAndDecrementParentActiveChildrenCountByIsFinishedAndCloseStatus({
        isFinished: true,
        closeStatus: 'idle',
        update: { closeStatus: 'ready', updatedAt: SWEPT_AT },
        limit: 10,
        ...(closesRowsWithoutClosingWork ? { closesRowsWithoutClosingWorkAt: SWEPT_AT } : {}),
      })

    const read = async (row: TaskExecutionStorageValue) => (await storage.getManyById([{ executionId: row.executionId }]))[0]!

    it('closes the rows without closing work at once and leaves the others to the close sweep', async () => {
      await storage.deleteAll()
      const { parent, rows } = finishedRows()
      await storage.insertMany([parent, ...Object.values(rows)])

      expect(await sweep(true)).toBe(6)

      const closeStatuses = Object.fromEntries(await Promise.all(Object.entries(rows).map(async ([key, row]) => [key, (await read(row)).closeStatus])))
      expect(closeStatuses).toEqual({
        completedChild: 'closed',
        failedChild: 'closed',
        completedParent: 'closed',
        finalizeChild: 'ready',
        failedParent: 'ready',
        cancelledWithFinalize: 'ready',
      })
      // The executor's own test of the same rows agrees.
      for (const [key, row] of Object.entries(rows)) expect([key, hasClosingWork(row)]).toEqual([key, closeStatuses[key] === 'ready'])
      for (const row of Object.values(rows)) {
        const stored = await read(row)
        expect(stored).toEqual({
          ...row,
          closeStatus: stored.closeStatus,
          updatedAt: SWEPT_AT,
          ...(stored.closeStatus === 'closed' ? { closedAt: Math.max(SWEPT_AT, row.finishedAt!) } : {}),
        })
      }
      // The two ordinary children are released to their parent; the finalize child never counted.
      expect(await read(parent)).toEqual({ ...parent, activeChildrenCount: 0, updatedAt: SWEPT_AT })
    })

    it('refuses a time that is not whole milliseconds, naming it, and writes nothing', async () => {
      await storage.deleteAll()
      const { parent, rows } = finishedRows()
      await storage.insertMany([parent, ...Object.values(rows)])
      const error = await Promise.resolve()
        .then(() =>
          storage.updateAndDecrementParentActiveChildrenCountByIsFinishedAndCloseStatus({
            isFinished: true,
            closeStatus: 'idle',
            update: { closeStatus: 'ready', updatedAt: SWEPT_AT },
            limit: 10,
            closesRowsWithoutClosingWorkAt: SWEPT_AT + 0.5,
          }),
        )
        .catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(InvalidStorageValueError)
      expect((error as InvalidStorageValueError).field).toBe('request.closesRowsWithoutClosingWorkAt')
      for (const row of [parent, ...Object.values(rows)]) expect(await read(row)).toEqual(row)
    })

    it('moves every claimed row to ready without the field', async () => {
      await storage.deleteAll()
      const { parent, rows } = finishedRows()
      await storage.insertMany([parent, ...Object.values(rows)])

      expect(await sweep(false)).toBe(6)

      for (const row of Object.values(rows)) expect(await read(row)).toEqual({ ...row, closeStatus: 'ready', updatedAt: SWEPT_AT })
      expect(await read(parent)).toEqual({ ...parent, activeChildrenCount: 0, updatedAt: SWEPT_AT })
    })
  })
}
