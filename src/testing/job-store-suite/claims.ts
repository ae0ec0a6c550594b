/**
 * Claim cases on every backend: claims honour the workflow (paused, cancelled, finished and
 * soft-deleted workflows have no claimable step), `claimNextStep` works across workflows with the
 * position rule, backoff, lease renewal and expired-lease recovery, and due timers are claimed once.
 */
import { describe, expect, it } from 'vitest'
import { createJobStore, type JobStore } from '../../jobs/index.js'
import { manualClock, withFreshStore, type JobStoreSuiteOptions } from './harness.js'

const LEASE = { leaseMs: 10_000 }

/** A store on the opened one's tables with a clock the test moves. */
function withClock(store: JobStore) {
  const clock = manualClock()
  return { clock, store: createJobStore(store.session, store.tables, clock.now) }
}

/** Registers the claim cases. */
export function describeClaimCases(options: JobStoreSuiteOptions): void {
  describe('claims', () => {
    it('cancels workflows, and claims no step of a paused, cancelled, finished or soft-deleted workflow', async () => {
      await withFreshStore(options, async (store) => {
        const { workflows, workflowSteps: steps } = store
        const make = async (name: string) => {
          const workflow = await workflows.create({ name })
          await steps.createStep({ workflowId: workflow.id, name: 'only' })
          return workflow
        }
        const paused = await make('paused')
        await workflows.pause(paused.id)
        const cancelled = await make('cancelled')
        expect(await workflows.cancel(cancelled.id)).toMatchObject({ status: 'cancelled', finishedAt: expect.any(Number) })
        const completed = await make('completed')
        await workflows.markRunning(completed.id)
        await workflows.markCompleted(completed.id)
        const failed = await make('failed')
        await workflows.markRunning(failed.id)
        await workflows.markFailed(failed.id)
        const deleted = await make('deleted')
        await workflows.deleteById(deleted.id)
        for (const blocked of [paused, cancelled, completed, failed, deleted]) {
          expect(await steps.claimStep({ workflowId: blocked.id, workerId: 'w', ...LEASE }), blocked.name).toBeUndefined()
          expect(await steps.findNextRunnableStep(blocked.id), blocked.name).toBeUndefined()
        }
        expect(await steps.claimNextStep({ workerId: 'w', ...LEASE })).toBeUndefined()
        await expect(workflows.cancel(completed.id)).rejects.toThrow(/"completed" to "cancelled"/)
        // Resuming makes the paused workflow's step claimable again; a running workflow's steps are too.
        await workflows.resume(paused.id)
        expect((await steps.claimNextStep({ workerId: 'w', ...LEASE }))?.workflowId).toBe(paused.id)
        const running = await make('running')
        await workflows.markRunning(running.id)
        expect((await steps.claimNextStep({ workerId: 'w', ...LEASE }))?.workflowId).toBe(running.id)
        await workflows.cancel(running.id)
        expect(await steps.claimNextStep({ workerId: 'w', ...LEASE })).toBeUndefined()
      })
    })

    it('claims the next runnable step across workflows, by workflow name, in position order', async () => {
      await withFreshStore(options, async (opened) => {
        const { clock, store } = withClock(opened)
        const steps = store.workflowSteps
        const imports = await store.workflows.create({ name: 'import' })
        clock.advance(1)
        const reports = await store.workflows.create({ name: 'report' })
        const first = await steps.createStep({ workflowId: imports.id, name: 'first', position: 0 })
        const second = await steps.createStep({ workflowId: imports.id, name: 'second', position: 1 })
        clock.advance(1)
        const report = await steps.createStep({ workflowId: reports.id, name: 'report', position: 0 })
        // Only the import's position 0 and the report are runnable; position 1 waits.
        expect((await steps.claimNextStep({ workerId: 'a', ...LEASE, workflowName: 'report' }))?.id).toBe(report.id)
        expect((await steps.claimNextStep({ workerId: 'a', ...LEASE }))?.id).toBe(first.id)
        expect(await steps.claimNextStep({ workerId: 'a', ...LEASE })).toBeUndefined()
        expect(await steps.claimStep({ workflowId: imports.id, stepId: second.id, workerId: 'a', ...LEASE })).toBeUndefined()
        await steps.markStepSuccess(first.id, { workerId: 'a' })
        expect(await steps.claimNextStep({ workerId: 'b', ...LEASE, workflowName: 'report' })).toBeUndefined()
        expect(await steps.claimNextStep({ workerId: 'b', ...LEASE, workflowName: 'import' })).toMatchObject({
          id: second.id, status: 'running', claimedBy: 'b', attempts: 1,
        })
      })
    })

    it('claims a step by id only when every earlier position finished', async () => {
      await withFreshStore(options, async (store) => {
        const steps = store.workflowSteps
        const workflow = await store.workflows.create({ name: 'w' })
        const early = await steps.createStep({ workflowId: workflow.id, name: 'early', position: 0 })
        const late = await steps.createStep({ workflowId: workflow.id, name: 'late', position: 1 })
        expect(await steps.claimStep({ workflowId: workflow.id, stepId: late.id, workerId: 'w', ...LEASE })).toBeUndefined()
        expect((await steps.findById(late.id))?.status).toBe('pending')
        await steps.claimStep({ workflowId: workflow.id, stepId: early.id, workerId: 'w', ...LEASE })
        expect(await steps.claimStep({ workflowId: workflow.id, stepId: late.id, workerId: 'w', ...LEASE })).toBeUndefined()
        await steps.markStepSuccess(early.id, { workerId: 'w' })
        expect((await steps.claimStep({ workflowId: workflow.id, stepId: late.id, workerId: 'w', ...LEASE }))?.id).toBe(late.id)
        // A skipped step does not hold back later positions, and is never claimed.
        const skipped = await steps.createStep({ workflowId: workflow.id, name: 'skipped', position: 2 })
        const last = await steps.createStep({ workflowId: workflow.id, name: 'last', position: 3 })
        await steps.markStepSuccess(late.id, { workerId: 'w' })
        expect(await steps.skipStep(skipped.id)).toMatchObject({ status: 'skipped', finishedAt: expect.any(Number) })
        expect((await steps.claimStep({ workflowId: workflow.id, workerId: 'w', ...LEASE }))?.id).toBe(last.id)
        await expect(steps.skipStep(last.id)).rejects.toThrow(/"running" to "skipped"/)
      })
    })

    it('makes a failed step wait out its backoff before any claim takes it again', async () => {
      await withFreshStore(options, async (opened) => {
        const { clock, store } = withClock(opened)
        const steps = store.workflowSteps
        const workflow = await store.workflows.create({ name: 'w' })
        const step = await steps.createStep({ workflowId: workflow.id, name: 's', maxAttempts: 3 })
        await steps.claimNextStep({ workerId: 'w', ...LEASE })
        const failed = await steps.markStepFailed(step.id, { workerId: 'w', error: 'e', retryDelayMs: 5_000 })
        expect(failed).toMatchObject({ status: 'pending', availableAt: clock.now() + 5_000 })
        clock.advance(4_999)
        expect(await steps.claimNextStep({ workerId: 'w', ...LEASE })).toBeUndefined()
        expect(await steps.claimStep({ workflowId: workflow.id, workerId: 'w', ...LEASE })).toBeUndefined()
        expect(await steps.claimStep({ workflowId: workflow.id, stepId: step.id, workerId: 'w', ...LEASE })).toBeUndefined()
        clock.advance(1)
        expect((await steps.claimNextStep({ workerId: 'w', ...LEASE }))?.attempts).toBe(2)
        // Without a delay given, the second failure waits two seconds (doubling from one).
        expect((await steps.markStepFailed(step.id, { workerId: 'w' })).availableAt).toBe(clock.now() + 2_000)
        await expect(steps.markStepFailed(step.id, { workerId: 'w', retryDelayMs: -1 })).rejects.toThrow(/retryDelayMs/)
      })
    })

    it('renews a lease for its holder only, and recovers an expired lease in the next claim of any workflow', async () => {
      await withFreshStore(options, async (opened) => {
        const { clock, store } = withClock(opened)
        const steps = store.workflowSteps
        const workflow = await store.workflows.create({ name: 'w' })
        const step = await steps.createStep({ workflowId: workflow.id, name: 's' })
        await steps.claimNextStep({ workerId: 'holder', leaseMs: 1_000 })
        clock.advance(900)
        expect(await steps.renewLease({ stepId: step.id, workerId: 'holder', leaseMs: 1_000 })).toMatchObject({
          leaseExpiresAt: clock.now() + 1_000, claimedBy: 'holder',
        })
        await expect(steps.renewLease({ stepId: step.id, workerId: 'other', leaseMs: 1_000 })).rejects.toThrow(/does not hold it/)
        clock.advance(900)
        // Past the first lease, but renewed: not expired, not claimable.
        expect(await steps.findExpiredLeases()).toEqual([])
        expect(await steps.claimNextStep({ workerId: 'other', leaseMs: 1_000 })).toBeUndefined()
        clock.advance(101)
        expect((await steps.findExpiredLeases()).map((s) => s.id)).toEqual([step.id])
        expect((await steps.findExpiredLeases(workflow.id + 1)).map((s) => s.id)).toEqual([])
        expect(await steps.claimNextStep({ workerId: 'other', leaseMs: 1_000 })).toMatchObject({ id: step.id, claimedBy: 'other', attempts: 2 })
        await expect(steps.renewLease({ stepId: step.id, workerId: 'holder', leaseMs: 1_000 })).rejects.toThrow(/does not hold it/)
        await expect(steps.markStepSuccess(step.id, { workerId: 'holder' })).rejects.toThrow(/does not hold it/)
        await steps.markStepSuccess(step.id, { workerId: 'other' })
        await expect(steps.renewLease({ stepId: step.id, workerId: 'other', leaseMs: 1_000 })).rejects.toThrow(/"succeeded" to "running"/)
      })
    })

    it('claims each due timer for exactly one of several racing schedulers', async () => {
      await withFreshStore(options, async (opened) => {
        const { clock, store } = withClock(opened)
        const workflow = await store.workflows.create({ name: 'w' })
        const due = await Promise.all(Array.from({ length: 30 }, (_, index) => store.timers.createTimer({ workflowId: workflow.id, dueAt: clock.now() - index })))
        const later = await store.timers.createTimer({ workflowId: workflow.id, dueAt: clock.now() + 1 })
        const scheduler = async () => {
          const claimed: Array<number> = []
          for (;;) {
            const timers = await store.timers.claimDueTimers({ limit: 4 })
            if (timers.length === 0) return claimed
            expect(timers.length).toBeLessThanOrEqual(4)
            expect(timers.every((timer) => timer.status === 'fired')).toBe(true)
            expect(timers.map((timer) => timer.dueAt)).toEqual(timers.map((timer) => timer.dueAt).sort((a, b) => a - b))
            claimed.push(...timers.map((timer) => timer.id))
          }
        }
        const all = (await Promise.all([scheduler(), scheduler(), scheduler()])).flat()
        expect(all.sort((a, b) => a - b)).toEqual(due.map((timer) => timer.id).sort((a, b) => a - b))
        expect((await store.timers.findById(later.id))?.status).toBe('scheduled')
        clock.advance(1)
        expect((await store.timers.claimDueTimers()).map((timer) => timer.id)).toEqual([later.id])
      })
    })
  })
}
