/** Conformance cases of `insertMany` (spec 2.3; 5.1 B cases 11-13). */
import { expect } from 'vitest'

import type { TaskExecutionStorageValue } from '../../core/storage.js'
import {
  expectNoNullFields,
  expectRowEqual,
  expectRowsAbsent,
  expectRowsUntouched,
  expectTimestampNear,
} from './assertions.js'
import type { StorageSuiteCase } from './case.js'
import {
  buildTaskExecutionRow,
  randomExecutionId,
  randomSleepingTaskUniqueId,
  randomTaskId,
} from './row-builder.js'

const group = 'insertMany'

const OPTIONAL_FIELDS_ABSENT_AT_INSERT = [
  'executorId',
  'runOutput',
  'output',
  'error',
  'startedAt',
  'expiresAt',
  'waitingForChildrenStartedAt',
  'waitingForFinalizeStartedAt',
  'finishedAt',
  'children',
  'onChildrenFinishedProcessingExpiresAt',
  'onChildrenFinishedProcessingFinishedAt',
  'finalize',
  'closeExpiresAt',
  'closedAt',
] as const satisfies ReadonlyArray<keyof TaskExecutionStorageValue>

function expectInitialRecordReadBack(
  read: TaskExecutionStorageValue | undefined,
  inserted: TaskExecutionStorageValue,
  now: number,
): void {
  expect(read).toBeDefined()
  const row = read!
  expectNoNullFields(row)
  expect(row.root).toStrictEqual(inserted.root)
  expect(row.parent).toStrictEqual(inserted.parent)
  expect(row.taskId).toBe(inserted.taskId)
  expect(row.executionId).toBe(inserted.executionId)
  expect(row.isSleepingTask).toBe(inserted.isSleepingTask)
  expect(row.sleepingTaskUniqueId).toBe(inserted.sleepingTaskUniqueId)
  expect(row.retryOptions).toStrictEqual({ maxAttempts: 0 })
  expect(row.sleepMsBeforeRun).toBe(0)
  expect(row.timeoutMs).toBe(1000)
  expect(row.areChildrenSequential).toBe(false)
  expect(row.input).toBe('')
  expect(row.status).toBe('ready')
  expect(row.isFinished).toBe(false)
  expect(row.retryAttempts).toBe(0)
  expect(row.startAt).toBe(inserted.startAt)
  expect(row.activeChildrenCount).toBe(0)
  expect(row.onChildrenFinishedProcessingStatus).toBe('idle')
  expect(row.closeStatus).toBe('idle')
  expect(row.needsPromiseCancellation).toBe(false)
  for (const field of OPTIONAL_FIELDS_ABSENT_AT_INSERT) {
    expect(row[field], `${field} of a new row`).toBeUndefined()
  }
  expectTimestampNear(row.createdAt, now)
  expectTimestampNear(row.createdAt, row.updatedAt)
  expectRowEqual(row, inserted)
}

/** The `insertMany` cases, in run order. */
export const insertManyCases: ReadonlyArray<StorageSuiteCase> = [
  {
    group,
    specCase: 11,
    behaviour: 'inserts rows and reads every field back as given',
    run: async (storage) => {
      const now = Date.now()
      const plain = buildTaskExecutionRow({ now })
      const linked = buildTaskExecutionRow({
        now,
        root: { taskId: randomTaskId(), executionId: randomExecutionId() },
        parent: {
          taskId: randomTaskId(),
          executionId: randomExecutionId(),
          indexInParentChildren: 3,
          isOnlyChildOfParent: false,
          isFinalizeOfParent: false,
        },
        sleepingTaskUniqueId: randomSleepingTaskUniqueId(),
        status: 'ready',
        startedAt: undefined,
        expiresAt: undefined,
      })
      expect(linked.isSleepingTask).toBe(true)
      await storage.insertMany([plain, linked])

      const [readPlain, readLinked] = await storage.getManyById([
        { executionId: plain.executionId },
        { executionId: linked.executionId },
      ])
      expectInitialRecordReadBack(readPlain, plain, now)
      expect(readPlain!.root).toBeUndefined()
      expect(readPlain!.parent).toBeUndefined()
      expect(readPlain!.sleepingTaskUniqueId).toBeUndefined()
      expectInitialRecordReadBack(readLinked, linked, now)
      expect(readLinked!.isSleepingTask).toBe(true)
    },
  },
  {
    group,
    specCase: 12,
    behaviour: 'rejects a row whose executionId already exists',
    run: async (storage) => {
      const existing = buildTaskExecutionRow()
      await storage.insertMany([existing])
      const duplicate = buildTaskExecutionRow({ executionId: existing.executionId })
      await expect(async () => storage.insertMany([duplicate])).rejects.toThrow()
      await expectRowsUntouched(storage, [existing])
    },
  },
  {
    group,
    specCase: 13,
    behaviour: 'rejects a row whose sleepingTaskUniqueId already exists',
    run: async (storage) => {
      const sleepingTaskUniqueId = randomSleepingTaskUniqueId()
      const existing = buildTaskExecutionRow({ sleepingTaskUniqueId })
      await storage.insertMany([existing])
      const duplicate = buildTaskExecutionRow({ sleepingTaskUniqueId })
      await expect(async () => storage.insertMany([duplicate])).rejects.toThrow()
      await expectRowsAbsent(storage, [duplicate.executionId])
      const [found] = await storage.getManyBySleepingTaskUniqueId([{ sleepingTaskUniqueId }])
      expectRowEqual(found, existing)
    },
  },
  {
    group,
    behaviour: 'inserts nothing when one row of the call is a duplicate',
    run: async (storage) => {
      const existing = buildTaskExecutionRow({ sleepingTaskUniqueId: randomSleepingTaskUniqueId() })
      await storage.insertMany([existing])
      const fresh = buildTaskExecutionRow()
      const duplicateId = buildTaskExecutionRow({ executionId: existing.executionId })
      await expect(async () => storage.insertMany([fresh, duplicateId])).rejects.toThrow()
      const duplicateUniqueId = buildTaskExecutionRow({
        sleepingTaskUniqueId: existing.sleepingTaskUniqueId,
      })
      await expect(async () => storage.insertMany([fresh, duplicateUniqueId])).rejects.toThrow()
      await expectRowsAbsent(storage, [fresh.executionId, duplicateUniqueId.executionId])
      await expectRowsUntouched(storage, [existing])
    },
  },
  {
    group,
    behaviour: 'rejects duplicates within one call and inserts none of its rows',
    run: async (storage) => {
      const first = buildTaskExecutionRow()
      const sameId = buildTaskExecutionRow({ executionId: first.executionId })
      await expect(async () => storage.insertMany([first, sameId])).rejects.toThrow()
      await expectRowsAbsent(storage, [first.executionId])

      const sleepingTaskUniqueId = randomSleepingTaskUniqueId()
      const sleeperA = buildTaskExecutionRow({ sleepingTaskUniqueId })
      const sleeperB = buildTaskExecutionRow({ sleepingTaskUniqueId })
      await expect(async () => storage.insertMany([sleeperA, sleeperB])).rejects.toThrow()
      await expectRowsAbsent(storage, [sleeperA.executionId, sleeperB.executionId])
    },
  },
  {
    group,
    behaviour: 'accepts an empty list and rows without a sleepingTaskUniqueId side by side',
    run: async (storage) => {
      await storage.insertMany([])
      const rows: Array<TaskExecutionStorageValue> = [buildTaskExecutionRow(), buildTaskExecutionRow()]
      await storage.insertMany(rows)
      await expectRowsUntouched(storage, rows)
    },
  },
]
