/**
 * Conformance cases of `updateAndDecrementParentActiveChildrenCountByIsFinishedAndCloseStatus`
 * (spec 2.3; 5.1 B case 27): the close-ready sweep that releases each claimed child to its parent.
 */
import { expect } from 'vitest'

import type {
  TaskExecutionsStorage,
  TaskExecutionStorageValue,
} from '../../core/storage.js'
import { expectRowEqual, expectRowsUntouched, readRow } from './assertions.js'
import type { StorageSuiteCase } from './case.js'
import { buildChildRow, buildTaskExecutionRow, randomExecutionId, randomTaskId } from './row-builder.js'

const group = 'updateAndDecrementParentActiveChildrenCountByIsFinishedAndCloseStatus'
const PAST_MS = 10_000
const FUTURE_MS = 10_000

function finishedChildOf(
  parent: TaskExecutionStorageValue,
  now: number,
  updatedAt: number,
  indexInParentChildren: number,
): TaskExecutionStorageValue {
  return buildChildRow(parent, {
    now,
    status: 'completed',
    isFinished: true,
    output: 'output',
    finishedAt: updatedAt,
    updatedAt,
    link: { indexInParentChildren },
  })
}

async function insertChildrenThroughParent(
  storage: TaskExecutionsStorage,
  parent: TaskExecutionStorageValue,
  children: ReadonlyArray<TaskExecutionStorageValue>,
): Promise<void> {
  await storage.updateManyByIdAndInsertChildrenIfUpdated([
    {
      executionId: parent.executionId,
      update: { updatedAt: parent.updatedAt },
      childrenTaskExecutionsToInsertIfAnyUpdated: [...children],
    },
  ])
}

/** The decrement cases, in run order. */
export const decrementCases: ReadonlyArray<StorageSuiteCase> = [
  {
    group,
    specCase: 27,
    behaviour: "claims finished children, oldest updatedAt first, and releases each to its parent",
    run: async (storage) => {
      const now = Date.now()
      const waitingParent = (activeChildrenCount: number) =>
        buildTaskExecutionRow({
          now,
          status: 'waiting_for_children',
          activeChildrenCount,
          updatedAt: now - 3 * PAST_MS,
        })
      const parent1 = waitingParent(3)
      const parent2 = waitingParent(2)
      await storage.insertMany([parent1, parent2])
      const past = finishedChildOf(parent1, now, now - PAST_MS, 0)
      const unfinished = buildChildRow(parent1, {
        now,
        status: 'running',
        updatedAt: now - 2 * PAST_MS,
        link: { indexInParentChildren: 1 },
      })
      const current = finishedChildOf(parent2, now, now, 0)
      const future = finishedChildOf(parent2, now, now + FUTURE_MS, 1)
      await insertChildrenThroughParent(storage, parent1, [past, unfinished])
      await insertChildrenThroughParent(storage, parent2, [future, current])
      await expectRowsUntouched(storage, [parent1, parent2, past, unfinished, current, future])

      const sweep = (limit: number, updatedAt: number) =>
        storage.updateAndDecrementParentActiveChildrenCountByIsFinishedAndCloseStatus({
          isFinished: true,
          closeStatus: 'idle',
          update: { closeStatus: 'ready', updatedAt },
          limit,
        })

      expect(await sweep(2, now + 100)).toBe(2)
      expectRowEqual(await readRow(storage, past.executionId), {
        ...past,
        closeStatus: 'ready',
        updatedAt: now + 100,
      })
      expectRowEqual(await readRow(storage, current.executionId), {
        ...current,
        closeStatus: 'ready',
        updatedAt: now + 100,
      })
      expectRowEqual(await readRow(storage, parent1.executionId), {
        ...parent1,
        activeChildrenCount: 2,
        updatedAt: now + 100,
      })
      expectRowEqual(await readRow(storage, parent2.executionId), {
        ...parent2,
        activeChildrenCount: 1,
        updatedAt: now + 100,
      })
      await expectRowsUntouched(storage, [future, unfinished])

      expect(await sweep(10, now + 200)).toBe(1)
      expectRowEqual(await readRow(storage, future.executionId), {
        ...future,
        closeStatus: 'ready',
        updatedAt: now + 200,
      })
      expectRowEqual(await readRow(storage, parent2.executionId), {
        ...parent2,
        activeChildrenCount: 0,
        updatedAt: now + 200,
      })
      expectRowEqual(await readRow(storage, parent1.executionId), {
        ...parent1,
        activeChildrenCount: 2,
        updatedAt: now + 100,
      })

      expect(await sweep(10, now + 300)).toBe(0)
      await expectRowsUntouched(storage, [unfinished])
    },
  },
  {
    group,
    behaviour: 'claims a finished child whose parent row is missing without failing',
    run: async (storage) => {
      const now = Date.now()
      const missingParentId = randomExecutionId()
      const orphan = buildTaskExecutionRow({
        now,
        status: 'failed',
        isFinished: true,
        root: { taskId: randomTaskId(), executionId: missingParentId },
        parent: {
          taskId: randomTaskId(),
          executionId: missingParentId,
          indexInParentChildren: 0,
          isOnlyChildOfParent: true,
          isFinalizeOfParent: false,
        },
      })
      const topLevel = buildTaskExecutionRow({ now, status: 'completed', isFinished: true })
      await storage.insertMany([orphan, topLevel])
      const claimed =
        await storage.updateAndDecrementParentActiveChildrenCountByIsFinishedAndCloseStatus({
          isFinished: true,
          closeStatus: 'idle',
          update: { closeStatus: 'ready', updatedAt: now + 1 },
          limit: 10,
        })
      expect(claimed).toBe(2)
      for (const row of [orphan, topLevel]) {
        expectRowEqual(await readRow(storage, row.executionId), {
          ...row,
          closeStatus: 'ready',
          updatedAt: now + 1,
        })
      }
      expect(await storage.getManyById([{ executionId: missingParentId }])).toStrictEqual([
        undefined,
      ])
    },
  },
]
