/**
 * Executor suite, storage failures (spec 5.2 item 39, spec 2.6 item 2 and 4.6 step 6): a storage
 * wrapped in a proxy that throws on chosen calls; transient failures are absorbed by the storage
 * retry, persistent ones surface to the caller or fail the execution, and nothing half-written
 * is left behind.
 */
import { describe, expect, it } from 'vitest'

import { childTask } from '../../core/executor/index.js'
import {
  createFaultyStorage,
  type ExecutorSuiteContext,
  expectFinishedStatus,
  FAST_POLLING,
} from './harness.js'

/** Registers the storage-failure tests in the calling `describe`. */
export function describeStorageFailureBehaviours(context: ExecutorSuiteContext): void {
  describe('storage failures', () => {
    it('rejects an enqueue with the storage message while insertMany fails, and enqueues again after', async () => {
      const faulty = createFaultyStorage(context.storage)
      const executor = await context.startExecutor(undefined, faulty.storage)
      const task = executor.task({ id: 'test', timeoutMs: 1000, run: () => 'done' })
      faulty.setFailing('insertMany', true)
      await expect(executor.enqueueTask(task)).rejects.toThrow('insertMany failed')
      faulty.setFailing('insertMany', false)
      const handle = await executor.enqueueTask(task)
      expect(
        (await expectFinishedStatus(handle, 'completed')).output,
      ).toBe('done')
    })

    it('absorbs one transient failure of inserting children with the storage retry', async () => {
      const faulty = createFaultyStorage(context.storage)
      const executor = await context.startExecutor({ storageMaxRetryAttempts: 1 }, faulty.storage)
      const child = executor.task({
        id: 'child',
        timeoutMs: 1000,
        run: (_ctx, input: number) => input * 2,
      })
      const parent = executor.parentTask({
        id: 'parent',
        timeoutMs: 1000,
        runParent: () => ({
          output: 'parent_output',
          children: [childTask(child, 1), childTask(child, 2)],
        }),
      })
      faulty.failNextCalls('updateManyByIdAndInsertChildrenIfUpdated', 1)
      const handle = await executor.enqueueTask(parent)
      const execution = await expectFinishedStatus(handle, 'completed')
      expect(execution.output.output).toBe('parent_output')
      expect(execution.output.children.map((c) => c.status === 'completed' && c.output)).toEqual([
        2, 4,
      ])
      expect(faulty.callCount('updateManyByIdAndInsertChildrenIfUpdated')).toBeGreaterThanOrEqual(2)
    })

    it('fails the parent and inserts no child when inserting children fails beyond the storage retry', async () => {
      const faulty = createFaultyStorage(context.storage)
      const executor = await context.startExecutor({ storageMaxRetryAttempts: 1 }, faulty.storage)
      let childRuns = 0
      const child = executor.task({
        id: 'child',
        timeoutMs: 1000,
        run: () => {
          childRuns++
          return 'child'
        },
      })
      const parent = executor.parentTask({
        id: 'parent',
        timeoutMs: 1000,
        runParent: () => ({ output: 'parent_output', children: [childTask(child)] }),
      })
      faulty.failNextCalls('updateManyByIdAndInsertChildrenIfUpdated', 2)
      const handle = await executor.enqueueTask(parent)
      const execution = await expectFinishedStatus(handle, 'failed')
      expect(execution.error.message).toContain('updateManyByIdAndInsertChildrenIfUpdated failed')
      const [children] = await context.storage.getManyByParentExecutionId([
        { parentExecutionId: handle.executionId },
      ])
      expect(children).toEqual([])
      expect(childRuns).toBe(0)
    })

    it('re-queues a parent with retries left after a storage outage and then completes it', async () => {
      const faulty = createFaultyStorage(context.storage)
      const executor = await context.startExecutor({ storageMaxRetryAttempts: 1 }, faulty.storage)
      const child = executor.task({ id: 'child', timeoutMs: 1000, run: () => 'child_output' })
      let parentRuns = 0
      const parent = executor.parentTask({
        id: 'parent',
        timeoutMs: 1000,
        retryOptions: { maxAttempts: 1 },
        runParent: () => {
          parentRuns++
          return { output: 'parent_output', children: [childTask(child)] }
        },
      })
      faulty.failNextCalls('updateManyByIdAndInsertChildrenIfUpdated', 2)
      const handle = await executor.enqueueTask(parent)
      const execution = await expectFinishedStatus(handle, 'completed')
      expect(execution.retryAttempts).toBe(1)
      expect(parentRuns).toBe(2)
      expect(execution.output.children).toHaveLength(1)
      expect(execution.output.children[0]).toMatchObject({
        status: 'completed',
        output: 'child_output',
      })
    })

    it('surfaces getManyById failures to getExecution and recovers when the storage does', async () => {
      const faulty = createFaultyStorage(context.storage)
      const executor = await context.startExecutor(undefined, faulty.storage)
      const task = executor.task({ id: 'test', timeoutMs: 1000, run: () => 'done' })
      const handle = await executor.enqueueTask(task)
      await handle.waitAndGetFinishedExecution(FAST_POLLING)

      faulty.setFailing('getManyById', true)
      await expect(handle.getExecution()).rejects.toThrow('getManyById failed')
      faulty.setFailing('getManyById', false)
      expect((await handle.getExecution()).status).toBe('completed')
    })
  })
}
