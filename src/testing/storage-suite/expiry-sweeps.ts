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

/**
 * One background lease (children-finished processing or closing): how a row holding it looks, how
 * a row past it looks, the updates the executor writes, and the sweep that releases it.
 */
type BackgroundLease = {
  group: string
  specCase: number
  name: string
  heldBy: (now: number, leaseEnd: number) => TaskExecutionStorageValue
  finishedLongAgo: (now: number) => TaskExecutionStorageValue
  finishUpdate: (now: number) => TaskExecutionStorageUpdate
  requeueUpdate: (now: number) => TaskExecutionStorageUpdate
  sweep: (
    storage: TaskExecutionsStorage,
    bound: number,
    update: TaskExecutionStorageUpdate,
    limit: number,
  ) => Promise<number> | number
}

const childrenFinishedLease: BackgroundLease = {
  group: 'updateByOnChildrenFinishedProcessingExpiresAtLessThan',
  specCase: 22,
  name: 'children-finished',
  heldBy: (now, leaseEnd) =>
    buildTaskExecutionRow({
      now,
      status: 'waiting_for_children',
      onChildrenFinishedProcessingStatus: 'processing',
      onChildrenFinishedProcessingExpiresAt: leaseEnd,
    }),
  finishedLongAgo: (now) =>
    buildTaskExecutionRow({
      now,
      status: 'completed',
      isFinished: true,
      onChildrenFinishedProcessingStatus: 'processed',
      onChildrenFinishedProcessingFinishedAt: now - 2 * PAST_MS,
      updatedAt: now - 3 * PAST_MS,
    }),
  finishUpdate: (now) => ({
    onChildrenFinishedProcessingStatus: 'processed',
    onChildrenFinishedProcessingFinishedAt: now + 1,
    updatedAt: now + 1,
    unset: { onChildrenFinishedProcessingExpiresAt: true },
  }),
  requeueUpdate: (now) => ({
    onChildrenFinishedProcessingStatus: 'idle',
    updatedAt: now,
    unset: { onChildrenFinishedProcessingExpiresAt: true },
  }),
  sweep: (storage, bound, update, limit) =>
    storage.updateByOnChildrenFinishedProcessingExpiresAtLessThan({
      onChildrenFinishedProcessingExpiresAtLessThan: bound,
      update,
      limit,
    }),
}

const closeLease: BackgroundLease = {
  group: 'updateByCloseExpiresAtLessThan',
  specCase: 23,
  name: 'close',
  heldBy: (now, leaseEnd) =>
    buildTaskExecutionRow({
      now,
      status: 'completed',
      isFinished: true,
      closeStatus: 'closing',
      closeExpiresAt: leaseEnd,
    }),
  finishedLongAgo: (now) =>
    buildTaskExecutionRow({
      now,
      status: 'completed',
      isFinished: true,
      closeStatus: 'closed',
      closedAt: now - 2 * PAST_MS,
      updatedAt: now - 3 * PAST_MS,
    }),
  finishUpdate: (now) => ({
    closeStatus: 'closed',
    closedAt: now + 1,
    updatedAt: now + 1,
    unset: { closeExpiresAt: true },
  }),
  requeueUpdate: (now) => ({ closeStatus: 'ready', updatedAt: now, unset: { closeExpiresAt: true } }),
  sweep: (storage, bound, update, limit) =>
    storage.updateByCloseExpiresAtLessThan({ closeExpiresAtLessThan: bound, update, limit }),
}

/** Run-out leases are released (at most `limit`); live leases and rows past the lease stay untouched. */
function releasesRunOutLeasesCase(lease: BackgroundLease): StorageSuiteCase {
  return {
    group: lease.group,
    specCase: lease.specCase,
    behaviour: `releases run-out ${lease.name} leases, leaving live leases alone`,
    run: async (storage) => {
      const now = Date.now()
      const past = lease.heldBy(now, now - PAST_MS)
      const future = lease.heldBy(now, now + FUTURE_MS)
      const current = lease.heldBy(now, now)
      const finished = lease.finishedLongAgo(now)
      await storage.insertMany([future, finished, current, past])

      const update = lease.finishUpdate(now)
      expect(await lease.sweep(storage, now + BOUND_AFTER_NOW_MS, update, 2)).toBe(2)
      await expectUpdated(storage, [past, current], update)
      await expectRowsUntouched(storage, [future, finished])
    },
  }
}

/** The earliest lease goes first, and a lease ending exactly at the bound has not run out. */
function earliestLeaseFirstCase(lease: BackgroundLease): StorageSuiteCase {
  return {
    group: lease.group,
    behaviour: 'takes the earliest lease first and never a lease ending at the bound',
    run: async (storage) => {
      const now = Date.now()
      const earliest = lease.heldBy(now, now - 3000)
      const middle = lease.heldBy(now, now - 2000)
      const atBound = lease.heldBy(now, now)
      await storage.insertMany([middle, atBound, earliest])
      const update = lease.requeueUpdate(now)
      expect(await lease.sweep(storage, now, update, 1)).toBe(1)
      await expectUpdated(storage, [earliest], update)
      await expectRowsUntouched(storage, [middle, atBound])
      expect(await lease.sweep(storage, now, update, 10)).toBe(1)
      await expectRowsUntouched(storage, [atBound])
    },
  }
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
  releasesRunOutLeasesCase(childrenFinishedLease),
  earliestLeaseFirstCase(childrenFinishedLease),
  releasesRunOutLeasesCase(closeLease),
  earliestLeaseFirstCase(closeLease),
]
