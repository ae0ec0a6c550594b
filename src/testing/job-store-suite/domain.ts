/** The domain repositories' methods, each through a case that can fail. */
import { describe, expect, it } from 'vitest'
import { createJobStore, InvalidTransitionError } from '../../jobs/index.js'
import { manualClock, withFreshStore, type JobStoreSuiteOptions } from './harness.js'

/** Registers the domain cases. */
export function describeDomainCases(options: JobStoreSuiteOptions): void {
  describe('domain repositories', () => {
    it('moves workflows along their state machine and refuses other moves naming both states', async () => {
      await withFreshStore(options, async (store) => {
        const { workflows } = store
        const w = await workflows.create({ name: 'w' })
        expect((await workflows.markRunning(w.id)).status).toBe('running')
        expect((await workflows.pause(w.id)).status).toBe('paused')
        expect((await workflows.resume(w.id)).status).toBe('pending')
        await workflows.markRunning(w.id)
        expect(await workflows.isWorkflowDone(w.id)).toBe(false)
        expect(await workflows.markCompleted(w.id, { ok: 1 })).toMatchObject({ status: 'completed', output: { ok: 1 } })
        expect(await workflows.isWorkflowDone(w.id)).toBe(true)
        const refused = workflows.markRunning(w.id)
        await expect(refused).rejects.toBeInstanceOf(InvalidTransitionError)
        await expect(workflows.markRunning(w.id)).rejects.toThrow(/"completed" to "running"/)
        const f = await workflows.create({ name: 'f' })
        await workflows.markRunning(f.id)
        expect(await workflows.markFailed(f.id, { message: 'x' })).toMatchObject({ status: 'failed', error: { message: 'x' } })
        expect(await Promise.all([workflows.incrementAttempts(f.id), workflows.incrementAttempts(f.id)])).toHaveLength(2)
        expect((await workflows.findById(f.id))?.attempts).toBe(2)
        await expect(workflows.pause(999_999)).rejects.toThrow(/No workflow with id 999999/)
      })
    })

    it('runs steps by position, retries failures, reclaims expired leases and fences stale workers', async () => {
      await withFreshStore(options, async (opened) => {
        const clock = manualClock()
        const store = createJobStore(opened.session, opened.tables, clock.now)
        const steps = store.workflowSteps
        const w = await store.workflows.create({ name: 'w' })
        const a = await steps.createStep({ workflowId: w.id, name: 'a', position: 0, parallelGroup: 'g', maxAttempts: 2 })
        const b = await steps.createStep({ workflowId: w.id, name: 'b', position: 0, parallelGroup: 'g' })
        const c = await steps.createStep({ workflowId: w.id, name: 'c', position: 1 })
        expect((await steps.findPendingSteps(w.id)).map((s) => s.name)).toEqual(['a', 'b', 'c'])
        expect((await steps.findStepsInParallelGroup(w.id, 'g')).map((s) => s.id)).toEqual([a.id, b.id])
        expect((await steps.findNextRunnableStep(w.id))?.id).toBe(a.id)
        const claimedA = await steps.claimStep({ workflowId: w.id, workerId: 'w1', leaseMs: 10_000 })
        expect(claimedA).toMatchObject({ id: a.id, status: 'running', claimedBy: 'w1', attempts: 1 })
        const claimedB = await steps.claimStep({ workflowId: w.id, workerId: 'w2', leaseMs: 10_000 })
        expect(claimedB?.id).toBe(b.id)
        // c waits for the whole parallel group of position 0.
        expect(await steps.claimStep({ workflowId: w.id, workerId: 'w3', leaseMs: 10_000 })).toBeUndefined()
        expect(await steps.claimStep({ workflowId: w.id, workerId: 'w3', leaseMs: 10_000, stepId: a.id })).toBeUndefined()
        await expect(steps.markStepSuccess(a.id, { workerId: 'w2' })).rejects.toThrow(/does not hold it/)
        expect(await steps.markStepFailed(a.id, { workerId: 'w1', error: 'e1' })).toMatchObject({ status: 'pending', claimedBy: null })
        expect(await steps.countStepsByStatus(w.id)).toEqual({ pending: 2, running: 1, succeeded: 0, failed: 0, skipped: 0 })
        // The retry waits out its backoff (one second after a first failure).
        expect(await steps.claimStep({ workflowId: w.id, workerId: 'w1', leaseMs: 10_000 })).toBeUndefined()
        clock.advance(1_000)
        expect((await steps.claimStep({ workflowId: w.id, workerId: 'w1', leaseMs: 10_000 }))?.attempts).toBe(2)
        expect(await steps.markStepFailed(a.id, { workerId: 'w1', error: 'e2' })).toMatchObject({ status: 'failed', error: 'e2' })
        expect(await steps.markStepSuccess(b.id, { workerId: 'w2', output: 7 })).toMatchObject({ status: 'succeeded', output: 7 })
        // A failed step blocks later positions.
        expect(await steps.findNextRunnableStep(w.id)).toBeUndefined()
        expect(c.status).toBe('pending')
        const w2 = await store.workflows.create({ name: 'lease' })
        const d = await steps.createStep({ workflowId: w2.id, name: 'd' })
        await steps.claimStep({ workflowId: w2.id, workerId: 'crashed', leaseMs: 1_000 })
        expect(await steps.claimStep({ workflowId: w2.id, workerId: 'other', leaseMs: 1_000 })).toBeUndefined()
        clock.advance(1_001)
        expect((await steps.findExpiredLeases(w2.id)).map((s) => s.id)).toEqual([d.id])
        expect(await steps.claimStep({ workflowId: w2.id, workerId: 'other', leaseMs: 1_000 })).toMatchObject({ id: d.id, claimedBy: 'other', attempts: 2 })
        await expect(steps.markStepSuccess(d.id, { workerId: 'crashed' })).rejects.toThrow(/does not hold it/)
      })
    })

    it('logs history, fires due timers and cancels the timers of a target', async () => {
      await withFreshStore(options, async (opened) => {
        const clock = manualClock(10_000)
        const store = createJobStore(opened.session, opened.tables, clock.now)
        const w = await store.workflows.create({ name: 'w' })
        const step = await store.workflowSteps.createStep({ workflowId: w.id, name: 's' })
        await store.workflowHistory.log({ workflowId: w.id, event: 'started' })
        clock.advance(1)
        await store.workflowHistory.log({ workflowId: w.id, stepId: step.id, event: 'step', data: { n: 1 } })
        expect((await store.workflowHistory.getTimeline(w.id)).map((e) => e.event)).toEqual(['started', 'step'])
        const due = await store.timers.createTimer({ workflowId: w.id, dueAt: 9_000 })
        const later = await store.timers.createTimer({ workflowId: w.id, stepId: step.id, dueAt: 20_000 })
        const other = await store.timers.createTimer({ workflowId: w.id, dueAt: 30_000 })
        expect((await store.timers.findDueTimers()).map((t) => t.id)).toEqual([due.id])
        expect((await store.timers.findDueTimers({ now: 25_000 })).map((t) => t.id)).toEqual([due.id, later.id])
        expect(await store.timers.markFired(due.id)).toBe(true)
        expect(await store.timers.markFired(due.id)).toBe(false)
        expect(await store.timers.cancelTimersForTarget({ workflowId: w.id, stepId: step.id })).toBe(1)
        expect((await store.timers.findById(later.id))?.status).toBe('cancelled')
        expect(await store.timers.cancelTimersForTarget({ workflowId: w.id })).toBe(1)
        expect((await store.timers.findById(other.id))?.status).toBe('cancelled')
        expect(await store.timers.markFired(other.id)).toBe(false)
      })
    })

    it('tracks batches, chunks, attempts and idempotency keys', async () => {
      await withFreshStore(options, async (store) => {
        const w = await store.workflows.create({ name: 'w' })
        const step = await store.workflowSteps.createStep({ workflowId: w.id, name: 's' })
        const batch = await store.batches.create({ name: 'b', rawData: [{ a: 1 }], totalRows: 1 })
        expect(await store.batches.getRawData(batch.id)).toEqual([{ a: 1 }])
        expect((await store.batches.setStatus(batch.id, 'processing')).status).toBe('processing')
        await expect(store.batches.setStatus(batch.id, 'pending')).rejects.toThrow(/"processing" to "pending"/)
        await Promise.all([store.batches.incrementProcessedCount(batch.id), store.batches.incrementProcessedCount(batch.id, 2)])
        expect(await store.batches.incrementErrorCount(batch.id)).toBe(1)
        expect((await store.batches.findById(batch.id))?.processedCount).toBe(3)
        const c0 = await store.batchChunks.createChunk({ batchId: batch.id, chunkIndex: 0, startRow: 0, endRow: 10, stepId: step.id })
        const c1 = await store.batchChunks.createChunk({ batchId: batch.id, chunkIndex: 1, startRow: 10, endRow: 20 })
        expect((await store.batchChunks.markChunkStatus(c0.id, 'processing')).status).toBe('processing')
        await expect(store.batchChunks.markChunkStatus(c1.id, 'completed')).rejects.toThrow(InvalidTransitionError)
        expect((await store.batchChunks.findChunksForBatch(batch.id)).map((c) => c.id)).toEqual([c0.id, c1.id])
        expect(await store.batchChunks.countChunksByStatus(batch.id)).toEqual({ pending: 1, processing: 1, completed: 0, failed: 0 })
        expect((await store.batchChunks.findChunkByStep(step.id))?.id).toBe(c0.id)
        const attempt = await store.jobAttempts.createAttempt({ workflowId: w.id, stepId: step.id, attemptNumber: 1, workerId: 'w1' })
        expect(attempt.status).toBe('running')
        await expect(store.jobAttempts.createAttempt({ workflowId: w.id, stepId: step.id, attemptNumber: 1 })).rejects.toThrow()
        expect(await store.jobAttempts.finishAttempt(attempt.id, { status: 'failed', error: 'x' })).toMatchObject({ status: 'failed', error: 'x' })
        await expect(store.jobAttempts.finishAttempt(attempt.id, { status: 'succeeded' })).rejects.toThrow(/"failed" to "succeeded"/)
        const [first, second] = await Promise.all([store.idempotencyKeys.claim('orders', 'k1'), store.idempotencyKeys.claim('orders', 'k1')])
        expect([first.claimed, second.claimed].filter(Boolean)).toHaveLength(1)
        const winner = first.claimed ? first : second
        await store.idempotencyKeys.complete(winner.record, { orderId: 42 })
        const third = await store.idempotencyKeys.claim('orders', 'k1')
        expect(third).toMatchObject({ claimed: false, record: { status: 'completed', result: { orderId: 42 } } })
        expect((await store.idempotencyKeys.claim('refunds', 'k1')).claimed).toBe(true)
      })
    })
  })
}
