/**
 * Conformance cases of the claim methods that return rows (spec 2.3; 5.1 B cases 18-20, 24):
 * the right rows, at most `limit`, in the stated order, post-update values, the rest untouched.
 */
import { expect } from 'vitest'

import type { TaskExecutionStorageUpdate, TaskExecutionStorageValue } from '../../core/storage.js'
import {
  expectExecutionIds,
  expectRowEqual,
  expectRowsUntouched,
  expectTimestampNear,
} from './assertions.js'
import type { StorageSuiteCase } from './case.js'
import { buildTaskExecutionRow, randomExecutorId } from './row-builder.js'

const PAST_MS = 10_000
const FUTURE_MS = 10_000

/** Asserts each claimed row equals its original with `fields` applied, both returned and stored. */
async function expectClaimed(
  storage: Parameters<StorageSuiteCase['run']>[0],
  claimed: ReadonlyArray<TaskExecutionStorageValue>,
  originals: ReadonlyArray<TaskExecutionStorageValue>,
  fields: (original: TaskExecutionStorageValue) => Partial<TaskExecutionStorageValue>,
): Promise<void> {
  expectExecutionIds(
    claimed,
    originals.map((row) => row.executionId),
  )
  const stored = await storage.getManyById(originals.map((row) => ({ executionId: row.executionId })))
  originals.forEach((original, index) => {
    const expected = { ...original, ...fields(original) }
    expectRowEqual(claimed[index], expected)
    expectRowEqual(stored[index], expected)
  })
}

function fieldsOf(update: TaskExecutionStorageUpdate): Partial<TaskExecutionStorageValue> {
  const { unset: _unset, ...fields } = update
  return fields
}

/** The returning claim cases, in run order. */
export const claimCases: ReadonlyArray<StorageSuiteCase> = [
  {
    group: 'updateByStatusAndStartAtLessThanAndReturn',
    specCase: 18,
    behaviour: 'claims ready rows due before the bound, earliest startAt first, up to the limit',
    run: async (storage) => {
      const now = Date.now()
      const readyPast = buildTaskExecutionRow({ now, startAt: now - PAST_MS })
      const readyFuture = buildTaskExecutionRow({ now, startAt: now + FUTURE_MS })
      const readyNow = buildTaskExecutionRow({ now, startAt: now })
      const runningPast = buildTaskExecutionRow({
        now,
        status: 'running',
        startAt: now - 2 * PAST_MS,
      })
      const completedPast = buildTaskExecutionRow({
        now,
        status: 'completed',
        isFinished: true,
        startAt: now - 2 * PAST_MS,
      })
      await storage.insertMany([readyFuture, readyNow, runningPast, readyPast, completedPast])

      const executorId = randomExecutorId()
      const update: TaskExecutionStorageUpdate = {
        executorId,
        status: 'running',
        startedAt: now,
        updatedAt: now,
      }
      const claimed = await storage.updateByStatusAndStartAtLessThanAndReturn({
        status: 'ready',
        startAtLessThan: now + FUTURE_MS + 1000,
        update,
        updateExpiresAtWithStartedAt: now + 10_000,
        limit: 2,
      })
      await expectClaimed(storage, claimed, [readyPast, readyNow], (original) => ({
        ...fieldsOf(update),
        expiresAt: now + 10_000 + original.timeoutMs,
      }))
      for (const row of claimed) {
        expect(row.status).toBe('running')
        expect(row.executorId).toBe(executorId)
        expectTimestampNear(row.expiresAt, now + row.timeoutMs + 10_000)
      }
      await expectRowsUntouched(storage, [readyFuture, runningPast, completedPast])

      const none = await storage.updateByStatusAndStartAtLessThanAndReturn({
        status: 'failed',
        startAtLessThan: now + FUTURE_MS + 1000,
        update,
        updateExpiresAtWithStartedAt: now + 10_000,
        limit: 10,
      })
      expect(none).toStrictEqual([])
    },
  },
  {
    group: 'updateByStatusAndStartAtLessThanAndReturn',
    behaviour: 'does not claim a row whose startAt equals the bound',
    run: async (storage) => {
      const now = Date.now()
      const row = buildTaskExecutionRow({ now, startAt: now })
      await storage.insertMany([row])
      const request = {
        status: 'ready' as const,
        update: { status: 'running' as const, updatedAt: now + 1 },
        updateExpiresAtWithStartedAt: now,
        limit: 10,
      }
      expect(
        await storage.updateByStatusAndStartAtLessThanAndReturn({ ...request, startAtLessThan: now }),
      ).toStrictEqual([])
      await expectRowsUntouched(storage, [row])
      const claimed = await storage.updateByStatusAndStartAtLessThanAndReturn({
        ...request,
        startAtLessThan: now + 1,
      })
      expectExecutionIds(claimed, [row.executionId])
    },
  },
  {
    group: 'updateByStatusAndOnChildrenFinishedProcessingStatusAndActiveChildrenCountZeroAndReturn',
    specCase: 19,
    behaviour: 'claims parents with no active children, oldest updatedAt first, up to the limit',
    run: async (storage) => {
      const now = Date.now()
      const waiting = (updatedAt: number, activeChildrenCount = 0) =>
        buildTaskExecutionRow({
          now,
          status: 'waiting_for_children',
          activeChildrenCount,
          updatedAt,
        })
      const past = waiting(now - PAST_MS)
      const future = waiting(now + FUTURE_MS)
      const current = waiting(now)
      const withActiveChildren = waiting(now - 2 * PAST_MS, 2)
      const completed = buildTaskExecutionRow({
        now,
        status: 'completed',
        isFinished: true,
        updatedAt: now - 2 * PAST_MS,
      })
      await storage.insertMany([future, current, withActiveChildren, past, completed])

      const update: TaskExecutionStorageUpdate = {
        onChildrenFinishedProcessingStatus: 'processing',
        onChildrenFinishedProcessingExpiresAt: now + 120_000,
        updatedAt: now + 1,
      }
      const claimed =
        await storage.updateByStatusAndOnChildrenFinishedProcessingStatusAndActiveChildrenCountZeroAndReturn(
          {
            status: 'waiting_for_children',
            onChildrenFinishedProcessingStatus: 'idle',
            update,
            limit: 2,
          },
        )
      await expectClaimed(storage, claimed, [past, current], () => fieldsOf(update))
      await expectRowsUntouched(storage, [future, withActiveChildren, completed])
    },
  },
  {
    group: 'updateByCloseStatusAndReturn',
    specCase: 20,
    behaviour: 'claims rows with the close status, oldest updatedAt first, up to the limit',
    run: async (storage) => {
      const now = Date.now()
      const finished = (updatedAt: number, closeStatus: TaskExecutionStorageValue['closeStatus']) =>
        buildTaskExecutionRow({
          now,
          status: 'completed',
          isFinished: true,
          closeStatus,
          updatedAt,
        })
      const past = finished(now - PAST_MS, 'ready')
      const future = finished(now + FUTURE_MS, 'ready')
      const current = finished(now, 'ready')
      const closing = { ...finished(now - 2 * PAST_MS, 'closing'), closeExpiresAt: now + 5000 }
      const closed = { ...finished(now - 2 * PAST_MS, 'closed'), closedAt: now - PAST_MS }
      await storage.insertMany([future, closing, current, closed, past])

      const update: TaskExecutionStorageUpdate = {
        closeStatus: 'closing',
        closeExpiresAt: now + 120_000,
        updatedAt: now + 1,
      }
      const claimed = await storage.updateByCloseStatusAndReturn({
        closeStatus: 'ready',
        update,
        limit: 2,
      })
      await expectClaimed(storage, claimed, [past, current], () => fieldsOf(update))
      await expectRowsUntouched(storage, [future, closing, closed])
    },
  },
  {
    group: 'updateByExecutorIdAndNeedsPromiseCancellationAndReturn',
    specCase: 24,
    behaviour: "claims the executor's flagged rows, oldest updatedAt first, up to the limit",
    run: async (storage) => {
      const now = Date.now()
      const executor1 = randomExecutorId()
      const executor2 = randomExecutorId()
      const cancelled = (executorId: string, needsPromiseCancellation: boolean, updatedAt: number) =>
        buildTaskExecutionRow({
          now,
          status: 'cancelled',
          isFinished: true,
          executorId,
          needsPromiseCancellation,
          updatedAt,
        })
      const past = cancelled(executor1, true, now - PAST_MS)
      const current = cancelled(executor1, true, now)
      const future = cancelled(executor1, true, now + FUTURE_MS)
      const otherExecutor = cancelled(executor2, true, now - 2 * PAST_MS)
      const unflagged = cancelled(executor1, false, now - 2 * PAST_MS)
      await storage.insertMany([future, otherExecutor, current, unflagged, past])

      const update: TaskExecutionStorageUpdate = {
        needsPromiseCancellation: false,
        updatedAt: now + 1,
      }
      const claimed = await storage.updateByExecutorIdAndNeedsPromiseCancellationAndReturn({
        executorId: executor1,
        needsPromiseCancellation: true,
        update,
        limit: 2,
      })
      await expectClaimed(storage, claimed, [past, current], () => fieldsOf(update))
      await expectRowsUntouched(storage, [future, otherExecutor, unflagged])
    },
  },
]
