/**
 * Executor suite, closing (spec 5.2 item 49, spec 1.6.2 and 1.6.3): every finished execution,
 * parents and their children included, goes through its close cycle to `closed`, as seen in the
 * stored rows.
 */
import { describe, expect, it } from 'vitest'

import { childTask } from '../../core/executor/index.js'
import type { TaskExecutionsStorage, TaskExecutionStorageValue } from '../../core/storage.js'
import {
  type ExecutorSuiteContext,
  expectFinishedStatus,
  readStoredExecution,
  waitUntil,
} from './harness.js'

async function waitUntilClosed(
  storage: TaskExecutionsStorage,
  executionId: string,
): Promise<TaskExecutionStorageValue> {
  let row: TaskExecutionStorageValue | undefined
  await waitUntil(`execution ${executionId} is closed`, async () => {
    row = await readStoredExecution(storage, executionId)
    return row.closeStatus === 'closed'
  })
  return row!
}

/** Registers the closing tests in the calling `describe`. */
export function describeClosingBehaviours(context: ExecutorSuiteContext): void {
  describe('closing', () => {
    it('closes a finished task, recording closedAt', async () => {
      const executor = await context.startExecutor()
      const task = executor.task({ id: 'test', timeoutMs: 1000, run: () => 'done' })
      const handle = await executor.enqueueTask(task)
      await expectFinishedStatus(handle, 'completed')
      const row = await waitUntilClosed(context.storage, handle.executionId)
      expect(row.status).toBe('completed')
      expect(row.closedAt).toBeGreaterThanOrEqual(row.finishedAt!)
      expect(row.closeExpiresAt).toBeUndefined()
    })

    it('closes a parent after processing its finished children, and closes the children', async () => {
      const executor = await context.startExecutor()
      const child = executor.task({ id: 'child', timeoutMs: 1000, run: (_ctx, n: number) => n })
      const parent = executor.parentTask({
        id: 'parent',
        timeoutMs: 1000,
        runParent: () => ({ output: 'parent_output', children: [childTask(child, 1), childTask(child, 2)] }),
      })
      const handle = await executor.enqueueTask(parent)
      const execution = await expectFinishedStatus(handle, 'completed')
      const row = await waitUntilClosed(context.storage, handle.executionId)
      expect(row.onChildrenFinishedProcessingStatus).toBe('processed')
      expect(row.onChildrenFinishedProcessingFinishedAt).toBeGreaterThan(0)
      expect(row.onChildrenFinishedProcessingExpiresAt).toBeUndefined()
      // Timestamps are whole milliseconds and both steps may land in the same one.
      expect(row.closedAt).toBeGreaterThanOrEqual(row.onChildrenFinishedProcessingFinishedAt!)
      expect(row.activeChildrenCount).toBe(0)
      for (const summary of execution.children) {
        const childRow = await waitUntilClosed(context.storage, summary.executionId)
        expect(childRow.status).toBe('completed')
      }
    })

    it('closes a parent and its finalize child when finalize is a task', async () => {
      const executor = await context.startExecutor()
      const child = executor.task({ id: 'child', timeoutMs: 1000, run: () => 'c' })
      const parent = executor.parentTask({
        id: 'parent',
        timeoutMs: 1000,
        runParent: () => ({ output: 'p', children: [childTask(child)] }),
        finalize: {
          id: 'parent_finalize',
          timeoutMs: 1000,
          run: (_ctx, { output }) => `${output}!`,
        },
      })
      const handle = await executor.enqueueTask(parent)
      const execution = await expectFinishedStatus(handle, 'completed')
      expect(execution.output).toBe('p!')
      await waitUntilClosed(context.storage, handle.executionId)
      const finalizeRow = await waitUntilClosed(context.storage, execution.finalize!.executionId)
      expect(finalizeRow.status).toBe('completed')
      expect(finalizeRow.parent).toMatchObject({
        executionId: handle.executionId,
        isFinalizeOfParent: true,
      })
    })
  })
}
