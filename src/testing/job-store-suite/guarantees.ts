/**
 * The guarantees the job store must keep on every backend: concurrent claims take each step once,
 * racing timer fires fire once, bulk inserts are chunked and idempotent, and a rolled-back unit of
 * work leaves nothing behind.
 */
import { describe, expect, it } from 'vitest'
import { createJobStore, withTransaction, type JobStore } from '../../jobs/index.js'
import { manualClock, withFreshStore, type JobStoreSuiteOptions } from './harness.js'

async function claimUntilEmpty(store: JobStore, workflowId: number, workerId: string): Promise<Array<number>> {
  const claimed: Array<number> = []
  for (;;) {
    const step = await store.workflowSteps.claimStep({ workflowId, workerId, leaseMs: 600_000 })
    if (step === undefined) return claimed
    claimed.push(step.id)
    await store.workflowSteps.markStepSuccess(step.id, { workerId })
  }
}

/** Registers the guarantee cases. */
export function describeGuaranteeCases(options: JobStoreSuiteOptions): void {
  // Each claim is one race among 8 workers: 400 steps are 400 races, about 50 per worker. More steps
  // repeat the same race and only make the test slow on a loaded machine (2,000 took 17 to over 60 s
  // on a libsql file there); the multi-process claim tests cover contention across processes.
  const stepCount = Math.round(400 * (options.loadFactor ?? 1))

  describe('guarantees', () => {
    it(`lets 8 concurrent workers claim ${stepCount} steps, each exactly once, none left`, async () => {
      await withFreshStore(options, async (store) => {
        const workflow = await store.workflows.create({ name: 'fan-out' })
        await store.workflowSteps.createMany(
          Array.from({ length: stepCount }, (_, index) => ({
            workflowId: workflow.id, name: `s${index}`, status: 'pending' as const, position: 0, attempts: 0, maxAttempts: 1,
          })),
        )
        const perWorker = await Promise.all(Array.from({ length: 8 }, (_, index) => claimUntilEmpty(store, workflow.id, `w${index}`)))
        const all = perWorker.flat()
        expect(all).toHaveLength(stepCount)
        expect(new Set(all).size).toBe(stepCount)
        expect(await store.workflowSteps.countStepsByStatus(workflow.id)).toMatchObject({ pending: 0, running: 0, succeeded: stepCount })
        expect(await store.workflowSteps.count({ workflowId: workflow.id, attempts: 1 })).toBe(stepCount)
      })
    })

    it('drains workflows through claimNextStep with 8 workers, failures and backoff, counted exactly', async () => {
      await withFreshStore(options, async (opened) => {
        const clock = manualClock()
        const store = createJobStore(opened.session, opened.tables, clock.now)
        const workflowCount = Math.max(4, Math.round(40 * (options.loadFactor ?? 1)))
        const steps = store.workflowSteps
        for (let index = 0; index < workflowCount; index++) {
          const workflow = await store.workflows.create({ name: 'drain' })
          await steps.createMany([
            { workflowId: workflow.id, name: 'first', position: 0 },
            ...['a', 'b', 'c'].map((name) => ({ workflowId: workflow.id, name, position: 1, parallelGroup: 'g' })),
          ])
        }
        // Another type's steps stay untouched by workers asking for 'drain'.
        const other = await store.workflows.create({ name: 'other' })
        await steps.createStep({ workflowId: other.id, name: 'untouched' })
        const total = workflowCount * 4
        // About 30 % of first attempts fail, decided by the step id so the count is known afterwards.
        const failsFirst = (stepId: number) => (stepId * 7_919) % 10 < 3
        const claims: Array<{ readonly stepId: number; readonly attempts: number; readonly startedAt: number; readonly returned: number }> = []
        // A sequence shared by the workers: when each claim returned, and when each success was asked for.
        let sequence = 0
        const successAsked = new Map<number, number>()
        const retryAt = new Map<number, number>()
        const worker = async (workerId: string) => {
          for (;;) {
            const step = await steps.claimNextStep({ workerId, leaseMs: 1_000_000_000_000, workflowName: 'drain' })
            if (step === undefined) {
              if ((await steps.count({ status: 'succeeded' })) === total) return
              // Nothing runnable yet: the retries' backoff has to pass.
              clock.advance(250)
              await new Promise((resolve) => setImmediate(resolve))
              continue
            }
            claims.push({ stepId: step.id, attempts: step.attempts, startedAt: step.startedAt!, returned: sequence++ })
            if (step.attempts === 1 && failsFirst(step.id)) {
              const failed = await steps.markStepFailed(step.id, { workerId, error: 'flaky', retryDelayMs: 1_000 })
              retryAt.set(step.id, failed.availableAt)
            } else {
              successAsked.set(step.id, sequence++)
              await steps.markStepSuccess(step.id, { workerId })
            }
          }
        }
        await Promise.all(Array.from({ length: 8 }, (_, index) => worker(`w${index}`)))
        const rows = await steps.findMany({ where: { workflowId: { ne: other.id } } })
        const failures = rows.filter((row) => failsFirst(row.id)).length
        expect(rows).toHaveLength(total)
        expect(rows.filter((row) => row.status !== 'succeeded' || row.attempts !== (failsFirst(row.id) ? 2 : 1))).toEqual([])
        expect(claims).toHaveLength(total + failures)
        expect(new Set(claims.map((claim) => `${claim.stepId}/${claim.attempts}`)).size).toBe(total + failures)
        expect(retryAt.size).toBe(failures)
        expect((await steps.findOne({ workflowId: other.id }))?.status).toBe('pending')
        // A retry is claimed only once its backoff passed (times from the shared manual clock).
        for (const claim of claims.filter((c) => c.attempts === 2)) expect(claim.startedAt).toBeGreaterThanOrEqual(retryAt.get(claim.stepId)!)
        // No claim at position 1 returned before its workflow's position 0 was even asked to succeed.
        const byId = new Map(rows.map((row) => [row.id, row]))
        for (const claim of claims) {
          const row = byId.get(claim.stepId)!
          if (row.position === 0) continue
          const first = rows.find((r) => r.workflowId === row.workflowId && r.position === 0)!
          expect(claim.returned).toBeGreaterThan(successAsked.get(first.id)!)
        }
      })
    })

    it('fires a timer once when two schedulers race on markFired', async () => {
      await withFreshStore(options, async (store) => {
        const workflow = await store.workflows.create({ name: 'w' })
        for (let round = 0; round < 10; round++) {
          const timer = await store.timers.createTimer({ workflowId: workflow.id, dueAt: 0 })
          const results = await Promise.all([store.timers.markFired(timer.id), store.timers.markFired(timer.id)])
          expect(results.filter(Boolean)).toHaveLength(1)
          expect((await store.timers.findById(timer.id))?.status).toBe('fired')
        }
      })
    })

    it('inserts 10,000 processed rows in chunks under the parameter limit, and a re-run inserts and counts nothing twice', async () => {
      await withFreshStore(options, async (store) => {
        const batch = await store.batches.create({ name: 'b' })
        // Six columns per row: more rows than one SQLite statement may bind (32,766 parameters).
        const rows = Array.from({ length: 10_000 }, (_, rowIndex) => ({ batchId: batch.id, rowIndex, data: { rowIndex } }))
        expect(await store.processedRows.insertMany(rows)).toBe(10_000)
        expect(await store.processedRows.countByBatch(batch.id)).toBe(10_000)
        expect(await store.processedRows.insertMany([...rows.slice(0, 5_000), { batchId: batch.id, rowIndex: 10_000, data: null }])).toBe(1)
        expect(await store.processedRows.countByBatch(batch.id)).toBe(10_001)
        expect(await store.processedRows.insertMany(rows)).toBe(0)
        expect(await store.errorRows.insertMany([{ batchId: batch.id, rowIndex: 3, error: { message: 'bad' } }])).toBe(1)
        expect(await store.errorRows.insertMany([{ batchId: batch.id, rowIndex: 3, error: { message: 'bad' } }])).toBe(0)
        expect(await store.errorRows.countByBatch(batch.id)).toBe(1)
        expect(await store.errorRows.countByBatch(batch.id + 1)).toBe(0)
        // The counters follow the rows inserted, not the rows given.
        expect(await store.batches.findById(batch.id)).toMatchObject({ processedCount: 10_001, errorCount: 1 })
      })
    })

    it('rolls back everything a failed withTransaction wrote, and commits a successful one', async () => {
      await withFreshStore(options, async (store) => {
        const failure = new Error('boom')
        await expect(
          withTransaction(store, async (tx) => {
            const workflow = await tx.workflows.create({ name: 'rolled back' })
            await tx.workflowSteps.createStep({ workflowId: workflow.id, name: 'step' })
            await tx.timers.createTimer({ workflowId: workflow.id, dueAt: 1 })
            expect(await tx.workflows.count()).toBe(1)
            throw failure
          }),
        ).rejects.toBe(failure)
        expect(await store.workflows.count(undefined, { includeDeleted: true })).toBe(0)
        expect(await store.workflowSteps.count()).toBe(0)
        expect(await store.timers.count()).toBe(0)
        const id = await withTransaction(store, async (tx) => (await tx.workflows.create({ name: 'kept' })).id)
        expect((await store.workflows.findById(id))?.name).toBe('kept')
      })
    })

    it('rolls back only the inner unit of a nested withTransaction (a savepoint)', async () => {
      await withFreshStore(options, async (store) => {
        await withTransaction(store, async (tx) => {
          await tx.workflows.create({ name: 'outer' })
          await expect(
            withTransaction(tx, async (inner) => {
              await inner.workflows.create({ name: 'inner' })
              throw new Error('inner fails')
            }),
          ).rejects.toThrow('inner fails')
        })
        expect((await store.workflows.findMany()).map((row) => row.name)).toEqual(['outer'])
      })
    })
  })
}
