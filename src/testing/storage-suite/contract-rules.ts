/**
 * Conformance cases of the general rules of spec 2.1 that cut across methods: limits of zero or
 * less, rows handed out as copies, and the delete helpers (which free a sleeping-task unique id).
 */
import { expect } from 'vitest'

import { expectRowEqual, expectRowsAbsent, expectRowsUntouched, readRow } from './assertions.js'
import type { StorageSuiteCase } from './case.js'
import {
  buildChildRow,
  buildTaskExecutionRow,
  randomExecutionId,
  randomExecutorId,
  randomSleepingTaskUniqueId,
} from './row-builder.js'

/** The cross-method cases, in run order. */
export const contractRuleCases: ReadonlyArray<StorageSuiteCase> = [
  {
    group: 'claim limits',
    behaviour: 'every claim method returns [] or 0 and touches nothing when limit is 0 or less',
    run: async (storage) => {
      const now = Date.now()
      const executorId = randomExecutorId()
      // Two candidates per claim, so an implementation slicing with a negative limit is caught.
      const buildEligibleRows = () => [
        buildTaskExecutionRow({ now, startAt: now - 1000 }),
        buildTaskExecutionRow({ now, status: 'waiting_for_children' }),
        buildTaskExecutionRow({
          now,
          status: 'running',
          executorId,
          needsPromiseCancellation: true,
          expiresAt: now - 1000,
          onChildrenFinishedProcessingStatus: 'processing',
          onChildrenFinishedProcessingExpiresAt: now - 1000,
        }),
        buildTaskExecutionRow({
          now,
          status: 'completed',
          isFinished: true,
          closeStatus: 'closing',
          closeExpiresAt: now - 1000,
        }),
        buildTaskExecutionRow({ now, status: 'failed', isFinished: true, closeStatus: 'ready' }),
        buildTaskExecutionRow({ now, status: 'failed', isFinished: true }),
      ]
      const rows = [...buildEligibleRows(), ...buildEligibleRows()]
      await storage.insertMany(rows)
      const update = { updatedAt: now + 1 }
      for (const limit of [0, -1]) {
        expect(
          await storage.updateByStatusAndStartAtLessThanAndReturn({
            status: 'ready',
            startAtLessThan: now + 1000,
            update,
            updateExpiresAtWithStartedAt: now,
            limit,
          }),
        ).toStrictEqual([])
        expect(
          await storage.updateByStatusAndOnChildrenFinishedProcessingStatusAndActiveChildrenCountZeroAndReturn(
            {
              status: 'waiting_for_children',
              onChildrenFinishedProcessingStatus: 'idle',
              update,
              limit,
            },
          ),
        ).toStrictEqual([])
        expect(
          await storage.updateByCloseStatusAndReturn({ closeStatus: 'ready', update, limit }),
        ).toStrictEqual([])
        expect(
          await storage.updateByStatusAndIsSleepingTaskAndExpiresAtLessThan({
            status: 'running',
            isSleepingTask: false,
            expiresAtLessThan: now,
            update,
            limit,
          }),
        ).toBe(0)
        expect(
          await storage.updateByOnChildrenFinishedProcessingExpiresAtLessThan({
            onChildrenFinishedProcessingExpiresAtLessThan: now,
            update,
            limit,
          }),
        ).toBe(0)
        expect(
          await storage.updateByCloseExpiresAtLessThan({
            closeExpiresAtLessThan: now,
            update,
            limit,
          }),
        ).toBe(0)
        expect(
          await storage.updateByExecutorIdAndNeedsPromiseCancellationAndReturn({
            executorId,
            needsPromiseCancellation: true,
            update,
            limit,
          }),
        ).toStrictEqual([])
        expect(
          await storage.updateAndDecrementParentActiveChildrenCountByIsFinishedAndCloseStatus({
            isFinished: true,
            closeStatus: 'idle',
            update,
            limit,
          }),
        ).toBe(0)
      }
      await expectRowsUntouched(storage, rows)
    },
  },
  {
    group: 'returned rows',
    behaviour: 'are copies: changing a row given or returned does not change the storage',
    run: async (storage) => {
      const now = Date.now()
      const parent = buildTaskExecutionRow({
        now,
        status: 'waiting_for_children',
        error: { errorType: 'generic', message: 'error', isRetryable: true, isInternal: false },
      })
      const child = buildChildRow(parent, { now, startAt: now - 1000 })
      const pristine = [structuredClone(parent), structuredClone(child)]
      await storage.insertMany([parent, child])
      parent.status = 'failed'
      parent.error!.message = 'changed after insert'
      child.parent!.indexInParentChildren = 99
      await expectRowsUntouched(storage, pristine)

      const [read] = await storage.getManyById([{ executionId: pristine[0]!.executionId }])
      read!.status = 'failed'
      read!.error!.message = 'changed after read'
      read!.retryOptions.maxAttempts = 99
      const [children] = await storage.getManyByParentExecutionId([
        { parentExecutionId: pristine[0]!.executionId },
      ])
      children![0]!.parent!.indexInParentChildren = 99
      children![0]!.root!.taskId = 'changed'
      await expectRowsUntouched(storage, pristine)

      const [claimed] = await storage.updateByStatusAndStartAtLessThanAndReturn({
        status: 'ready',
        startAtLessThan: now,
        update: { status: 'running', updatedAt: now + 1 },
        updateExpiresAtWithStartedAt: now,
        limit: 1,
      })
      const claimedCopy = structuredClone(claimed!)
      claimed!.status = 'cancelled'
      claimed!.parent!.isFinalizeOfParent = true
      expectRowEqual(await readRow(storage, claimedCopy.executionId), claimedCopy)
    },
  },
  {
    group: 'deleteById and deleteAll',
    behaviour: 'deleteById removes one row and frees its sleepingTaskUniqueId',
    run: async (storage) => {
      const sleepingTaskUniqueId = randomSleepingTaskUniqueId()
      const sleeper = buildTaskExecutionRow({ sleepingTaskUniqueId })
      const kept = buildTaskExecutionRow()
      await storage.insertMany([sleeper, kept])
      await storage.deleteById({ executionId: sleeper.executionId })
      await storage.deleteById({ executionId: randomExecutionId() })
      await expectRowsAbsent(storage, [sleeper.executionId])
      expect(
        await storage.getManyBySleepingTaskUniqueId([{ sleepingTaskUniqueId }]),
      ).toStrictEqual([undefined])
      await expectRowsUntouched(storage, [kept])

      const successor = buildTaskExecutionRow({ sleepingTaskUniqueId })
      await storage.insertMany([successor])
      const [found] = await storage.getManyBySleepingTaskUniqueId([{ sleepingTaskUniqueId }])
      expectRowEqual(found, successor)
    },
  },
  {
    group: 'deleteById and deleteAll',
    behaviour: 'deleteAll removes every row',
    run: async (storage) => {
      const parent = buildTaskExecutionRow()
      const rows = [
        parent,
        buildChildRow(parent),
        buildTaskExecutionRow({ sleepingTaskUniqueId: randomSleepingTaskUniqueId() }),
      ]
      await storage.insertMany(rows)
      await storage.deleteAll()
      await expectRowsAbsent(
        storage,
        rows.map((row) => row.executionId),
      )
      expect(
        await storage.getManyByParentExecutionId([{ parentExecutionId: parent.executionId }]),
      ).toStrictEqual([[]])
      await storage.insertMany(rows)
      await expectRowsUntouched(storage, rows)
    },
  },
]
