/**
 * Claim cases on every backend: claims honour the workflow (paused, cancelled, finished and
 * soft-deleted workflows have no claimable step), `claimNextStep` works across workflows with the
 * position rule, backoff, lease renewal and expired-lease recovery, and due timers are claimed once.
 */
import { describe, expect, it } from 'vitest'
import { createJobStore, LEASE_EXPIRED_ERROR, LEASE_EXPIRED_EVENT, type JobStore } from '../../jobs/index.js'
import type { SqlSession } from '../../sql/index.js'
import { manualClock, withFreshStore, type JobStoreSuiteOptions } from './harness.js'

const LEASE = { leaseMs: 10_000 }

/** A store on the opened one's tables with a clock the test moves. */
function withClock(store: JobStore) {
  const clock = manualClock()
  return { clock, store: createJobStore(store.session, store.tables, clock.now) }
}

/** `session` with a count of the statements (and transactions) asked of it, by primitive. */
function countingSession(session: SqlSession) {
  const calls: Array<string> = []
  const counted = new Proxy(session, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver)
      if (typeof value !== 'function' || key === 'typedValue' || key === 'claimCandidatesWhere') return value
      return (...args: Array<unknown>) => {
        calls.push(String(key))
        return (value as (...args: Array<unknown>) => unknown).apply(target, args)
      }
    },
  })
  return { session: counted, calls }
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

    it('decides retry or failure and the default backoff in the one UPDATE of markStepFailed', async () => {
      await withFreshStore(options, async (opened) => {
        const clock = manualClock()
        const counting = countingSession(opened.session)
        const store = createJobStore(counting.session, opened.tables, clock.now)
        const steps = store.workflowSteps
        // One UPDATE … RETURNING; on MySQL the UPDATE and its read-back in one short transaction.
        const oneStatement = [opened.session.updateReturnsRows ? 'updateRowsReturning' : 'transaction']
        const workflow = await store.workflows.create({ name: 'w' })
        const step = await steps.createStep({ workflowId: workflow.id, name: 's', maxAttempts: 12 })
        // Doubling from one second, at most five minutes, for every attempt until the last.
        for (let attempt = 1; attempt < 12; attempt++) {
          expect((await steps.claimStep({ workflowId: workflow.id, workerId: 'w', ...LEASE }))?.attempts).toBe(attempt)
          counting.calls.length = 0
          const retried = await steps.markStepFailed(step.id, { workerId: 'w', error: { attempt } })
          expect(counting.calls, 'markStepFailed reads nothing before its update').toEqual(oneStatement)
          expect(retried).toMatchObject({ status: 'pending', availableAt: clock.now() + Math.min(1_000 * 2 ** (attempt - 1), 300_000), error: { attempt }, finishedAt: null, claimedBy: null })
          clock.advance(retried.availableAt - clock.now())
        }
        await steps.claimStep({ workflowId: workflow.id, workerId: 'w', ...LEASE })
        counting.calls.length = 0
        const failed = await steps.markStepFailed(step.id, { workerId: 'w', error: 'last', retryDelayMs: 5 })
        expect(counting.calls).toEqual(oneStatement)
        expect(failed).toMatchObject({ status: 'failed', attempts: 12, finishedAt: clock.now(), error: 'last', claimedBy: null, leaseExpiresAt: null })
        expect(failed.availableAt).toBe(Number.MAX_SAFE_INTEGER)
        expect(await steps.claimNextStep({ workerId: 'w', ...LEASE })).toBeUndefined()
        // Refusals still name the move the UPDATE would have made.
        await expect(steps.markStepFailed(step.id, { workerId: 'w' })).rejects.toThrow(/"failed" to "failed"/)
        const other = await steps.createStep({ workflowId: workflow.id, name: 'other', maxAttempts: 2 })
        await expect(steps.markStepFailed(other.id, { workerId: 'w' })).rejects.toThrow(/"pending" to "pending"/)
        await steps.claimStep({ workflowId: workflow.id, stepId: other.id, workerId: 'holder', ...LEASE })
        await expect(steps.markStepFailed(other.id, { workerId: 'w' })).rejects.toThrow(/does not hold it/)
      })
    })

    it('creates, claims and moves a step in one statement where the dialect allows', async () => {
      await withFreshStore(options, async (opened) => {
        const counting = countingSession(opened.session)
        const store = createJobStore(counting.session, opened.tables)
        const oneStatement = opened.session.updateReturnsRows && opened.session.claimCandidatesWhere !== undefined
        const count = async (operation: () => Promise<unknown>) => {
          counting.calls.length = 0
          await operation()
          return [...counting.calls]
        }
        const workflow = await store.workflows.create({ name: 'w' })
        // MySQL 8 has no INSERT … RETURNING: the insert, then a read by the new id.
        expect(await count(() => store.workflowSteps.createStep({ workflowId: workflow.id, name: 's' }))).toEqual(
          opened.session.insertRowReturning === undefined ? ['insertRowReturningId', 'selectRows'] : ['insertRowReturning'],
        )
        // MySQL: the locking SELECT, the UPDATE and a read in one short transaction.
        expect(await count(() => store.workflowSteps.claimNextStep({ workerId: 'w', ...LEASE }))).toEqual(oneStatement ? ['updateRowsReturning'] : ['transaction'])
        const step = await store.workflowSteps.findOne({ workflowId: workflow.id })
        expect(await count(() => store.workflowSteps.markStepSuccess(step!.id, { workerId: 'w' }))).toEqual(
          opened.session.updateReturnsRows ? ['updateRowsReturning'] : ['transaction'],
        )
      })
    })

    it('fails a step whose lease expired after its last attempt instead of claiming it again', async () => {
      await withFreshStore(options, async (opened) => {
        const { clock, store } = withClock(opened)
        const steps = store.workflowSteps
        const workflow = await store.workflows.create({ name: 'w' })
        const once = await steps.createStep({ workflowId: workflow.id, name: 'once', maxAttempts: 1 })
        const later = await steps.createStep({ workflowId: workflow.id, name: 'later', position: 1 })
        expect(await steps.claimNextStep({ workerId: 'crashed', leaseMs: 1_000 })).toMatchObject({ id: once.id, attempts: 1 })
        clock.advance(1_001)
        // Available after the expired lease, so a claim reaches the expired step first.
        const elsewhere = await store.workflows.create({ name: 'elsewhere' })
        const other = await steps.createStep({ workflowId: elsewhere.id, name: 'other' })
        // Not a lease to recover: no attempt is left.
        expect(await steps.findExpiredLeases()).toEqual([])
        // The claim that reaches it fails it, then takes the next runnable step.
        expect(await steps.claimNextStep({ workerId: 'next', ...LEASE })).toMatchObject({ id: other.id, attempts: 1, claimedBy: 'next' })
        const failed = await steps.findById(once.id)
        expect(failed).toMatchObject({ status: 'failed', attempts: 1, maxAttempts: 1, error: LEASE_EXPIRED_ERROR, finishedAt: clock.now(), claimedBy: null, leaseExpiresAt: null })
        expect(JSON.stringify(failed?.error)).toMatch(/lease of the last attempt expired/)
        const timeline = await store.workflowHistory.getTimeline(workflow.id)
        expect(timeline).toMatchObject([{ stepId: once.id, event: LEASE_EXPIRED_EVENT, data: { attempts: 1, maxAttempts: 1 }, createdAt: clock.now() }])
        // The failed step keeps later positions waiting; its old holder cannot finish it.
        expect(await steps.claimStep({ workflowId: workflow.id, stepId: later.id, workerId: 'next', ...LEASE })).toBeUndefined()
        await expect(steps.markStepSuccess(once.id, { workerId: 'crashed' })).rejects.toThrow(/"failed" to "succeeded"/)

        // By id, through claimStep: failed, nothing claimed, once.
        const second = await store.workflows.create({ name: 'second' })
        const single = await steps.createStep({ workflowId: second.id, name: 'single', maxAttempts: 1 })
        await steps.claimStep({ workflowId: second.id, workerId: 'crashed', leaseMs: 1_000 })
        clock.advance(1_001)
        expect(await steps.claimStep({ workflowId: second.id, stepId: single.id, workerId: 'next', ...LEASE })).toBeUndefined()
        expect(await steps.findById(single.id)).toMatchObject({ status: 'failed', attempts: 1 })
        expect(await steps.claimStep({ workflowId: second.id, workerId: 'next', ...LEASE })).toBeUndefined()
        expect((await store.workflowHistory.getTimeline(second.id)).map((event) => event.event)).toEqual([LEASE_EXPIRED_EVENT])

        // Nor does a step start with no attempt left, which a claim would run once more than allowed.
        await expect(steps.createStep({ workflowId: second.id, name: 'spent', attempts: 2, maxAttempts: 2 })).rejects.toThrow(/attempt left/)
        await expect(steps.createMany([{ workflowId: second.id, name: 'never', maxAttempts: 0 }])).rejects.toThrow(/attempt left/)
      })
    })

    it('fails expired last attempts in the recovery sweep, whatever the workflow, and leaves retryable leases', async () => {
      await withFreshStore(options, async (opened) => {
        const { clock, store } = withClock(opened)
        const steps = store.workflowSteps
        const paused = await store.workflows.create({ name: 'paused' })
        const exhausted = await steps.createStep({ workflowId: paused.id, name: 'exhausted', maxAttempts: 1 })
        const running = await store.workflows.create({ name: 'running' })
        const retryable = await steps.createStep({ workflowId: running.id, name: 'retryable', maxAttempts: 2 })
        await steps.claimStep({ workflowId: paused.id, workerId: 'crashed', leaseMs: 1_000 })
        await steps.claimStep({ workflowId: running.id, workerId: 'crashed', leaseMs: 1_000 })
        await store.workflows.pause(paused.id)
        clock.advance(1_001)
        // Claims pass over the paused workflow's step; the sweep fails it, and only it.
        expect(await steps.failExpiredLastAttempts()).toMatchObject([{ id: exhausted.id, status: 'failed', error: LEASE_EXPIRED_ERROR }])
        expect(await steps.failExpiredLastAttempts()).toEqual([])
        expect((await store.workflowHistory.getTimeline(paused.id)).map((event) => [event.stepId, event.event])).toEqual([[exhausted.id, LEASE_EXPIRED_EVENT]])
        expect((await steps.findExpiredLeases()).map((step) => step.id)).toEqual([retryable.id])
        expect(await steps.claimNextStep({ workerId: 'next', ...LEASE })).toMatchObject({ id: retryable.id, attempts: 2 })
        await expect(steps.failExpiredLastAttempts({ limit: 0 })).rejects.toThrow(/limit/)
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
