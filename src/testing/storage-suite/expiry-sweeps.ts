/**
 * Conformance cases of the lease sweeps that return a count (spec 2.3; 5.1 B cases 21-23): rows
 * whose lease is before the bound (strictly), earliest lease first, at most `limit`.
 */
import { expect } from 'vitest'

import type {
  TaskExecutionsStorage,
  TaskExecutionStorageUpdate,
  TaskExecutionStorageValue,
} from '../../core/storage.js'
import { expectRowEqual, expectRowsUntouched, readRow } from './assertions.js'
import type { StorageSuiteCase } from './case.js'
import {
  buildTaskExecutionRow,
  randomExecutorId,
  randomSleepingTaskUniqueId,
} from './row-builder.js'

const PAST_MS = 10_000
const FUTURE_MS = 60_000
/** Sweep bound: a little after "now", so a lease ending exactly now has run out. */
const BOUND_AFTER_NOW_MS = 1000

function withoutFields(
  row: TaskExecutionStorageValue,
  fields: ReadonlyArray<keyof TaskExecutionStorageValue>,
): TaskExecutionStorageValue {
  const copy = { ...row }
  for (const field of fields) delete copy[field]
  return copy
}

async function expectUpdated(
  storage: TaskExecutionsStorage,
  rows: ReadonlyArray<TaskExecutionStorageValue>,
  update: TaskExecutionStorageUpdate,
): Promise<void> {
  const { unset, ...fields } = update
  const unsetFields = Object.entries(unset ?? {})
    .filter(([, isUnset]) => isUnset === true)
    .map(([field]) => field as keyof TaskExecutionStorageValue)
  for (const row of rows) {
    const expected = { ...withoutFields(row, unsetFields), ...fields }
    for (const field of unsetFields) delete expected[field]
    expectRowEqual(await readRow(storage, row.executionId), expected)
  }
}

function runningRow(now: number, expiresAt: number | undefined, isSleeping = false) {
  return buildTaskExecutionRow({
    now,
    status: 'running',
    executorId: isSleeping ? undefined : randomExecutorId(),
    startedAt: now - 2 * PAST_MS,
    expiresAt,
    ...(isSleeping ? { sleepingTaskUniqueId: randomSleepingTaskUniqueId() } : {}),
  })
}

function processingRow(now: number, leaseEnd: number) {
  return buildTaskExecutionRow({
    now,
    status: 'waiting_for_children',
    onChildrenFinishedProcessingStatus: 'processing',
    onChildrenFinishedProcessingExpiresAt: leaseEnd,
  })
}

function closingRow(now: number, leaseEnd: number) {
  return buildTaskExecutionRow({
    now,
    status: 'completed',
    isFinished: true,
    closeStatus: 'closing',
    closeExpiresAt: leaseEnd,
  })
}

/** The count-returning sweep cases, in run order. */
export const expirySweepCases: ReadonlyArray<StorageSuiteCase> = [
  {
    group: 'updateByStatusAndIsSleepingTaskAndExpiresAtLessThan',
    specCase: 21,
    behaviour: 'recovers expired running rows, separately for sleeping and other tasks',
    run: async (storage) => {
      const now = Date.now()
      const past = runningRow(now, now - PAST_MS)
      const future = runningRow(now, now + FUTURE_MS)
      const current = runningRow(now, now)
      const withoutLease = runningRow(now, undefined)
      const completed = buildTaskExecutionRow({
        now,
        status: 'completed',
        isFinished: true,
        expiresAt: now - PAST_MS,
      })
      const sleeping = runningRow(now, now - PAST_MS, true)
      await storage.insertMany([future, completed, current, withoutLease, sleeping, past])

      const retry: TaskExecutionStorageUpdate = {
        status: 'ready',
        error: {
          errorType: 'generic',
          message: 'Task execution expired',
          isRetryable: true,
          isInternal: true,
        },
        startAt: now,
        updatedAt: now + 1,
        unset: { executorId: true, startedAt: true, expiresAt: true },
      }
      const retried = await storage.updateByStatusAndIsSleepingTaskAndExpiresAtLessThan({
        status: 'running',
        isSleepingTask: false,
        expiresAtLessThan: now + BOUND_AFTER_NOW_MS,
        update: retry,
        limit: 2,
      })
      expect(retried).toBe(2)
      await expectUpdated(storage, [past, current], retry)
      await expectRowsUntouched(storage, [future, withoutLease, completed, sleeping])

      const timedOut: TaskExecutionStorageUpdate = {
        status: 'timed_out',
        isFinished: true,
        error: {
          errorType: 'timed_out',
          message: 'Task execution timed out',
          isRetryable: true,
          isInternal: false,
        },
        startAt: now,
        finishedAt: now + 1,
        updatedAt: now + 1,
        unset: { expiresAt: true },
      }
      const expiredSleepers = await storage.updateByStatusAndIsSleepingTaskAndExpiresAtLessThan({
        status: 'running',
        isSleepingTask: true,
        expiresAtLessThan: now + BOUND_AFTER_NOW_MS,
        update: timedOut,
        limit: 2,
      })
      expect(expiredSleepers).toBe(1)
      await expectUpdated(storage, [sleeping], timedOut)
      const sleeper = await readRow(storage, sleeping.executionId)
      expect(sleeper!.error).toStrictEqual({
        errorType: 'timed_out',
        message: 'Task execution timed out',
        isRetryable: true,
        isInternal: false,
      })
      await expectRowsUntouched(storage, [future, withoutLease, completed])
    },
  },
  {
    group: 'updateByStatusAndIsSleepingTaskAndExpiresAtLessThan',
    behaviour: 'takes the earliest expiresAt first and never a lease ending at the bound',
    run: async (storage) => {
      const now = Date.now()
      const earliest = runningRow(now, now - 3000)
      const middle = runningRow(now, now - 2000)
      const atBound = runningRow(now, now)
      await storage.insertMany([middle, atBound, earliest])
      const update: TaskExecutionStorageUpdate = { status: 'ready', startAt: now, updatedAt: now }
      const request = { status: 'running' as const, isSleepingTask: false, update }
      expect(
        await storage.updateByStatusAndIsSleepingTaskAndExpiresAtLessThan({
          ...request,
          expiresAtLessThan: now,
          limit: 1,
        }),
      ).toBe(1)
      await expectUpdated(storage, [earliest], update)
      await expectRowsUntouched(storage, [middle, atBound])
      expect(
        await storage.updateByStatusAndIsSleepingTaskAndExpiresAtLessThan({
          ...request,
          expiresAtLessThan: now,
          limit: 10,
        }),
      ).toBe(1)
      await expectRowsUntouched(storage, [atBound])
    },
  },
  {
    group: 'updateByOnChildrenFinishedProcessingExpiresAtLessThan',
    specCase: 22,
    behaviour: 'releases run-out children-finished leases, leaving live leases alone',
    run: async (storage) => {
      const now = Date.now()
      const past = processingRow(now, now - PAST_MS)
      const future = processingRow(now, now + FUTURE_MS)
      const current = processingRow(now, now)
      const processed = buildTaskExecutionRow({
        now,
        status: 'completed',
        isFinished: true,
        onChildrenFinishedProcessingStatus: 'processed',
        onChildrenFinishedProcessingFinishedAt: now - 2 * PAST_MS,
        updatedAt: now - 3 * PAST_MS,
      })
      await storage.insertMany([future, processed, current, past])

      const update: TaskExecutionStorageUpdate = {
        onChildrenFinishedProcessingStatus: 'processed',
        onChildrenFinishedProcessingFinishedAt: now + 1,
        updatedAt: now + 1,
        unset: { onChildrenFinishedProcessingExpiresAt: true },
      }
      const released = await storage.updateByOnChildrenFinishedProcessingExpiresAtLessThan({
        onChildrenFinishedProcessingExpiresAtLessThan: now + BOUND_AFTER_NOW_MS,
        update,
        limit: 2,
      })
      expect(released).toBe(2)
      await expectUpdated(storage, [past, current], update)
      await expectRowsUntouched(storage, [future, processed])
    },
  },
  {
    group: 'updateByOnChildrenFinishedProcessingExpiresAtLessThan',
    behaviour: 'takes the earliest lease first and never a lease ending at the bound',
    run: async (storage) => {
      const now = Date.now()
      const earliest = processingRow(now, now - 3000)
      const middle = processingRow(now, now - 2000)
      const atBound = processingRow(now, now)
      await storage.insertMany([middle, atBound, earliest])
      const update: TaskExecutionStorageUpdate = {
        onChildrenFinishedProcessingStatus: 'idle',
        updatedAt: now,
        unset: { onChildrenFinishedProcessingExpiresAt: true },
      }
      const sweep = (limit: number) =>
        storage.updateByOnChildrenFinishedProcessingExpiresAtLessThan({
          onChildrenFinishedProcessingExpiresAtLessThan: now,
          update,
          limit,
        })
      expect(await sweep(1)).toBe(1)
      await expectUpdated(storage, [earliest], update)
      await expectRowsUntouched(storage, [middle, atBound])
      expect(await sweep(10)).toBe(1)
      await expectRowsUntouched(storage, [atBound])
    },
  },
  {
    group: 'updateByCloseExpiresAtLessThan',
    specCase: 23,
    behaviour: 'releases run-out close leases, leaving live leases alone',
    run: async (storage) => {
      const now = Date.now()
      const past = closingRow(now, now - PAST_MS)
      const future = closingRow(now, now + FUTURE_MS)
      const current = closingRow(now, now)
      const closed = buildTaskExecutionRow({
        now,
        status: 'completed',
        isFinished: true,
        closeStatus: 'closed',
        closedAt: now - 2 * PAST_MS,
        updatedAt: now - 3 * PAST_MS,
      })
      await storage.insertMany([future, closed, current, past])

      const update: TaskExecutionStorageUpdate = {
        closeStatus: 'closed',
        closedAt: now + 1,
        updatedAt: now + 1,
        unset: { closeExpiresAt: true },
      }
      const released = await storage.updateByCloseExpiresAtLessThan({
        closeExpiresAtLessThan: now + BOUND_AFTER_NOW_MS,
        update,
        limit: 2,
      })
      expect(released).toBe(2)
      await expectUpdated(storage, [past, current], update)
      await expectRowsUntouched(storage, [future, closed])
    },
  },
  {
    group: 'updateByCloseExpiresAtLessThan',
    behaviour: 'takes the earliest lease first and never a lease ending at the bound',
    run: async (storage) => {
      const now = Date.now()
      const earliest = closingRow(now, now - 3000)
      const middle = closingRow(now, now - 2000)
      const atBound = closingRow(now, now)
      await storage.insertMany([middle, atBound, earliest])
      const update: TaskExecutionStorageUpdate = {
        closeStatus: 'ready',
        updatedAt: now,
        unset: { closeExpiresAt: true },
      }
      const sweep = (limit: number) =>
        storage.updateByCloseExpiresAtLessThan({ closeExpiresAtLessThan: now, update, limit })
      expect(await sweep(1)).toBe(1)
      await expectUpdated(storage, [earliest], update)
      await expectRowsUntouched(storage, [middle, atBound])
      expect(await sweep(10)).toBe(1)
      await expectRowsUntouched(storage, [atBound])
    },
  },
]
