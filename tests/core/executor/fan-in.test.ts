import { afterEach, describe, expect, it } from 'vitest'

import { childTask, DurableExecutor } from '../../../src/core/executor/index.js'
import { InMemoryTaskExecutionsStorage } from '../../../src/core/in-memory-storage.js'
import type { TaskExecutionsStorage } from '../../../src/core/storage.js'

const PARENTS = 250
const CHILDREN_PER_PARENT = 20

const executors: Array<DurableExecutor> = []

afterEach(async () => {
  await Promise.all(executors.splice(0).map((executor) => executor.shutdown()))
})

/** Registers the same fan-out tasks on an executor; completed runs are counted per execution id. */
function defineTasks(executor: DurableExecutor, completedRuns: Map<string, number>) {
  const countCompletedRun = (executionId: string) =>
    completedRuns.set(executionId, (completedRuns.get(executionId) ?? 0) + 1)
  const child = executor.task({
    id: 'fan_child',
    timeoutMs: 10_000,
    run: async (ctx, input: { parent: number; index: number }) => {
      await new Promise((resolve) => setImmediate(resolve))
      countCompletedRun(ctx.executionId)
      return input.parent * 1000 + input.index
    },
  })
  const parent = executor.parentTask({
    id: 'fan_parent',
    timeoutMs: 10_000,
    runParent: (ctx, input: number) => {
      countCompletedRun(ctx.executionId)
      return {
        output: `parent ${input}`,
        children: Array.from({ length: CHILDREN_PER_PARENT }, (_, index) =>
          childTask(child, { parent: input, index }),
        ),
      }
    },
  })
  return { parent }
}

async function runFanIn(executorCount: number, enableStorageBatching: boolean): Promise<void> {
  const storage: TaskExecutionsStorage = new InMemoryTaskExecutionsStorage()
  const completedRuns = new Map<string, number>()
  const parents: Array<{ executor: DurableExecutor } & ReturnType<typeof defineTasks>> = []
  for (let index = 0; index < executorCount; index++) {
    const executor = await DurableExecutor.make(storage, {
      logLevel: 'error',
      backgroundProcessIntraBatchSleepMs: 50,
      enableStorageBatching,
    })
    executors.push(executor)
    parents.push({ executor, ...defineTasks(executor, completedRuns) })
  }
  await Promise.all(parents.map(({ executor }) => executor.start()))

  const handles = await Promise.all(
    Array.from({ length: PARENTS }, (_, input) => {
      const { executor, parent } = parents[input % parents.length]!
      return executor.enqueueTask(parent, input)
    }),
  )
  const executions = await Promise.all(
    handles.map((handle) => handle.waitAndGetFinishedExecution({ pollingIntervalMs: 50 })),
  )

  for (const [input, execution] of executions.entries()) {
    expect(execution.status).toBe('completed')
    if (execution.status !== 'completed') continue
    expect(execution.output.output).toBe(`parent ${input}`)
    expect(execution.output.children).toHaveLength(CHILDREN_PER_PARENT)
    for (const [index, child] of execution.output.children.entries()) {
      expect(child).toMatchObject({ taskId: 'fan_child', status: 'completed', output: input * 1000 + index })
      expect(child.executionId).toBe(execution.children[index]?.executionId)
    }
  }
  // Every parent and every child ran to completion exactly once.
  expect(completedRuns.size).toBe(PARENTS * (1 + CHILDREN_PER_PARENT))
  const runCounts = new Set(completedRuns.values())
  expect([...runCounts]).toEqual([1])
}

describe('fan-in of many parents with many children', () => {
  it('completes 250 parents of 20 children each on one executor with outputs in declared order', async () => {
    await runFanIn(1, false)
  })

  it('completes 250 parents of 20 children each on one executor with storage batching', async () => {
    await runFanIn(1, true)
  })

  it('completes 250 parents of 20 children each on two executors sharing one storage, each run once', async () => {
    await runFanIn(2, false)
  })

  it('completes 250 parents of 20 children each on two executors with storage batching, each run once', async () => {
    await runFanIn(2, true)
  })
})
