/**
 * Conformance cases of `getManyByParentExecutionId` and
 * `updateManyByParentExecutionIdAndIsFinished` (spec 2.3; 5.1 B cases 25-26).
 */
import { expect } from 'vitest'

import type { TaskExecutionStorageUpdate, TaskExecutionStorageValue } from '../../core/storage.js'
import { expectRowEqual, expectRowsUntouched } from './assertions.js'
import type { StorageSuiteCase } from './case.js'
import { buildChildRow, buildTaskExecutionRow, randomExecutionId } from './row-builder.js'

function byExecutionId(
  rows: ReadonlyArray<TaskExecutionStorageValue>,
): Array<TaskExecutionStorageValue> {
  return [...rows].sort((a, b) => (a.executionId < b.executionId ? -1 : 1))
}

function expectSameRows(
  actual: ReadonlyArray<TaskExecutionStorageValue>,
  expected: ReadonlyArray<TaskExecutionStorageValue>,
): void {
  expect(actual).toHaveLength(expected.length)
  const sortedActual = byExecutionId(actual)
  byExecutionId(expected).forEach((row, index) => expectRowEqual(sortedActual[index], row))
}

/** The children cases, in run order. */
export const childrenCases: ReadonlyArray<StorageSuiteCase> = [
  {
    group: 'getManyByParentExecutionId',
    specCase: 25,
    behaviour: 'returns every child of each parent, finalize child included',
    run: async (storage) => {
      const now = Date.now()
      const parent = buildTaskExecutionRow({ now, status: 'waiting_for_children' })
      const otherParent = buildTaskExecutionRow({ now, status: 'waiting_for_children' })
      const childless = buildTaskExecutionRow({ now })
      const children = [
        buildChildRow(parent, { now, link: { indexInParentChildren: 0 } }),
        buildChildRow(parent, { now, link: { indexInParentChildren: 1 } }),
        buildChildRow(parent, {
          now,
          link: { indexInParentChildren: -1, isFinalizeOfParent: true },
        }),
      ]
      const onlyChild = buildChildRow(otherParent, { now, link: { isOnlyChildOfParent: true } })
      await storage.insertMany([parent, otherParent, childless, ...children, onlyChild])

      const [found] = await storage.getManyByParentExecutionId([
        { parentExecutionId: parent.executionId },
      ])
      expectSameRows(found!, children)
      for (const child of found!) {
        expect(child.parent!.executionId).toBe(parent.executionId)
        expect(child.parent!.taskId).toBe(parent.taskId)
      }
      const finalize = found!.find((child) => child.parent!.isFinalizeOfParent)
      expect(finalize!.parent).toStrictEqual({
        taskId: parent.taskId,
        executionId: parent.executionId,
        indexInParentChildren: -1,
        isOnlyChildOfParent: false,
        isFinalizeOfParent: true,
      })

      expect(
        await storage.getManyByParentExecutionId([{ parentExecutionId: randomExecutionId() }]),
      ).toStrictEqual([[]])
      expect(
        await storage.getManyByParentExecutionId([{ parentExecutionId: childless.executionId }]),
      ).toStrictEqual([[]])
      const positional = await storage.getManyByParentExecutionId([
        { parentExecutionId: parent.executionId },
        { parentExecutionId: otherParent.executionId },
        { parentExecutionId: childless.executionId },
      ])
      expect(positional.map((rows) => rows.length)).toStrictEqual([3, 1, 0])
      expectSameRows(positional[1]!, [onlyChild])
    },
  },
  {
    group: 'updateManyByParentExecutionIdAndIsFinished',
    specCase: 26,
    behaviour: 'updates all children of the parent with the given isFinished, and only those',
    run: async (storage) => {
      const now = Date.now()
      const parent = buildTaskExecutionRow({ now, status: 'cancelled', isFinished: true })
      const otherParent = buildTaskExecutionRow({ now, status: 'waiting_for_children' })
      const ready = buildChildRow(parent, { now })
      const running = buildChildRow(parent, {
        now,
        status: 'running',
        startedAt: now,
        expiresAt: now + 60_000,
        link: { indexInParentChildren: 1 },
      })
      const completed = buildChildRow(parent, {
        now,
        status: 'completed',
        isFinished: true,
        output: 'output',
        finishedAt: now,
        link: { indexInParentChildren: 2 },
      })
      const cousin = buildChildRow(otherParent, { now })
      await storage.insertMany([parent, otherParent, ready, running, completed, cousin])

      const cancel: TaskExecutionStorageUpdate = {
        status: 'cancelled',
        isFinished: true,
        error: {
          errorType: 'cancelled',
          message: `Parent task ${parent.taskId} with execution id ${parent.executionId} was cancelled`,
          isRetryable: false,
          isInternal: false,
        },
        finishedAt: now + 1,
        needsPromiseCancellation: true,
        updatedAt: now + 1,
        unset: { expiresAt: true },
      }
      await storage.updateManyByParentExecutionIdAndIsFinished([
        { parentExecutionId: parent.executionId, isFinished: false, update: cancel },
      ])
      const { unset: _unset, ...cancelFields } = cancel
      const { expiresAt: _expiresAt, ...runningWithoutLease } = running
      const cancelledReady = { ...ready, ...cancelFields }
      const cancelledRunning = { ...runningWithoutLease, ...cancelFields }
      const [afterCancel] = await storage.getManyByParentExecutionId([
        { parentExecutionId: parent.executionId },
      ])
      expectSameRows(afterCancel!, [cancelledReady, cancelledRunning, completed])
      await expectRowsUntouched(storage, [parent, otherParent, cousin])

      const lateChild = buildChildRow(parent, {
        now,
        status: 'running',
        link: { indexInParentChildren: 3 },
      })
      await storage.insertMany([lateChild])
      await storage.updateManyByParentExecutionIdAndIsFinished([
        {
          parentExecutionId: parent.executionId,
          isFinished: true,
          update: { closeStatus: 'ready', updatedAt: now + 2 },
        },
      ])
      const [afterClose] = await storage.getManyByParentExecutionId([
        { parentExecutionId: parent.executionId },
      ])
      const closeReady = { closeStatus: 'ready' as const, updatedAt: now + 2 }
      expectSameRows(afterClose!, [
        { ...cancelledReady, ...closeReady },
        { ...cancelledRunning, ...closeReady },
        { ...completed, ...closeReady },
        lateChild,
      ])
      await expectRowsUntouched(storage, [parent, otherParent, cousin])
    },
  },
]
