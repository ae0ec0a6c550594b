/**
 * Integrity cases on every backend: statuses move only through the state machines (no create in
 * a later status, no status through `update`), finishing a step needs its holder, a timer or an
 * attempt cannot name a step of another workflow, and a failed workflow is not done.
 */
import { describe, expect, it } from 'vitest'
import { InvalidJobOptionError, InvalidJobValueError } from '../../jobs/index.js'
import { withFreshStore, type JobStoreSuiteOptions } from './harness.js'

/** Registers the integrity cases. */
export function describeIntegrityCases(options: JobStoreSuiteOptions): void {
  describe('integrity', () => {
    it('creates rows in their initial status only, and never changes a status through update', async () => {
      await withFreshStore(options, async (store) => {
        // A caller bypassing the types, as JavaScript callers can.
        const completed = { name: 'w', status: 'completed' } as unknown as { name: string }
        await expect(store.workflows.create(completed)).rejects.toThrow(/starts "pending"/)
        const workflow = await store.workflows.create({ name: 'w', status: 'pending' })
        const running = { workflowId: workflow.id, name: 's', status: 'running' } as unknown as { workflowId: number; name: string }
        await expect(store.workflowSteps.createStep(running)).rejects.toBeInstanceOf(InvalidJobValueError)
        await expect(store.workflowSteps.createMany([{ workflowId: workflow.id, name: 'ok' }, running])).rejects.toThrow(/starts "pending"/)
        const fired = { workflowId: workflow.id, dueAt: 1, status: 'fired' } as unknown as { workflowId: number; dueAt: number }
        await expect(store.timers.createTimer(fired)).rejects.toThrow(/starts "scheduled"/)
        expect(await store.workflowSteps.count()).toBe(0)
        expect(await store.timers.count()).toBe(0)
        await store.workflows.markRunning(workflow.id)
        await store.workflows.markCompleted(workflow.id)
        await expect(store.workflows.update({ id: workflow.id }, { status: 'pending' })).rejects.toThrow(/cannot change a workflow's status/)
        await expect(store.workflows.updateById(workflow.id, { status: 'pending' })).rejects.toThrow(/transition methods/)
        expect((await store.workflows.findById(workflow.id))?.status).toBe('completed')
        expect(await store.workflows.updateById(workflow.id, { name: 'renamed' })).toMatchObject({ name: 'renamed', status: 'completed' })
      })
    })

    it('finishes or fails a step only with the id of the worker holding it', async () => {
      await withFreshStore(options, async (store) => {
        const steps = store.workflowSteps
        const workflow = await store.workflows.create({ name: 'w' })
        const step = await steps.createStep({ workflowId: workflow.id, name: 's' })
        await steps.claimStep({ workflowId: workflow.id, workerId: 'holder', leaseMs: 60_000 })
        const noWorker = {} as unknown as { workerId: string }
        await expect(steps.markStepSuccess(step.id, noWorker)).rejects.toBeInstanceOf(InvalidJobOptionError)
        await expect(steps.markStepFailed(step.id, noWorker)).rejects.toThrow(/workerId/)
        await expect(steps.markStepSuccess(step.id, { workerId: 'intruder' })).rejects.toThrow(/does not hold it/)
        expect((await steps.findById(step.id))?.status).toBe('running')
        expect(await steps.markStepSuccess(step.id, { workerId: 'holder', output: 1 })).toMatchObject({ status: 'succeeded', output: 1 })
      })
    })

    it('refuses a timer or an attempt naming a step of another workflow', async () => {
      await withFreshStore(options, async (store) => {
        const mine = await store.workflows.create({ name: 'mine' })
        const other = await store.workflows.create({ name: 'other' })
        const step = await store.workflowSteps.createStep({ workflowId: other.id, name: 's' })
        await expect(store.timers.createTimer({ workflowId: mine.id, stepId: step.id, dueAt: 1 })).rejects.toThrow()
        await expect(store.jobAttempts.createAttempt({ workflowId: mine.id, stepId: step.id, attemptNumber: 1 })).rejects.toThrow()
        expect(await store.timers.count()).toBe(0)
        expect(await store.jobAttempts.count()).toBe(0)
        expect((await store.timers.createTimer({ workflowId: other.id, stepId: step.id, dueAt: 1 })).stepId).toBe(step.id)
        expect((await store.jobAttempts.createAttempt({ workflowId: other.id, stepId: step.id, attemptNumber: 1 })).stepId).toBe(step.id)
      })
    })

    it('tells a failed workflow, which may be retried, from a done one', async () => {
      await withFreshStore(options, async (store) => {
        const workflow = await store.workflows.create({ name: 'w' })
        await store.workflows.markRunning(workflow.id)
        await store.workflows.markFailed(workflow.id)
        expect(await store.workflows.isWorkflowDone(workflow.id)).toBe(false)
        await store.workflows.markRunning(workflow.id)
        await store.workflows.cancel(workflow.id)
        expect(await store.workflows.isWorkflowDone(workflow.id)).toBe(true)
      })
    })
  })
}
