/**
 * Executor suite, storage failures (spec 5.2 item 39, spec 2.6 item 2): a storage wrapped in a
 * proxy that throws on chosen calls; transient failures are absorbed by the storage retry, and a
 * run's result write is retried until it lands (beyond upstream, which records storage errors as
 * the run's own: spec 4.6 step 6). Only a write the storage refuses for good fails the run.
 * Nothing half-written is left behind.
 */
import { describe, expect, it } from 'vitest'

import { DurableExecutionError } from '../../core/errors.js'
import { childTask, type DurableExecutor } from '../../core/executor/index.js'
import {
  createFaultyStorage,
  type ExecutorSuiteContext,
  expectFinishedStatus,
  FAST_POLLING,
  readStoredExecution,
  sleep,
  waitUntil,
} from './harness.js'

/** A task that returns `output` and counts its runs. */
function countingTask(executor: DurableExecutor, id: string, output: string) {
  let runs = 0
  const task = executor.task({
    id,
    timeoutMs: 1000,
    run: () => {
      runs++
      return output
    },
  })
  return { task, runs: () => runs }
}

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

    it('keeps writing a result through storage failures beyond the storage retry, running the task once', async () => {
      const faulty = createFaultyStorage(context.storage)
      const executor = await context.startExecutor({ storageMaxRetryAttempts: 1 }, faulty.storage)
      const child = countingTask(executor, 'child', 'child_output')
      let parentRuns = 0
      const parent = executor.parentTask({
        id: 'parent',
        timeoutMs: 1000,
        retryOptions: { maxAttempts: 1 },
        runParent: () => {
          parentRuns++
          return { output: 'parent_output', children: [childTask(child.task)] }
        },
      })
      faulty.failNextCalls('updateManyByIdAndInsertChildrenIfUpdated', 4)
      const handle = await executor.enqueueTask(parent)
      const execution = await expectFinishedStatus(handle, 'completed')
      expect(execution.retryAttempts).toBe(0)
      expect(parentRuns).toBe(1)
      expect(child.runs()).toBe(1)
      expect(execution.output.children).toEqual([
        expect.objectContaining({ status: 'completed', output: 'child_output' }),
      ])
      expect(faulty.callCount('updateManyByIdAndInsertChildrenIfUpdated')).toBeGreaterThanOrEqual(5)
    })

    it('never records a run that succeeded as failed while writing its output fails', async () => {
      const faulty = createFaultyStorage(context.storage)
      const executor = await context.startExecutor({ storageMaxRetryAttempts: 0 }, faulty.storage)
      const counted = countingTask(executor, 'test', 'done')
      faulty.failNextCalls('updateManyById', 3)
      const handle = await executor.enqueueTask(counted.task)
      const execution = await expectFinishedStatus(handle, 'completed')
      expect(execution.output).toBe('done')
      expect(execution.retryAttempts).toBe(0)
      expect(counted.runs()).toBe(1)
    })

    it('lands a result whose write kept failing past the end of its lease, running the task once', async () => {
      const faulty = createFaultyStorage(context.storage)
      const executor = await context.startExecutor({ storageMaxRetryAttempts: 0, expireLeewayMs: 0 }, faulty.storage)
      const counted = countingTask(executor, 'test', 'done late')
      faulty.setFailing('updateManyById', true)
      // A lease of 1.5 s: the first write fails well inside it even on a loaded machine (the expiry
      // sweep holds off from that failure on), and the writes keep failing until it is over.
      const handle = await executor.enqueueTask(counted.task, undefined, { timeoutMs: 1500 })
      await waitUntil('the task ran', () => counted.runs() === 1)
      await waitUntil('the result write failed', () => faulty.callCount('updateManyById') >= 1)
      const { expiresAt } = await readStoredExecution(context.storage, handle.executionId)
      await sleep(Math.max(0, (expiresAt ?? Date.now()) - Date.now()) + 200)
      const callsAfterTheLease = faulty.callCount('updateManyById')
      await waitUntil('the result write was retried after the lease ended', () => faulty.callCount('updateManyById') > callsAfterTheLease)
      faulty.setFailing('updateManyById', false)
      const execution = await expectFinishedStatus(handle, 'completed')
      expect(execution.output).toBe('done late')
      expect(execution.retryAttempts).toBe(0)
      expect(counted.runs()).toBe(1)
      expect((await readStoredExecution(context.storage, handle.executionId)).expiryCount ?? 0).toBe(0)
    })

    it('fails the parent and inserts no child when the storage refuses the children for good', async () => {
      const faulty = createFaultyStorage(context.storage)
      const executor = await context.startExecutor({ storageMaxRetryAttempts: 1 }, faulty.storage)
      const child = countingTask(executor, 'child', 'child')
      const parent = executor.parentTask({
        id: 'parent',
        timeoutMs: 1000,
        retryOptions: { maxAttempts: 3 },
        runParent: () => ({ output: 'parent_output', children: [childTask(child.task)] }),
      })
      faulty.failNextCalls('updateManyByIdAndInsertChildrenIfUpdated', 1, () =>
        DurableExecutionError.nonRetryable('the children violate a constraint'),
      )
      const handle = await executor.enqueueTask(parent)
      const execution = await expectFinishedStatus(handle, 'failed')
      expect(execution.error.message).toContain('the children violate a constraint')
      expect(execution.retryAttempts).toBe(0)
      const [children] = await context.storage.getManyByParentExecutionId([
        { parentExecutionId: handle.executionId },
      ])
      expect(children).toEqual([])
      expect(child.runs()).toBe(0)
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
