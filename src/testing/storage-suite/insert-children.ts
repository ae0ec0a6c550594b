/** Conformance cases of `updateManyByIdAndInsertChildrenIfUpdated` (spec 2.3; 5.1 B case 17). */
import { expect } from 'vitest'

import type { TaskExecutionStorageUpdate, TaskExecutionStorageValue } from '../../core/storage.js'
import { expectRowEqual, expectRowsAbsent, expectRowsUntouched, readRow } from './assertions.js'
import type { StorageSuiteCase } from './case.js'
import { matchingFilters, nonMatchingFilters } from './filters.js'
import {
  buildChildRow,
  buildTaskExecutionRow,
  randomExecutorId,
  summaryOf,
} from './row-builder.js'

const group = 'updateManyByIdAndInsertChildrenIfUpdated'

function buildRunningParent(now: number): TaskExecutionStorageValue {
  return buildTaskExecutionRow({
    now,
    status: 'running',
    executorId: randomExecutorId(),
    startedAt: now,
    expiresAt: now + 60_000,
  })
}

function buildTwoChildren(
  parent: TaskExecutionStorageValue,
  now: number,
): Array<TaskExecutionStorageValue> {
  return [0, 1].map((index) =>
    buildChildRow(parent, { now, link: { indexInParentChildren: index } }),
  )
}

function waitingForChildrenUpdate(
  children: ReadonlyArray<TaskExecutionStorageValue>,
  now: number,
): TaskExecutionStorageUpdate {
  return {
    status: 'waiting_for_children',
    runOutput: 'run_output',
    children: children.map(summaryOf),
    activeChildrenCount: children.length,
    waitingForChildrenStartedAt: now + 1,
    updatedAt: now + 1,
    unset: { executorId: true, expiresAt: true },
  }
}

function waitingForChildrenRow(
  parent: TaskExecutionStorageValue,
  children: ReadonlyArray<TaskExecutionStorageValue>,
  now: number,
): TaskExecutionStorageValue {
  const { executorId: _executorId, expiresAt: _expiresAt, ...kept } = parent
  return {
    ...kept,
    status: 'waiting_for_children',
    runOutput: 'run_output',
    children: children.map(summaryOf),
    activeChildrenCount: children.length,
    waitingForChildrenStartedAt: now + 1,
    updatedAt: now + 1,
  }
}

/** The `updateManyByIdAndInsertChildrenIfUpdated` cases, in run order. */
export const insertChildrenCases: ReadonlyArray<StorageSuiteCase> = [
  {
    group,
    specCase: 17,
    behaviour: 'inserts the children if and only if the parent update matched',
    run: async (storage) => {
      const now = Date.now()
      const template = buildRunningParent(now)

      for (const filters of matchingFilters(template)) {
        const parent = buildRunningParent(now)
        await storage.insertMany([parent])
        const children = buildTwoChildren(parent, now)
        await storage.updateManyByIdAndInsertChildrenIfUpdated([
          {
            executionId: parent.executionId,
            filters,
            update: waitingForChildrenUpdate(children, now),
            childrenTaskExecutionsToInsertIfAnyUpdated: children,
          },
        ])
        expectRowEqual(
          await readRow(storage, parent.executionId),
          waitingForChildrenRow(parent, children, now),
        )
        await expectRowsUntouched(storage, children)
        const [readChild] = await storage.getManyById([{ executionId: children[1]!.executionId }])
        expect(readChild!.parent).toStrictEqual({
          taskId: parent.taskId,
          executionId: parent.executionId,
          indexInParentChildren: 1,
          isOnlyChildOfParent: false,
          isFinalizeOfParent: false,
        })
        expect(readChild!.root).toStrictEqual(summaryOf(parent))
      }

      for (const filters of nonMatchingFilters(template)) {
        const parent = buildRunningParent(now)
        await storage.insertMany([parent])
        const children = buildTwoChildren(parent, now)
        await storage.updateManyByIdAndInsertChildrenIfUpdated([
          {
            executionId: parent.executionId,
            filters,
            update: waitingForChildrenUpdate(children, now),
            childrenTaskExecutionsToInsertIfAnyUpdated: children,
          },
        ])
        await expectRowsUntouched(storage, [parent])
        await expectRowsAbsent(
          storage,
          children.map((child) => child.executionId),
        )
      }

      const firstParent = buildRunningParent(now)
      const secondParent = buildRunningParent(now)
      await storage.insertMany([firstParent, secondParent])
      for (const parent of [firstParent, secondParent]) {
        const child = buildChildRow(parent, { now, link: { isOnlyChildOfParent: true } })
        await storage.updateManyByIdAndInsertChildrenIfUpdated([
          {
            executionId: parent.executionId,
            filters: { status: 'running' },
            update: waitingForChildrenUpdate([child], now),
            childrenTaskExecutionsToInsertIfAnyUpdated: [child],
          },
        ])
        expectRowEqual(
          await readRow(storage, parent.executionId),
          waitingForChildrenRow(parent, [child], now),
        )
        await expectRowsUntouched(storage, [child])
      }
    },
  },
  {
    group,
    behaviour: 'handles each request of one call on its own, and no children as a plain update',
    run: async (storage) => {
      const now = Date.now()
      const matched = buildRunningParent(now)
      const filteredOut = buildRunningParent(now)
      const childless = buildRunningParent(now)
      await storage.insertMany([matched, filteredOut, childless])
      const matchedChildren = buildTwoChildren(matched, now)
      const filteredOutChildren = buildTwoChildren(filteredOut, now)
      await storage.updateManyByIdAndInsertChildrenIfUpdated([
        {
          executionId: matched.executionId,
          filters: { status: 'running' },
          update: waitingForChildrenUpdate(matchedChildren, now),
          childrenTaskExecutionsToInsertIfAnyUpdated: matchedChildren,
        },
        {
          executionId: filteredOut.executionId,
          filters: { status: 'ready' },
          update: waitingForChildrenUpdate(filteredOutChildren, now),
          childrenTaskExecutionsToInsertIfAnyUpdated: filteredOutChildren,
        },
        {
          executionId: childless.executionId,
          update: waitingForChildrenUpdate([], now),
          childrenTaskExecutionsToInsertIfAnyUpdated: [],
        },
      ])
      expectRowEqual(
        await readRow(storage, matched.executionId),
        waitingForChildrenRow(matched, matchedChildren, now),
      )
      await expectRowsUntouched(storage, [...matchedChildren, filteredOut])
      await expectRowsAbsent(
        storage,
        filteredOutChildren.map((child) => child.executionId),
      )
      expectRowEqual(
        await readRow(storage, childless.executionId),
        waitingForChildrenRow(childless, [], now),
      )
    },
  },
  {
    group,
    behaviour: 'rejects and leaves the parent unchanged when a child cannot be inserted',
    run: async (storage) => {
      const now = Date.now()
      const parent = buildRunningParent(now)
      const occupant = buildTaskExecutionRow({ now })
      await storage.insertMany([parent, occupant])
      const fresh = buildChildRow(parent, { now })
      const clashing = buildChildRow(parent, {
        now,
        executionId: occupant.executionId,
        link: { indexInParentChildren: 1 },
      })
      await expect(async () =>
        storage.updateManyByIdAndInsertChildrenIfUpdated([
          {
            executionId: parent.executionId,
            filters: { status: 'running' },
            update: waitingForChildrenUpdate([fresh, clashing], now),
            childrenTaskExecutionsToInsertIfAnyUpdated: [fresh, clashing],
          },
        ]),
      ).rejects.toThrow()
      await expectRowsUntouched(storage, [parent, occupant])
      await expectRowsAbsent(storage, [fresh.executionId])
    },
  },
]
