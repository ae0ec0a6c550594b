/**
 * Schema cases on every backend: the runtime DDL helper is idempotent, and foreign keys hold
 * (a child of a missing parent is rejected, inside and outside transactions; deletes cascade).
 */
import { describe, expect, it } from 'vitest'
import { withTransaction } from '../../jobs/index.js'
import { withFreshStore, type JobStoreSuiteOptions } from './harness.js'

/** Registers the schema cases. */
export function describeSchemaCases(options: JobStoreSuiteOptions): void {
  describe('schema', () => {
    it('creates missing tables again without touching existing ones or their rows (ensureTables twice)', async () => {
      await withFreshStore(options, async (store) => {
        const workflow = await store.workflows.create({ name: 'before' })
        await store.workflowSteps.createStep({ workflowId: workflow.id, name: 'step' })
        await store.ensureTables()
        await store.ensureTables()
        expect((await store.workflows.findById(workflow.id))?.name).toBe('before')
        expect(await store.workflowSteps.count({ workflowId: workflow.id })).toBe(1)
        // The unique (workflow, name) index still exists exactly once and still bites.
        await expect(store.workflowSteps.createStep({ workflowId: workflow.id, name: 'step' })).rejects.toThrow()
      })
    })

    it('enforces foreign keys outside and inside transactions, and cascades hard deletes', async () => {
      await withFreshStore(options, async (store) => {
        const missing = 999_999
        await expect(store.workflowSteps.createStep({ workflowId: missing, name: 'orphan' })).rejects.toThrow()
        // Earlier transactions must not leave a connection without foreign keys behind (libsql).
        for (let round = 0; round < 3; round++) await withTransaction(store, async (tx) => tx.workflows.create({ name: `w${round}` }))
        await expect(
          withTransaction(store, async (tx) => tx.timers.createTimer({ workflowId: missing, dueAt: 1 })),
        ).rejects.toThrow()
        expect(await store.timers.count()).toBe(0)
        const workflow = await store.workflows.create({ name: 'parent' })
        const step = await store.workflowSteps.createStep({ workflowId: workflow.id, name: 'child' })
        await store.timers.createTimer({ workflowId: workflow.id, stepId: step.id, dueAt: 1 })
        expect(await store.workflows.hardDeleteById(workflow.id)).toBe(true)
        expect(await store.workflowSteps.count({ workflowId: workflow.id })).toBe(0)
        expect(await store.timers.count({ workflowId: workflow.id })).toBe(0)
      })
    })
  })
}
