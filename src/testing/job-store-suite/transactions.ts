/**
 * `withTransaction`'s retries: a transaction that fails on a conflict (the dialect's own deadlock
 * or busy code) runs again whole, a bounded number of times, then fails with an error naming the
 * attempts and the code; other failures and nested units are not retried on their own.
 */
import { describe, expect, it } from 'vitest'
import { TransactionConflictError, withTransaction, type JobStore } from '../../jobs/index.js'
import { withFreshStore, type JobStoreSuiteOptions } from './harness.js'

/** An error as the driver reports a deadlock / busy database on this backend. */
function conflictOf(store: JobStore): Error {
  const code = store.session.errorCodes.conflict[0]
  return Object.assign(new Error(`simulated conflict ${String(code)}`), { code })
}

/** Registers the transaction-retry cases. */
export function describeTransactionCases(options: JobStoreSuiteOptions): void {
  describe('withTransaction retries', () => {
    it('runs the whole callback again after a conflict and commits only the last attempt', async () => {
      await withFreshStore(options, async (store) => {
        let runs = 0
        const name = await withTransaction(store, async (tx) => {
          runs++
          const workflow = await tx.workflows.create({ name: `attempt ${runs}` })
          if (runs < 3) throw conflictOf(store)
          return workflow.name
        }, { baseDelayMs: 0 })
        expect(runs).toBe(3)
        expect(name).toBe('attempt 3')
        expect((await store.workflows.findMany()).map((row) => row.name)).toEqual(['attempt 3'])
      })
    })

    it('gives up after maxAttempts with a TransactionConflictError naming the attempts and the code', async () => {
      await withFreshStore(options, async (store) => {
        let runs = 0
        const failure = withTransaction(store, async (tx) => {
          runs++
          await tx.workflows.create({ name: 'never kept' })
          throw conflictOf(store)
        }, { maxAttempts: 4, baseDelayMs: 0 })
        await expect(failure).rejects.toBeInstanceOf(TransactionConflictError)
        const error = (await failure.catch((caught: unknown) => caught)) as TransactionConflictError
        const code = store.session.errorCodes.conflict[0]
        expect(runs).toBe(4)
        expect(error.attempts).toBe(4)
        expect(error.code).toBe(code)
        expect(error.kind).toBe('conflict')
        expect(error.message).toContain(`4 times`)
        expect(error.message).toContain(`code ${String(code)}`)
        expect(await store.workflows.count(undefined, { includeDeleted: true })).toBe(0)
      })
    })

    it('runs the callback once when it fails with anything but a conflict', async () => {
      await withFreshStore(options, async (store) => {
        let runs = 0
        const failure = new Error('not a conflict')
        await expect(withTransaction(store, async () => {
          runs++
          throw failure
        })).rejects.toBe(failure)
        expect(runs).toBe(1)
      })
    })

    it('retries a nested unit only as part of its outermost transaction', async () => {
      await withFreshStore(options, async (store) => {
        const runs = { outer: 0, inner: 0 }
        await withTransaction(store, async (tx) => {
          runs.outer++
          await tx.workflows.create({ name: `outer ${runs.outer}` })
          await withTransaction(tx, async (inner) => {
            runs.inner++
            await inner.workflows.create({ name: `inner ${runs.inner}` })
            if (runs.inner === 1) throw conflictOf(store)
          })
        }, { baseDelayMs: 0 })
        expect(runs).toEqual({ outer: 2, inner: 2 })
        expect((await store.workflows.findMany({ orderBy: { id: 'asc' } })).map((row) => row.name)).toEqual(['outer 2', 'inner 2'])
      })
    })

    it('refuses retry options out of range before running anything', async () => {
      await withFreshStore(options, async (store) => {
        let runs = 0
        const count = async () => {
          runs++
        }
        await expect(withTransaction(store, count, { maxAttempts: 0 })).rejects.toThrow(/maxAttempts/)
        await expect(withTransaction(store, count, { baseDelayMs: -1 })).rejects.toThrow(/baseDelayMs/)
        expect(runs).toBe(0)
      })
    })
  })
}
