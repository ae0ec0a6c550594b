/**
 * Executor suite, parents and children (spec 5.2 items 40-46, spec 4.2.3 and 4.7): the default
 * fan-in output, finalize as a function and as a task (itself possibly a parent), failed and
 * timed-out children seen by finalize, child overrides, and the children limit.
 */
import { describe, expect, it } from 'vitest'

import { childTask } from '../../core/executor/index.js'
import type { FinishedChildTaskExecution } from '../../core/read-model.js'
import {
  type ExecutorSuiteContext,
  expectFinishedStatus,
  sleep,
  whenAborted,
} from './harness.js'

function outputsOf(children: ReadonlyArray<FinishedChildTaskExecution>): Array<unknown> {
  return children.map((child) => (child.status === 'completed' ? child.output : child.status))
}

/** Registers the parent, child and finalize tests in the calling `describe`. */
export function describeParentAndChildBehaviours(context: ExecutorSuiteContext): void {
  describe('parents, children and finalize', () => {
    it('completes a parent without finalize with its output and every child in declared order', async () => {
      const executor = await context.startExecutor()
      const child = executor.task({
        id: 'child',
        timeoutMs: 1000,
        run: async (_ctx, input: number) => {
          // Later children finish first, so order of completion differs from declared order.
          await sleep((4 - input) * 15)
          return input * 10
        },
      })
      const parent = executor.parentTask({
        id: 'parent',
        timeoutMs: 1000,
        runParent: (_ctx, input: string) => ({
          output: `${input}_output`,
          children: [childTask(child, 1), childTask(child, 2), childTask(child, 3)],
        }),
      })
      const handle = await executor.enqueueTask(parent, 'parent')
      const execution = await expectFinishedStatus(handle, 'completed')
      expect(execution.output.output).toBe('parent_output')
      expect(execution.output.children).toHaveLength(3)
      execution.output.children.forEach((finishedChild, index) => {
        expect(finishedChild).toMatchObject({
          taskId: 'child',
          status: 'completed',
          output: (index + 1) * 10,
        })
        expect(finishedChild.executionId).toBe(execution.children[index]!.executionId)
        expect(finishedChild.executionId).toMatch(/^te_/)
      })
      expect(execution.waitingForChildrenStartedAt).toBeInstanceOf(Date)
      expect(execution.waitingForFinalizeStartedAt).toBeUndefined()
    })

    it('completes a parent without children with its output and an empty children list', async () => {
      const executor = await context.startExecutor()
      const parent = executor.parentTask({
        id: 'parent',
        timeoutMs: 1000,
        runParent: () => ({ output: 'parent_output' }),
      })
      const handle = await executor.enqueueTask(parent)
      const execution = await expectFinishedStatus(handle, 'completed')
      expect(execution.output).toEqual({ output: 'parent_output', children: [] })
      expect(execution.children).toEqual([])
      expect(execution.waitingForChildrenStartedAt).toBeUndefined()
      expect(execution.waitingForFinalizeStartedAt).toBeUndefined()
    })

    it('gives the children of a parent their link to the parent and to the root', async () => {
      const executor = await context.startExecutor()
      const links: Array<unknown> = []
      const child = executor.task({
        id: 'child',
        timeoutMs: 1000,
        run: (ctx, input: number) => {
          links[input] = { parent: ctx.parent, root: ctx.root }
          return input
        },
      })
      const parent = executor.parentTask({
        id: 'parent',
        timeoutMs: 1000,
        runParent: () => ({ output: 'p', children: [childTask(child, 0), childTask(child, 1)] }),
      })
      const handle = await executor.enqueueTask(parent)
      await expectFinishedStatus(handle, 'completed')
      const parentSummary = { taskId: 'parent', executionId: handle.executionId }
      expect(links).toEqual([0, 1].map((index) => ({
        parent: {
          ...parentSummary,
          indexInParentChildren: index,
          isOnlyChildOfParent: false,
          isFinalizeOfParent: false,
        },
        root: parentSummary,
      })))
    })

    it('applies childTask option overrides to the child execution', async () => {
      const executor = await context.startExecutor()
      const attemptsSeen: Array<number> = []
      const child = executor.task({
        id: 'child',
        timeoutMs: 10,
        run: async (ctx) => {
          attemptsSeen.push(ctx.attempt)
          await sleep(50)
          if (ctx.attempt === 0) throw new Error('first attempt fails')
          return 'child_output'
        },
      })
      const parent = executor.parentTask({
        id: 'parent',
        timeoutMs: 1000,
        runParent: () => ({
          output: 'p',
          children: [
            childTask(child, undefined, { timeoutMs: 5000, retryOptions: { maxAttempts: 1 } }),
          ],
        }),
      })
      const handle = await executor.enqueueTask(parent)
      const execution = await expectFinishedStatus(handle, 'completed')
      expect(outputsOf(execution.output.children)).toEqual(['child_output'])
      expect(attemptsSeen).toEqual([0, 1])
    })

    it('combines output and children with a finalize function, with and without children', async () => {
      const executor = await context.startExecutor()
      const child = executor.task({
        id: 'child',
        timeoutMs: 1000,
        run: (_ctx, input: string) => input.toUpperCase(),
      })
      const withChildren = executor.parentTask({
        id: 'with_children',
        timeoutMs: 1000,
        runParent: () => ({ output: 'p', children: [childTask(child, 'a'), childTask(child, 'b')] }),
        finalize: ({ output, children }) => `${output}:${outputsOf(children).join(',')}`,
      })
      const withoutChildren = executor.parentTask({
        id: 'without_children',
        timeoutMs: 1000,
        runParent: () => ({ output: 'q' }),
        finalize: ({ output, children }) => `${output}:${children.length}`,
      })
      const withHandle = await executor.enqueueTask(withChildren)
      const withoutHandle = await executor.enqueueTask(withoutChildren)
      const withExecution = await expectFinishedStatus(withHandle, 'completed')
      const withoutExecution = await expectFinishedStatus(withoutHandle, 'completed')
      expect(withExecution.output).toBe('p:A,B')
      expect(withExecution.waitingForChildrenStartedAt).toBeInstanceOf(Date)
      expect(withExecution.waitingForFinalizeStartedAt).toBeInstanceOf(Date)
      expect(withoutExecution.output).toBe('q:0')
      expect(withoutExecution.waitingForFinalizeStartedAt).toBeInstanceOf(Date)
    })

    it('combines output and children with a finalize task, with and without children', async () => {
      const executor = await context.startExecutor()
      const child = executor.task({
        id: 'child',
        timeoutMs: 1000,
        run: (_ctx, input: string) => input.toUpperCase(),
      })
      const withChildren = executor.parentTask({
        id: 'with_children',
        timeoutMs: 1000,
        runParent: () => ({ output: 'p', children: [childTask(child, 'a'), childTask(child, 'b')] }),
        finalize: {
          id: 'with_children_finalize',
          timeoutMs: 1000,
          run: (_ctx, { output, children }) => `${output}:${outputsOf(children).join(',')}`,
        },
      })
      const withoutChildren = executor.parentTask({
        id: 'without_children',
        timeoutMs: 1000,
        runParent: () => ({ output: 'q' }),
        finalize: {
          id: 'without_children_finalize',
          timeoutMs: 1000,
          run: (_ctx, { output, children }) => `${output}:${children.length}`,
        },
      })
      const withHandle = await executor.enqueueTask(withChildren)
      const withoutHandle = await executor.enqueueTask(withoutChildren)
      const withExecution = await expectFinishedStatus(withHandle, 'completed')
      const withoutExecution = await expectFinishedStatus(withoutHandle, 'completed')
      expect(withExecution.output).toBe('p:A,B')
      expect(withExecution.finalize).toMatchObject({ taskId: 'with_children_finalize' })
      expect(withExecution.waitingForFinalizeStartedAt).toBeInstanceOf(Date)
      expect(withoutExecution.output).toBe('q:0')
      expect(withoutExecution.finalize).toMatchObject({ taskId: 'without_children_finalize' })
      expect(withoutExecution.waitingForChildrenStartedAt).toBeInstanceOf(Date)
      expect(withoutExecution.waitingForFinalizeStartedAt).toBeInstanceOf(Date)
    })

    it('ends finalize_failed with a non-retryable error when a finalize function throws', async () => {
      const executor = await context.startExecutor()
      const child = executor.task({ id: 'child', timeoutMs: 1000, run: () => 'child_output' })
      const parent = executor.parentTask({
        id: 'parent',
        timeoutMs: 1000,
        runParent: () => ({ output: 'p', children: [childTask(child)] }),
        finalize: () => {
          throw new Error('finalize function failed')
        },
      })
      const handle = await executor.enqueueTask(parent)
      const execution = await expectFinishedStatus(handle, 'finalize_failed')
      expect(execution.error).toMatchObject({
        errorType: 'generic',
        message: 'finalize function failed',
        isRetryable: false,
      })
      expect(execution.finishedAt).toBeInstanceOf(Date)
    })

    it('ends finalize_failed with the finalize task error as is when a finalize task throws', async () => {
      const executor = await context.startExecutor()
      const child = executor.task({ id: 'child', timeoutMs: 1000, run: () => 'child_output' })
      const parent = executor.parentTask({
        id: 'parent',
        timeoutMs: 1000,
        runParent: () => ({ output: 'p', children: [childTask(child)] }),
        finalize: {
          id: 'parent_finalize',
          timeoutMs: 1000,
          run: () => {
            throw new Error('finalize task failed')
          },
        },
      })
      const handle = await executor.enqueueTask(parent)
      const execution = await expectFinishedStatus(handle, 'finalize_failed')
      expect(execution.error).toEqual({
        errorType: 'generic',
        message: 'finalize task failed',
        isRetryable: true,
        isInternal: false,
      })
      expect(execution.finalize).toMatchObject({ taskId: 'parent_finalize' })
    })

    it('lets failed children through to the output and lets finalize decide', async () => {
      const executor = await context.startExecutor()
      const child = executor.task({
        id: 'child',
        timeoutMs: 1000,
        run: (_ctx, input: { fail: boolean }) => {
          if (input.fail) throw new Error('child failed')
          return 'child_output'
        },
      })
      const tolerant = executor.parentTask({
        id: 'tolerant',
        timeoutMs: 1000,
        runParent: () => ({
          output: 'p',
          children: [childTask(child, { fail: false }), childTask(child, { fail: true })],
        }),
      })
      const strict = executor.parentTask({
        id: 'strict',
        timeoutMs: 1000,
        runParent: () => ({
          output: 'p',
          children: [childTask(child, { fail: false }), childTask(child, { fail: true })],
        }),
        finalize: ({ children }) => {
          for (const finishedChild of children) {
            if (finishedChild.status !== 'completed') throw new Error(finishedChild.error.message)
          }
          return 'all children completed'
        },
      })
      const tolerantHandle = await executor.enqueueTask(tolerant)
      const strictHandle = await executor.enqueueTask(strict)
      const tolerantExecution = await expectFinishedStatus(tolerantHandle, 'completed')
      expect(tolerantExecution.output.children[0]).toMatchObject({
        status: 'completed',
        output: 'child_output',
      })
      expect(tolerantExecution.output.children[1]).toMatchObject({
        taskId: 'child',
        status: 'failed',
        error: { errorType: 'generic', message: 'child failed', isRetryable: true },
      })
      const strictExecution = await expectFinishedStatus(strictHandle, 'finalize_failed')
      expect(strictExecution.error.message).toBe('child failed')
    })

    it('fails a parent that spawns more than the maximum number of children, without retrying', async () => {
      const executor = await context.startExecutor()
      let childRuns = 0
      let parentRuns = 0
      const child = executor.task({
        id: 'child',
        timeoutMs: 1000,
        run: () => {
          childRuns++
          return 1
        },
      })
      const parent = executor.parentTask({
        id: 'parent',
        timeoutMs: 1000,
        retryOptions: { maxAttempts: 2 },
        runParent: () => {
          parentRuns++
          return {
            output: 'p',
            children: Array.from({ length: 1001 }, () => childTask(child)),
          }
        },
      })
      const handle = await executor.enqueueTask(parent)
      const execution = await expectFinishedStatus(handle, 'failed')
      expect(execution.error.message).toContain(
        'Parent task tried to spawn more than max children tasks [taskId=parent] [attempted=1001] [max=1000]',
      )
      expect(execution.error.isRetryable).toBe(false)
      expect(parentRuns).toBe(1)
      expect(childRuns).toBe(0)
    })

    it('runs a finalize task that is itself a parent with children and its own finalize', async () => {
      const executor = await context.startExecutor()
      const child = executor.task({
        id: 'child',
        timeoutMs: 1000,
        run: (_ctx, input: number) => input * 10,
      })
      const parent = executor.parentTask({
        id: 'parent',
        timeoutMs: 1000,
        runParent: () => ({ output: 'root', children: [childTask(child, 1), childTask(child, 2)] }),
        finalize: {
          id: 'parent_finalize',
          timeoutMs: 1000,
          runParent: (_ctx, { output, children }) => ({
            output: `${output}:${outputsOf(children).join('+')}`,
            children: [childTask(child, 3)],
          }),
          finalize: ({ output, children }) => `${output}|${outputsOf(children).join('+')}`,
        },
      })
      const handle = await executor.enqueueTask(parent)
      const execution = await expectFinishedStatus(handle, 'completed')
      expect(execution.output).toBe('root:10+20|30')
    })

    it('lets a failing grandchild reach the grandparent only through finalize code', async () => {
      const executor = await context.startExecutor()
      const grandchild = executor.task({
        id: 'grandchild',
        timeoutMs: 1000,
        run: () => {
          throw new Error('grandchild failed')
        },
      })
      const tolerantParent = executor.parentTask({
        id: 'tolerant_parent',
        timeoutMs: 1000,
        runParent: () => ({ output: 'tolerant', children: [childTask(grandchild)] }),
      })
      const strictParent = executor.parentTask({
        id: 'strict_parent',
        timeoutMs: 1000,
        runParent: () => ({ output: 'strict', children: [childTask(grandchild)] }),
        finalize: ({ children }) => {
          const [only] = children
          if (only?.status !== 'completed') {
            throw new Error(`parent saw: ${only?.status === 'failed' ? only.error.message : '?'}`)
          }
          return 'unexpected'
        },
      })
      const grandparent = executor.parentTask({
        id: 'grandparent',
        timeoutMs: 1000,
        runParent: () => ({
          output: 'grandparent',
          children: [childTask(tolerantParent), childTask(strictParent)],
        }),
      })
      const handle = await executor.enqueueTask(grandparent)
      const execution = await expectFinishedStatus(handle, 'completed')
      const [tolerantChild, strictChild] = execution.output.children
      expect(tolerantChild).toMatchObject({
        taskId: 'tolerant_parent',
        status: 'completed',
        output: {
          output: 'tolerant',
          children: [
            { taskId: 'grandchild', status: 'failed', error: { message: 'grandchild failed' } },
          ],
        },
      })
      expect(strictChild).toMatchObject({
        taskId: 'strict_parent',
        status: 'finalize_failed',
        error: { message: 'parent saw: grandchild failed', isRetryable: false },
      })
    })

    it('shows a timed-out child to finalize as timed_out', async () => {
      const executor = await context.startExecutor()
      const slowChild = executor.task({
        id: 'slow_child',
        timeoutMs: 10,
        run: async (ctx) => {
          await whenAborted(ctx.abortSignal)
          return 'too late'
        },
      })
      const parent = executor.parentTask({
        id: 'parent',
        timeoutMs: 1000,
        runParent: () => ({ output: 'p', children: [childTask(slowChild)] }),
        finalize: ({ children }) =>
          children.map((child) => ({
            status: child.status,
            errorType: child.status === 'completed' ? undefined : child.error.errorType,
          })),
      })
      const handle = await executor.enqueueTask(parent)
      const execution = await expectFinishedStatus(handle, 'completed')
      expect(execution.output).toEqual([{ status: 'timed_out', errorType: 'timed_out' }])
    })
  })
}
