/**
 * Executor suite, concurrency and several executors (spec 5.2 items 55-56, spec 4.9): the limit
 * of runs in progress and of rows per pickup, and executors sharing one storage without running
 * anything twice.
 */
import { describe, expect, it } from 'vitest'

import { childTask, type DurableExecutor } from '../../core/executor/index.js'
import type { LoopingTaskIterationOutput } from '../../core/executor/types.js'
import {
  blockRun,
  createGate,
  type ExecutorSuiteContext,
  expectFinishedStatus,
  type Gate,
  randomSuffix,
  readStoredExecution,
  sleep,
  waitUntil,
} from './harness.js'

// Pickup loops run every 50 ms in the suite: this is several chances to start a run too many.
const SEVERAL_PICKUP_INTERVALS_MS = 300

/** Registers the concurrency tests in the calling `describe`. */
export function describeConcurrencyBehaviours(context: ExecutorSuiteContext): void {
  async function checkConcurrencyLimit(
    maxConcurrentTaskExecutions: number,
    maxTaskExecutionsPerBatch: number,
  ): Promise<void> {
    const executor = await context.startExecutor({
      maxConcurrentTaskExecutions,
      maxTaskExecutionsPerBatch,
    })
    const total = 5
    const gates: Array<Gate> = Array.from({ length: total }, () => createGate())
    const started: Array<number> = []
    let running = 0
    let maxRunning = 0
    const task = executor.task({
      id: 'test',
      timeoutMs: 30_000,
      run: async (ctx, input: number) => {
        started.push(input)
        running++
        maxRunning = Math.max(maxRunning, running)
        try {
          await blockRun(ctx, gates[input]!)
        } finally {
          running--
        }
        return input
      },
    })
    const handles = await Promise.all(
      Array.from({ length: total }, (_, input) => executor.enqueueTask(task, input)),
    )
    const expectedAtOnce = Math.min(total, maxConcurrentTaskExecutions)
    await waitUntil(`${expectedAtOnce} runs started`, () => started.length === expectedAtOnce)
    await sleep(SEVERAL_PICKUP_INTERVALS_MS)
    expect(started).toHaveLength(expectedAtOnce)
    expect(executor.getRunningTaskExecutionsCount()).toBe(expectedAtOnce)

    // Finishing two runs at a time lets at most two more start.
    let released = 0
    while (released < total) {
      const toRelease = started.slice(released, released + 2)
      for (const input of toRelease) gates[input]!.open()
      released += toRelease.length
      const expectedStarted = Math.min(total, released + maxConcurrentTaskExecutions)
      await waitUntil(`${expectedStarted} runs started`, () => started.length === expectedStarted)
      await waitUntil(
        'the running count reflects the finished runs',
        () => executor.getRunningTaskExecutionsCount() === expectedStarted - released,
      )
    }
    for (const [input, handle] of handles.entries()) {
      const execution = await expectFinishedStatus(handle, 'completed')
      expect(execution.output).toBe(input)
    }
    await waitUntil('no run is in progress', () => executor.getRunningTaskExecutionsCount() === 0)
    expect(maxRunning).toBe(expectedAtOnce)
    expect(new Set(started).size).toBe(total)
  }

  describe('concurrency limits', () => {
    it('runs at most 3 at once with maxConcurrentTaskExecutions 3 and batches of 2, starting more as runs end', async () => {
      await checkConcurrencyLimit(3, 2)
    })

    it('runs at most 2 at once with maxConcurrentTaskExecutions 2 and batches of 5', async () => {
      await checkConcurrencyLimit(2, 5)
    })

    it('runs all 5 at once with maxConcurrentTaskExecutions 5 and batches of 3', async () => {
      await checkConcurrencyLimit(5, 3)
    })
  })

  describe('several executors on one storage', () => {
    it('runs each execution exactly once when two executors share the storage', async () => {
      const runsByInput = new Map<number, number>()
      const define = (executor: DurableExecutor) =>
        executor.task({
          id: 'test',
          timeoutMs: 1000,
          run: async (_ctx, input: number) => {
            runsByInput.set(input, (runsByInput.get(input) ?? 0) + 1)
            await sleep(5)
            return input
          },
        })
      const first = await context.startExecutor()
      const second = await context.startExecutor()
      const firstTask = define(first)
      define(second)
      const handles = await Promise.all(
        Array.from({ length: 20 }, (_, input) => first.enqueueTask(firstTask, input)),
      )
      for (const handle of handles) {
        await expectFinishedStatus(handle, 'completed')
      }
      // Let every row go through its close cycle: a second pickup would have happened by then.
      await waitUntil('every execution is closed', async () => {
        const rows = await Promise.all(
          handles.map((handle) => readStoredExecution(context.storage, handle.executionId)),
        )
        return rows.every((row) => row.closeStatus === 'closed')
      })
      expect([...runsByInput.keys()].sort((a, b) => a - b)).toEqual(
        Array.from({ length: 20 }, (_, input) => input),
      )
      expect([...runsByInput.values()].every((runs) => runs === 1)).toBe(true)
    })

    it('completes a parent whose 3 children are shared out between two executors, in order', async () => {
      const define = (executor: DurableExecutor) => {
        const child = executor.task({
          id: 'child',
          timeoutMs: 1000,
          run: (_ctx, input: number) => `child_${input}`,
        })
        return executor.parentTask({
          id: 'parent',
          timeoutMs: 1000,
          runParent: () => ({
            output: 'p',
            children: [childTask(child, 0), childTask(child, 1), childTask(child, 2)],
          }),
        })
      }
      const first = await context.startExecutor()
      const second = await context.startExecutor()
      const parent = define(first)
      define(second)
      const handle = await first.enqueueTask(parent)
      const execution = await expectFinishedStatus(handle, 'completed')
      expect(
        execution.output.children.map((child) => child.status === 'completed' && child.output),
      ).toEqual(['child_0', 'child_1', 'child_2'])
    })

    it('completes tasks of every kind enqueued across two executors', async () => {
      const define = (executor: DurableExecutor) => {
        const plain = executor.task({
          id: 'plain',
          timeoutMs: 1000,
          run: (_ctx, input: number) => input + 1,
        })
        const child = executor.task({
          id: 'child',
          timeoutMs: 1000,
          run: (_ctx, input: number) => input * 2,
        })
        const parent = executor.parentTask({
          id: 'parent',
          timeoutMs: 1000,
          runParent: (_ctx, input: number) => ({
            output: input,
            children: [childTask(child, input), childTask(child, input + 1)],
          }),
          finalize: ({ children }) =>
            children.reduce((sum, c) => sum + (c.status === 'completed' ? (c.output as number) : 0), 0),
        })
        const sequence = executor.sequentialTasks('sequence', [plain, child])
        const iteration = executor.task({
          id: 'iteration',
          timeoutMs: 1000,
          run: (_ctx, input: number): LoopingTaskIterationOutput<number> => ({
            isDone: true,
            output: input * 3,
          }),
        })
        const loop = executor.loopingTask('loop', iteration, 3)
        const sleeper = executor.sleepingTask<string>({ id: 'sleeper', timeoutMs: 60_000 })
        return { plain, parent, sequence, loop, sleeper }
      }
      const first = await context.startExecutor()
      const second = await context.startExecutor()
      const onFirst = define(first)
      const onSecond = define(second)
      const uniqueId = `uid_${randomSuffix()}`

      const plainHandle = await first.enqueueTask(onFirst.plain, 1)
      const parentHandle = await second.enqueueTask(onSecond.parent, 2)
      const sequenceHandle = await first.enqueueTask(onFirst.sequence, 3)
      const loopHandle = await second.enqueueTask(onSecond.loop, 4)
      const sleeperHandle = await first.enqueueTask(onFirst.sleeper, uniqueId)
      await second.wakeupSleepingTaskExecution(onSecond.sleeper, uniqueId, {
        status: 'completed',
        output: 'woken',
      })

      const outputs = [
        (await expectFinishedStatus(plainHandle, 'completed')).output,
        (await expectFinishedStatus(parentHandle, 'completed')).output,
        (await expectFinishedStatus(sequenceHandle, 'completed')).output,
        (await expectFinishedStatus(loopHandle, 'completed')).output,
        (await expectFinishedStatus(sleeperHandle, 'completed')).output,
      ]
      expect(outputs).toEqual([2, 4 + 6, 8, { isSuccess: true, output: 12 }, 'woken'])
    })

    it('completes a parent with 1000 children processed by two executors, each child run once', async () => {
      const runsByInput = new Map<number, number>()
      const define = (executor: DurableExecutor) => {
        const child = executor.task({
          id: 'child',
          timeoutMs: 5000,
          run: (_ctx, input: number) => {
            runsByInput.set(input, (runsByInput.get(input) ?? 0) + 1)
            return `output_${input}`
          },
        })
        return executor.parentTask({
          id: 'parent',
          timeoutMs: 5000,
          runParent: () => ({
            output: 'p',
            children: Array.from({ length: 1000 }, (_, input) => childTask(child, input)),
          }),
        })
      }
      const first = await context.startExecutor()
      const second = await context.startExecutor()
      const parent = define(first)
      define(second)
      const handle = await first.enqueueTask(parent)
      const execution = await expectFinishedStatus(handle, 'completed')
      const outputs = execution.output.children.map((child) =>
        child.status === 'completed' ? child.output : child.status,
      )
      expect(outputs).toEqual(Array.from({ length: 1000 }, (_, input) => `output_${input}`))
      expect(runsByInput.size).toBe(1000)
      expect([...runsByInput.values()].every((runs) => runs === 1)).toBe(true)
    })
  })
}
