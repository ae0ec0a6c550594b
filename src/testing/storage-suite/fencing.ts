/**
 * Conformance cases beyond upstream (the optional parts of the contract): lease tokens written by
 * claims and honoured as by-id filters (fencing), by-id updates that say whether each row matched,
 * expiry counts kept by the run expiry sweep, and the database clock. The takeover of a lease is
 * staged step by step: claim, expire, re-claim, then a late write from the first holder.
 */
import { expect } from 'vitest'

import type { TaskExecutionsStorage, TaskExecutionStorageValue } from '../../core/storage.js'
import { expectRowEqual, expectRowsUntouched, readRow } from './assertions.js'
import type { StorageSuiteCase } from './case.js'
import { buildChildRow, buildTaskExecutionRow, randomExecutorId } from './row-builder.js'

const GROUP = 'fencing, expiry counts and the clock (beyond upstream)'
const PAST_MS = 10_000

function runningUnder(leaseToken: string, now: number, overrides: Partial<TaskExecutionStorageValue> = {}) {
  return buildTaskExecutionRow({
    now,
    status: 'running',
    executorId: randomExecutorId(),
    startedAt: now,
    expiresAt: now + PAST_MS,
    leaseToken,
    ...overrides,
  })
}

/** Claims the ready rows due now under `leaseToken`, with leases that have already ended. */
async function claimWithEndedLease(storage: TaskExecutionsStorage, leaseToken: string, now: number) {
  return await storage.updateByStatusAndStartAtLessThanAndReturn({
    status: 'ready',
    startAtLessThan: now + 1,
    update: { status: 'running', executorId: randomExecutorId(), leaseToken, startedAt: now, updatedAt: now },
    // expiresAt = this + timeoutMs (1000): already in the past.
    updateExpiresAtWithStartedAt: now - 2 * PAST_MS,
    limit: 10,
  })
}

/** Sweeps expired runs back to `ready`, counting each expiry. */
async function sweepExpiredRuns(storage: TaskExecutionsStorage, now: number, incrementExpiryCount: boolean) {
  return await storage.updateByStatusAndIsSleepingTaskAndExpiresAtLessThan({
    status: 'running',
    isSleepingTask: false,
    expiresAtLessThan: now,
    update: {
      status: 'ready',
      error: { errorType: 'generic', message: 'Task execution expired', isRetryable: false, isInternal: false },
      updatedAt: now,
      unset: { executorId: true, startedAt: true, expiresAt: true },
    },
    limit: 10,
    incrementExpiryCount,
  })
}

/** The cases, in run order. */
export const fencingCases: ReadonlyArray<StorageSuiteCase> = [
  {
    group: 'exact comparison (beyond upstream)',
    behaviour: 'tells apart ids and unique ids that differ only in case, accents or trailing spaces',
    run: async (storage) => {
      const now = Date.now()
      const base = buildTaskExecutionRow({ now, sleepingTaskUniqueId: 'Sleep_Key', status: 'running', expiresAt: now + PAST_MS })
      const lookAlikes = ['sleep_key', 'Sleep_Key ', 'Sleep_Kéy'].map((uniqueId, index) =>
        buildTaskExecutionRow({
          now,
          executionId: `${base.executionId}${['_', ' ', 'é'][index]}`.slice(0, 255),
          sleepingTaskUniqueId: uniqueId,
          status: 'running',
          expiresAt: now + PAST_MS,
        }),
      )
      // Each is its own row: no unique index folds them into one.
      await storage.insertMany([base, ...lookAlikes])
      for (const row of [base, ...lookAlikes]) {
        expectRowEqual(await readRow(storage, row.executionId), row)
        const [byUniqueId] = await storage.getManyBySleepingTaskUniqueId([{ sleepingTaskUniqueId: row.sleepingTaskUniqueId! }])
        expect(byUniqueId?.executionId).toBe(row.executionId)
      }
      // An id in other case reaches no row.
      expect(await readRow(storage, base.executionId.toUpperCase())).toBeUndefined()
      expect(await storage.updateManyById([{ executionId: base.executionId.toUpperCase(), update: { output: 'x', updatedAt: now + 1 } }])).toEqual([false])
      expectRowEqual(await readRow(storage, base.executionId), base)
    },
  },
  {
    group: GROUP,
    behaviour: 'stores a lease token and an expiry count given at insert, and reads an absent count as absent',
    run: async (storage) => {
      const now = Date.now()
      const withBoth = runningUnder('lease_a', now, { expiryCount: 3 })
      const withNeither = buildTaskExecutionRow({ now })
      await storage.insertMany([withBoth, withNeither])
      expectRowEqual(await readRow(storage, withBoth.executionId), withBoth)
      expectRowEqual(await readRow(storage, withNeither.executionId), withNeither)
      expect((await readRow(storage, withNeither.executionId))?.expiryCount ?? 0).toBe(0)
    },
  },
  {
    group: GROUP,
    behaviour: 'updates a row only under its own lease token, and answers whether each request matched',
    run: async (storage) => {
      const now = Date.now()
      const rows = Array.from({ length: 6 }, (_, index) => runningUnder(`lease_${index}`, now))
      await storage.insertMany(rows)
      // One call, one shape: every other request carries a stale token.
      const answers = await storage.updateManyById(
        rows.map((row, index) => ({
          executionId: row.executionId,
          filters: { status: 'running', leaseToken: index % 2 === 0 ? row.leaseToken! : 'lease_stale' },
          update: { output: `output ${index}`, updatedAt: now + 1 },
        })),
      )
      expect(answers).toEqual([true, false, true, false, true, false])
      for (const [index, row] of rows.entries()) {
        const expected = index % 2 === 0 ? { ...row, output: `output ${index}`, updatedAt: now + 1 } : row
        expectRowEqual(await readRow(storage, row.executionId), expected)
      }
      expect(await readRow(storage, rows[1]!.executionId, { leaseToken: 'lease_1' })).toBeDefined()
      expect(await readRow(storage, rows[1]!.executionId, { leaseToken: 'lease_0' })).toBeUndefined()
    },
  },
  {
    group: GROUP,
    behaviour: 'lets no late write of a lease holder land after its lease expired and another claim took the row',
    run: async (storage) => {
      const now = Date.now()
      const row = buildTaskExecutionRow({ now, startAt: now - PAST_MS })
      const bystander = runningUnder('lease_bystander', now)
      await storage.insertMany([row, bystander])

      // 1. The first holder claims the row; its lease is over at once.
      const [firstClaim] = await claimWithEndedLease(storage, 'lease_first', now)
      expect(firstClaim).toMatchObject({ executionId: row.executionId, status: 'running', leaseToken: 'lease_first' })
      // 2. An expiry sweep hands the row back, counting the expiry.
      expect(await sweepExpiredRuns(storage, now, true)).toBe(1)
      expect(await readRow(storage, row.executionId)).toMatchObject({ status: 'ready', expiryCount: 1 })
      // 3. A second holder claims it.
      const [secondClaim] = await claimWithEndedLease(storage, 'lease_second', now)
      expect(secondClaim).toMatchObject({ executionId: row.executionId, leaseToken: 'lease_second', expiryCount: 1 })
      const beforeLateWrites = await readRow(storage, row.executionId)

      // 4. The first holder wakes up and writes its result, with and without children.
      const lateUpdate = { status: 'completed' as const, isFinished: true, output: 'late', updatedAt: now + 5 }
      const lateFilters = { status: 'running' as const, leaseToken: 'lease_first' }
      expect(await storage.updateManyById([{ executionId: row.executionId, filters: lateFilters, update: lateUpdate }])).toEqual([false])
      const lateChild = buildChildRow(row, { now })
      expect(
        await storage.updateManyByIdAndInsertChildrenIfUpdated([
          {
            executionId: row.executionId,
            filters: lateFilters,
            update: { status: 'waiting_for_children', updatedAt: now + 6 },
            childrenTaskExecutionsToInsertIfAnyUpdated: [lateChild],
          },
        ]),
      ).toEqual([false])
      expectRowEqual(await readRow(storage, row.executionId), beforeLateWrites!)
      expect(await readRow(storage, lateChild.executionId)).toBeUndefined()

      // 5. The second holder's write lands.
      const currentFilters = { status: 'running' as const, leaseToken: 'lease_second' }
      expect(await storage.updateManyById([{ executionId: row.executionId, filters: currentFilters, update: { ...lateUpdate, output: 'current' } }])).toEqual([true])
      expect(await readRow(storage, row.executionId)).toMatchObject({ status: 'completed', output: 'current', leaseToken: 'lease_second' })
      await expectRowsUntouched(storage, [bystander])
    },
  },
  {
    group: GROUP,
    behaviour: 'adds one to the expiry count of each swept run only when asked to',
    run: async (storage) => {
      const now = Date.now()
      const fresh = runningUnder('lease_fresh', now, { expiresAt: now - PAST_MS })
      const twice = runningUnder('lease_twice', now, { expiresAt: now - PAST_MS, expiryCount: 2 })
      const live = runningUnder('lease_live', now, { expiresAt: now + PAST_MS, expiryCount: 1 })
      await storage.insertMany([fresh, twice, live])
      expect(await sweepExpiredRuns(storage, now, true)).toBe(2)
      expect(await readRow(storage, fresh.executionId)).toMatchObject({ status: 'ready', expiryCount: 1 })
      expect(await readRow(storage, twice.executionId)).toMatchObject({ status: 'ready', expiryCount: 3 })
      await expectRowsUntouched(storage, [live])

      const again = runningUnder('lease_again', now, { expiresAt: now - PAST_MS, expiryCount: 4 })
      await storage.insertMany([again])
      expect(await sweepExpiredRuns(storage, now, false)).toBe(1)
      expect(await readRow(storage, again.executionId)).toMatchObject({ status: 'ready', expiryCount: 4 })
    },
  },
  {
    group: GROUP,
    behaviour: "writes each claim's lease token on the rows it claims",
    run: async (storage) => {
      const now = Date.now()
      const parent = buildTaskExecutionRow({ now, status: 'waiting_for_children', leaseToken: 'lease_run' })
      const finished = buildTaskExecutionRow({ now, status: 'completed', isFinished: true, closeStatus: 'ready', leaseToken: 'lease_run' })
      await storage.insertMany([parent, finished])
      const [claimedParent] = await storage.updateByStatusAndOnChildrenFinishedProcessingStatusAndActiveChildrenCountZeroAndReturn({
        status: 'waiting_for_children',
        onChildrenFinishedProcessingStatus: 'idle',
        update: { onChildrenFinishedProcessingStatus: 'processing', onChildrenFinishedProcessingExpiresAt: now + PAST_MS, leaseToken: 'lease_children', updatedAt: now },
        limit: 10,
      })
      expect(claimedParent).toMatchObject({ executionId: parent.executionId, leaseToken: 'lease_children' })
      const [claimedClose] = await storage.updateByCloseStatusAndReturn({
        closeStatus: 'ready',
        update: { closeStatus: 'closing', closeExpiresAt: now + PAST_MS, leaseToken: 'lease_close', updatedAt: now },
        limit: 10,
      })
      expect(claimedClose).toMatchObject({ executionId: finished.executionId, leaseToken: 'lease_close' })
      expect(await readRow(storage, finished.executionId)).toMatchObject({ leaseToken: 'lease_close' })
    },
  },
  {
    group: GROUP,
    behaviour: "tells the database's clock, close to this process's when both run on one machine",
    run: async (storage) => {
      expect(storage.getCurrentTimeMs, 'the storage has no getCurrentTimeMs').toBeTypeOf('function')
      const before = Date.now()
      const databaseTime = await storage.getCurrentTimeMs!()
      const after = Date.now()
      expect(Number.isInteger(databaseTime) || Number.isFinite(databaseTime)).toBe(true)
      // Same machine: the clocks agree within the round trip and a little rounding.
      expect(databaseTime).toBeGreaterThanOrEqual(before - 1_000)
      expect(databaseTime).toBeLessThanOrEqual(after + 1_000)
    },
  },
]
