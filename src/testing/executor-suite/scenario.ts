/**
 * The executor scenario of the storage conformance suite (spec 5.1 A, items 1-10): ten workloads
 * that exercise a storage through a real executor. `runExecutorScenario` runs them all at once
 * on one executor (enqueued up front, then awaited), as `runStorageTest` does;
 * `describeExecutorScenario` runs each as its own vitest test on a fresh storage.
 */
import { describe, expect, it } from 'vitest'

import { childTask, DurableExecutor } from '../../core/executor/index.js'
import type { LoopingTaskIterationOutput } from '../../core/executor/types.js'
import type { FinishedChildTaskExecution } from '../../core/read-model.js'
import { isFinishedTaskExecutionStatus } from '../../core/status.js'
import type { TaskExecutionsStorage } from '../../core/storage.js'
import {
  type DurableExecutorSuiteOptions,
  expectStatus,
  readStoredExecution,
  sleep,
  suiteExecutorOptions,
  useExecutorSuiteContext,
  waitUntil,
} from './harness.js'

const SCENARIO_POLLING = { pollingIntervalMs: 50 } as const

/** One workload: `prepare` registers its tasks and enqueues; the function it returns checks the outcome. */
type ScenarioItem = {
  title: string
  prepare: (
    executor: DurableExecutor,
    storage: TaskExecutionsStorage,
  ) => Promise<() => Promise<void>>
}

function completedOutputs(children: ReadonlyArray<FinishedChildTaskExecution>): Array<unknown> {
  return children.map((child) => (child.status === 'completed' ? child.output : undefined))
}

function expectDate(value: unknown): asserts value is Date {
  expect(value).toBeInstanceOf(Date)
}

const scenarioItems: ReadonlyArray<ScenarioItem> = [
  {
    title: 'completes a tree of parents, finalize tasks and a sequence with every output',
    prepare: async (executor) => {
      const leaf = (id: string) => executor.task({ id, timeoutMs: 1000, run: () => id })
      const a1 = leaf('a1')
      const a2 = leaf('a2')
      const a3 = leaf('a3')
      const taskA = executor.parentTask({
        id: 'a',
        timeoutMs: 1000,
        runParent: () => ({ output: 'a', children: [childTask(a1), childTask(a2), childTask(a3)] }),
        finalize: {
          id: 'taskAFinalize',
          timeoutMs: 1000,
          run: (_ctx, { children }) => completedOutputs(children) as Array<string>,
        },
      })
      const b1 = executor.task({ id: 'b1', timeoutMs: 1000, run: () => ['b1'] })
      const b2 = executor.task({
        id: 'b2',
        timeoutMs: 1000,
        run: (_ctx, input: Array<string>) => [...input, 'b2'],
      })
      const b3 = executor.task({
        id: 'b3',
        timeoutMs: 1000,
        run: (_ctx, input: Array<string>) => [...input, 'b3'],
      })
      const taskB = executor.sequentialTasks('b', [b1, b2, b3])
      const root = executor.parentTask({
        id: 'root',
        timeoutMs: 1000,
        runParent: () => ({ output: 'root', children: [childTask(taskA), childTask(taskB)] }),
        finalize: {
          id: 'rootFinalize',
          timeoutMs: 1000,
          run: (_ctx, { output, children }) => [
            output,
            ...completedOutputs(children).flatMap((childOutput) => childOutput as Array<string>),
          ],
        },
      })
      const handle = await executor.enqueueTask(root)
      return async () => {
        const execution = expectStatus(
          await handle.waitAndGetFinishedExecution(SCENARIO_POLLING),
          'completed',
        )
        expect(execution.output).toEqual(['root', 'a1', 'a2', 'a3', 'b1', 'b2', 'b3'])
        expect(execution.taskId).toBe('root')
        expect(execution.executionId).toMatch(/^te_/)
        expectDate(execution.startedAt)
        expectDate(execution.waitingForChildrenStartedAt)
        expectDate(execution.waitingForFinalizeStartedAt)
        expectDate(execution.finishedAt)
        expect(execution.finishedAt.getTime()).toBeGreaterThanOrEqual(
          execution.startedAt.getTime(),
        )
      }
    },
  },
  {
    title: 'completes 250 distinct tasks enqueued concurrently, each with its own output',
    prepare: async (executor) => {
      const tasks = Array.from({ length: 250 }, (_, index) =>
        executor.task({
          id: `t${index}`,
          timeoutMs: 5000,
          run: async () => {
            await sleep(Math.floor(Math.random() * 10))
            return `output_${index}`
          },
        }),
      )
      const handles = await Promise.all(tasks.map((task) => executor.enqueueTask(task)))
      return async () => {
        const executions = await Promise.all(
          handles.map((handle) => handle.waitAndGetFinishedExecution(SCENARIO_POLLING)),
        )
        executions.forEach((finished, index) => {
          const execution = expectStatus(finished, 'completed')
          expect(execution.taskId).toBe(`t${index}`)
          expect(execution.output).toBe(`output_${index}`)
          expect(execution.startedAt.getTime()).toBeGreaterThanOrEqual(
            execution.createdAt.getTime(),
          )
          expect(execution.finishedAt.getTime()).toBeGreaterThanOrEqual(
            execution.startedAt.getTime(),
          )
        })
      }
    },
  },
  {
    title: 'completes a task on its third attempt',
    prepare: async (executor) => {
      const task = executor.task({
        id: 'retry',
        timeoutMs: 1000,
        retryOptions: { maxAttempts: 3 },
        run: (ctx) => {
          if (ctx.attempt < 2) throw new Error('Not yet')
          return 'Success'
        },
      })
      const handle = await executor.enqueueTask(task)
      return async () => {
        const execution = expectStatus(
          await handle.waitAndGetFinishedExecution(SCENARIO_POLLING),
          'completed',
        )
        expect(execution.output).toBe('Success')
        expect(execution.retryAttempts).toBe(2)
      }
    },
  },
  {
    title: 'fails a task that throws and has no retries',
    prepare: async (executor) => {
      const task = executor.task({
        id: 'failing',
        timeoutMs: 1000,
        run: () => {
          throw new Error('Failed')
        },
      })
      const handle = await executor.enqueueTask(task)
      return async () => {
        const execution = expectStatus(
          await handle.waitAndGetFinishedExecution(SCENARIO_POLLING),
          'failed',
        )
        expect(execution.error.message).toBe('Failed')
      }
    },
  },
  {
    title: 'ends finalize_failed when the finalize task rejects a failed child',
    prepare: async (executor) => {
      const child = executor.task({
        id: 'failing_child',
        timeoutMs: 1000,
        run: () => {
          throw new Error('Child failed')
        },
      })
      const parent = executor.parentTask({
        id: 'parent_of_failing_child',
        timeoutMs: 1000,
        runParent: () => ({ output: 'parent', children: [childTask(child)] }),
        finalize: {
          id: 'parent_of_failing_child_finalize',
          timeoutMs: 1000,
          run: (_ctx, { children }) => {
            if (children.some((c) => c.status !== 'completed')) throw new Error('Failed')
            return 'all completed'
          },
        },
      })
      const handle = await executor.enqueueTask(parent)
      return async () => {
        const execution = expectStatus(
          await handle.waitAndGetFinishedExecution(SCENARIO_POLLING),
          'finalize_failed',
        )
        expect(execution.error.message).toBe('Failed')
      }
    },
  },
  {
    title: 'ends finalize_failed when the finalize task always throws',
    prepare: async (executor) => {
      const child = executor.task({ id: 'good_child', timeoutMs: 1000, run: () => 'good' })
      const parent = executor.parentTask({
        id: 'parent_with_failing_finalize',
        timeoutMs: 1000,
        runParent: () => ({ output: 'parent', children: [childTask(child)] }),
        finalize: {
          id: 'failing_finalize',
          timeoutMs: 1000,
          run: () => {
            throw new Error('Failed')
          },
        },
      })
      const handle = await executor.enqueueTask(parent)
      return async () => {
        const execution = expectStatus(
          await handle.waitAndGetFinishedExecution(SCENARIO_POLLING),
          'finalize_failed',
        )
        expect(execution.error.message).toBe('Failed')
      }
    },
  },
  {
    title: 'completes a parent with 500 children, each output in its place',
    prepare: async (executor) => {
      const child = executor.task({
        id: 'concurrent_child',
        timeoutMs: 5000,
        run: (_ctx, index: number) => index,
      })
      const parent = executor.parentTask({
        id: 'parent_of_500',
        timeoutMs: 1000,
        runParent: () => ({
          output: 'parent',
          children: Array.from({ length: 500 }, (_, index) => childTask(child, index)),
        }),
      })
      const handle = await executor.enqueueTask(parent)
      return async () => {
        const execution = expectStatus(
          await handle.waitAndGetFinishedExecution(SCENARIO_POLLING),
          'completed',
        )
        expect(execution.output.children).toHaveLength(500)
        execution.output.children.forEach((child, index) => {
          expect(child).toMatchObject({ status: 'completed', output: index })
        })
        expectDate(execution.waitingForChildrenStartedAt)
        expect(execution.waitingForFinalizeStartedAt).toBeUndefined()
      }
    },
  },
  {
    title: 'completes a looping task once its iteration sees the awaited value',
    prepare: async (executor) => {
      let value: number | undefined
      const iteration = executor.task({
        id: 'iteration',
        timeoutMs: 1000,
        run: (): LoopingTaskIterationOutput<number> =>
          value === undefined ? { isDone: false } : { isDone: true, output: value },
      })
      const looping = executor.loopingTask('looping', iteration, 20, 100)
      const handle = await executor.enqueueTask(looping)
      setTimeout(() => {
        value = 10
      }, 1000)
      return async () => {
        const execution = expectStatus(
          await handle.waitAndGetFinishedExecution({ pollingIntervalMs: 250 }),
          'completed',
        )
        expect(execution.output).toEqual({ isSuccess: true, output: 10 })
        expectDate(execution.waitingForChildrenStartedAt)
        expectDate(execution.waitingForFinalizeStartedAt)
      }
    },
  },
  {
    title: 'completes a parent through a sleeping child woken up with an output',
    prepare: async (executor) => {
      const sleeper = executor.sleepingTask<string>({ id: 'sleeping_child', timeoutMs: 300_000 })
      const parent = executor.parentTask({
        id: 'parent_of_sleeper',
        timeoutMs: 1000,
        runParent: () => ({ output: 'parent', children: [childTask(sleeper, 'test_unique_id')] }),
        finalize: {
          id: 'parent_of_sleeper_finalize',
          timeoutMs: 1000,
          run: (_ctx, { children }) => {
            const [child] = children
            if (child?.status !== 'completed') throw new Error('The sleeping child did not complete')
            return child.output as string
          },
        },
      })
      const handle = await executor.enqueueTask(parent)
      return async () => {
        await waitUntil('the parent waits for its sleeping child', async () => {
          const execution = await handle.getExecution()
          return (
            execution.status === 'waiting_for_children' ||
            isFinishedTaskExecutionStatus(execution.status)
          )
        })
        await sleep(100)
        const woken = expectStatus(
          await executor.wakeupSleepingTaskExecution(sleeper, 'test_unique_id', {
            status: 'completed',
            output: 'sleeping_task_output',
          }),
          'completed',
        )
        expect(woken.output).toBe('sleeping_task_output')
        expect(woken.waitingForChildrenStartedAt).toBeUndefined()
        expect(woken.waitingForFinalizeStartedAt).toBeUndefined()
        const execution = expectStatus(
          await handle.waitAndGetFinishedExecution(SCENARIO_POLLING),
          'completed',
        )
        expect(execution.output).toBe('sleeping_task_output')
      }
    },
  },
  {
    title: 'closes a parent after processing its only child, which ran once',
    prepare: async (executor, storage) => {
      let childRuns = 0
      const child = executor.task({
        id: 'close_child',
        timeoutMs: 1000,
        run: () => {
          childRuns++
          return 'child_output'
        },
      })
      const parent = executor.parentTask({
        id: 'close_parent',
        timeoutMs: 1000,
        runParent: () => ({ output: 'parent_output', children: [childTask(child)] }),
      })
      const handle = await executor.enqueueTask(parent)
      return async () => {
        const execution = expectStatus(
          await handle.waitAndGetFinishedExecution(SCENARIO_POLLING),
          'completed',
        )
        expect(execution.output.output).toBe('parent_output')
        const processed = await readStoredExecution(storage, handle.executionId)
        expect(processed.status).toBe('completed')
        expect(processed.onChildrenFinishedProcessingStatus).toBe('processed')
        expect(processed.onChildrenFinishedProcessingFinishedAt).toBeGreaterThan(0)
        let closed = processed
        await waitUntil('the parent is closed', async () => {
          closed = await readStoredExecution(storage, handle.executionId)
          return closed.closeStatus === 'closed'
        })
        // Whole milliseconds: processing and closing may land in the same one.
        expect(closed.closedAt).toBeGreaterThanOrEqual(closed.onChildrenFinishedProcessingFinishedAt!)
        expect(childRuns).toBe(1)
      }
    },
  },
]

/** Options of {@link runExecutorScenario}, as `runStorageTest` receives them. */
export type RunExecutorScenarioOptions = {
  /** Runs the executor with storage batching. Default `false`. */
  enableStorageBatching?: boolean
  /** Batch window of storage batching, in ms. Default 10. */
  storageBackgroundBatchingProcessIntraBatchSleepMs?: number
}

/**
 * Runs the executor scenario of spec 5.1 A on `storage`: one started executor (`logLevel
 * 'error'`, 50 ms loops), every workload enqueued up front, then each awaited and checked with
 * vitest `expect`. Shuts the executor down whatever happens. Rejects with the failures, each
 * prefixed by its workload.
 */
export async function runExecutorScenario(
  storage: TaskExecutionsStorage,
  options: RunExecutorScenarioOptions = {},
): Promise<void> {
  const executor = await DurableExecutor.make(storage, {
    ...suiteExecutorOptions(options.enableStorageBatching ?? false),
    storageBackgroundBatchingProcessIntraBatchSleepMs:
      options.storageBackgroundBatchingProcessIntraBatchSleepMs ?? 10,
  })
  await executor.start()
  try {
    const checks: Array<{ title: string; check: () => Promise<void> }> = []
    for (const item of scenarioItems) {
      checks.push({ title: item.title, check: await item.prepare(executor, storage) })
    }
    const results = await Promise.allSettled(checks.map(({ check }) => check()))
    const failures = results.flatMap((result, index) =>
      result.status === 'rejected' ? [{ title: checks[index]!.title, reason: result.reason }] : [],
    )
    if (failures.length > 0) {
      const details = failures
        .map(({ title, reason }) => `- ${title}: ${reason instanceof Error ? reason.message : String(reason)}`)
        .join('\n')
      throw new Error(`Executor scenario failed in ${failures.length} workload(s):\n${details}`, {
        cause: failures[0]!.reason,
      })
    }
  } finally {
    await executor.shutdown()
  }
}

/**
 * Declares a vitest `describe` with one test per workload of the executor scenario (spec 5.1 A),
 * each on a fresh storage from `options.createStorage` and its own started executor.
 */
export function describeExecutorScenario(name: string, options: DurableExecutorSuiteOptions): void {
  describe(name, () => {
    const context = useExecutorSuiteContext(options)
    for (const item of scenarioItems) {
      it(item.title, async () => {
        const executor = await context.startExecutor()
        const check = await item.prepare(executor, context.storage)
        await check()
      })
    }
  })
}
