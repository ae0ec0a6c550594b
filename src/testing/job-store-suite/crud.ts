/** BaseRepository through the workflows (soft delete) and timers (hard delete) tables. */
import { describe, expect, it } from 'vitest'
import { withFreshStore, type JobStoreSuiteOptions } from './harness.js'

/** Registers the BaseRepository cases. */
export function describeBaseRepositoryCases(options: JobStoreSuiteOptions): void {
  describe('BaseRepository', () => {
    it('creates, finds, filters, orders, pages and counts rows', async () => {
      await withFreshStore(options, async (store) => {
        const created = await store.workflows.create({ name: 'a', input: { n: 1 } })
        expect(created).toMatchObject({ name: 'a', status: 'pending', attempts: 0, input: { n: 1 }, deletedAt: null })
        expect(typeof created.id).toBe('number')
        for (const name of ['b', 'c', 'd']) await store.workflows.create({ name })
        expect(await store.workflows.findById(created.id)).toEqual(created)
        expect(await store.workflows.findById(999_999)).toBeUndefined()
        expect((await store.workflows.findOne({ name: 'c' }))?.name).toBe('c')
        const ordered = await store.workflows.findMany({ orderBy: { name: 'desc' }, limit: 2, offset: 1 })
        expect(ordered.map((row) => row.name)).toEqual(['c', 'b'])
        expect((await store.workflows.findMany({ where: { name: { in: ['a', 'd'] } }, orderBy: { name: 'asc' } })).map((r) => r.name)).toEqual(['a', 'd'])
        expect(await store.workflows.findMany({ where: { name: { in: [] } } })).toEqual([])
        expect((await store.workflows.findMany({ offset: 3, orderBy: { name: 'asc' } })).map((r) => r.name)).toEqual(['d'])
        expect(await store.workflows.count()).toBe(4)
        expect(await store.workflows.count({ name: { gt: 'b' } })).toBe(2)
        expect(await store.workflows.count({ startedAt: null })).toBe(4)
      })
    })

    it('updates rows by filter and by id, counting matched rows even when values are unchanged', async () => {
      await withFreshStore(options, async (store) => {
        const a = await store.workflows.create({ name: 'a' })
        await store.workflows.create({ name: 'b' })
        expect(await store.workflows.update({ name: 'b' }, { name: 'b' })).toBe(1)
        expect(await store.workflows.update({ status: 'pending' }, { output: { done: true } })).toBe(2)
        const updated = await store.workflows.updateById(a.id, { name: 'renamed' })
        expect(updated).toMatchObject({ id: a.id, name: 'renamed', output: { done: true } })
        expect(await store.workflows.updateById(999_999, { name: 'x' })).toBeUndefined()
      })
    })

    it('hard-deletes rows of a table without deletedAt', async () => {
      await withFreshStore(options, async (store) => {
        const workflow = await store.workflows.create({ name: 'w' })
        const t1 = await store.timers.createTimer({ workflowId: workflow.id, dueAt: 1 })
        await store.timers.createTimer({ workflowId: workflow.id, dueAt: 2 })
        expect(store.timers.hasSoftDelete).toBe(false)
        expect(await store.timers.deleteById(t1.id)).toBe(true)
        expect(await store.timers.deleteById(t1.id)).toBe(false)
        expect(await store.timers.delete({ dueAt: 2 })).toBe(1)
        expect(await store.timers.count()).toBe(0)
      })
    })

    it('soft-deletes: hidden from reads, counts and updates, kept in the table, removable for good', async () => {
      await withFreshStore(options, async (store) => {
        expect(store.workflows.hasSoftDelete).toBe(true)
        const gone = await store.workflows.create({ name: 'gone' })
        await store.workflows.create({ name: 'kept' })
        expect(await store.workflows.deleteById(gone.id)).toBe(true)
        expect(await store.workflows.deleteById(gone.id)).toBe(false)
        expect(await store.workflows.findById(gone.id)).toBeUndefined()
        expect(await store.workflows.findOne({ name: 'gone' })).toBeUndefined()
        expect((await store.workflows.findMany()).map((row) => row.name)).toEqual(['kept'])
        expect(await store.workflows.count()).toBe(1)
        expect(await store.workflows.update({ name: 'gone' }, { name: 'x' })).toBe(0)
        expect(await store.workflows.count(undefined, { includeDeleted: true })).toBe(2)
        const kept = await store.workflows.findById(gone.id, { includeDeleted: true })
        expect(kept?.deletedAt).toEqual(expect.any(Number))
        expect(await store.workflows.delete({ name: 'kept' })).toBe(1)
        expect(await store.workflows.count()).toBe(0)
        expect(await store.workflows.hardDelete({})).toBe(2)
        expect(await store.workflows.count(undefined, { includeDeleted: true })).toBe(0)
      })
    })
  })
}
