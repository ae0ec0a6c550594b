import superjson from 'superjson'
import { afterEach, describe, expect, it } from 'vitest'

import { childTask, DurableExecutor } from '../../../src/core/executor/index.js'
import type { DurableExecutorOptions } from '../../../src/core/executor/index.js'
import { InMemoryTaskExecutionsStorage } from '../../../src/core/in-memory-storage.js'
import type { Serializer } from '../../../src/core/serializer.js'

const POLLING = { pollingIntervalMs: 20 }
const executors: Array<DurableExecutor> = []

afterEach(async () => {
  await Promise.all(executors.splice(0).map((executor) => executor.shutdown()))
})

async function startExecutor(options: DurableExecutorOptions = {}) {
  const storage = new InMemoryTaskExecutionsStorage()
  const executor = await DurableExecutor.make(storage, {
    logLevel: 'error',
    backgroundProcessIntraBatchSleepMs: 50,
    ...options,
  })
  executors.push(executor)
  await executor.start()
  return { storage, executor }
}

async function countRows(storage: InMemoryTaskExecutionsStorage): Promise<number> {
  let saved = ''
  await storage.save((serialized) => {
    saved = serialized
  })
  return superjson.parse<Map<string, unknown>>(saved).size
}

/** A JSON serializer that refuses functions, as many real serializers do; circular values throw too. */
const strictJsonSerializer: Serializer = {
  serialize: (value) =>
    JSON.stringify({ value }, (key, nested: unknown) => {
      if (typeof nested === 'function') throw new Error(`functions cannot be serialized [key=${key}]`)
      return nested
    }),
  deserialize: (value) => (JSON.parse(value) as { value: unknown }).value,
}

describe('oversized data', () => {
  it('rejects an enqueue whose input is over the input limit and stores nothing', async () => {
    const { storage, executor } = await startExecutor({ maxSerializedInputDataSize: 1024 })
    const task = executor.task({ id: 'big_input', timeoutMs: 1000, run: (_ctx, input: string) => input.length })
    const enqueue = executor.enqueueTask(task, 'x'.repeat(2000))
    await expect(enqueue).rejects.toThrow(
      /^Serialized data size exceeds maximum allowed size \[serializedDataSize=\d+B\] \[maxSerializedDataSize=1024B\]$/,
    )
    await expect(enqueue).rejects.toMatchObject({ isRetryable: false })
    expect(await countRows(storage)).toBe(0)
  })

  it('rejects an input over the default 1 MB limit', async () => {
    const { storage, executor } = await startExecutor()
    const task = executor.task({ id: 'big_input', timeoutMs: 1000, run: () => 1 })
    await expect(executor.enqueueTask(task, 'x'.repeat(1_048_577) as never)).rejects.toThrow(
      'Serialized data size exceeds maximum allowed size',
    )
    expect(await countRows(storage)).toBe(0)
  })

  it('fails a run whose output is over the output limit, once, even with retries left', async () => {
    const { executor } = await startExecutor({ maxSerializedOutputDataSize: 1024 })
    let runs = 0
    const task = executor.task({
      id: 'big_output',
      timeoutMs: 1000,
      retryOptions: { maxAttempts: 3 },
      run: () => {
        runs++
        return 'x'.repeat(2000)
      },
    })
    const handle = await executor.enqueueTask(task)
    const execution = await handle.waitAndGetFinishedExecution(POLLING)
    expect(execution.status).toBe('failed')
    if (execution.status !== 'failed') return
    expect(execution.error).toMatchObject({ errorType: 'generic', isRetryable: false })
    expect(execution.error.message).toMatch(/^Serialized data size exceeds maximum allowed size/)
    expect(runs).toBe(1)
    expect(execution.retryAttempts).toBe(0)
  })

  it('fails a parent whose child input is over the input limit without inserting any child', async () => {
    const { storage, executor } = await startExecutor({ maxSerializedInputDataSize: 1024 })
    let childRuns = 0
    const child = executor.task({
      id: 'child',
      timeoutMs: 1000,
      run: (_ctx, input: string) => {
        childRuns++
        return input.length
      },
    })
    const parent = executor.parentTask({
      id: 'parent',
      timeoutMs: 1000,
      runParent: () => ({
        output: 'p',
        children: [childTask(child, 'small'), childTask(child, 'x'.repeat(2000))],
      }),
    })
    const handle = await executor.enqueueTask(parent)
    const execution = await handle.waitAndGetFinishedExecution(POLLING)
    expect(execution.status).toBe('failed')
    if (execution.status !== 'failed') return
    expect(execution.error.message).toMatch(/^Serialized data size exceeds maximum allowed size/)
    expect(
      await storage.getManyByParentExecutionId([{ parentExecutionId: handle.executionId }]),
    ).toEqual([[]])
    expect(childRuns).toBe(0)
    expect(await countRows(storage)).toBe(1)
  })

  it('fails a parent whose combined children outputs are over the output limit instead of leaving it waiting', async () => {
    const { storage, executor } = await startExecutor({ maxSerializedOutputDataSize: 1024 })
    const child = executor.task({ id: 'child', timeoutMs: 1000, run: () => 'y'.repeat(600) })
    const parent = executor.parentTask({
      id: 'parent',
      timeoutMs: 1000,
      runParent: () => ({ output: 'p', children: [childTask(child), childTask(child)] }),
    })
    const handle = await executor.enqueueTask(parent)
    const execution = await handle.waitAndGetFinishedExecution(POLLING)
    expect(execution.status).toBe('failed')
    if (execution.status !== 'failed') return
    expect(execution.error.message).toMatch(/^Serialized data size exceeds maximum allowed size/)
    const [row] = await storage.getManyById([{ executionId: handle.executionId }])
    expect(row?.onChildrenFinishedProcessingStatus).toBe('processed')
    // The children themselves completed and stay as they were.
    const [children] = await storage.getManyByParentExecutionId([
      { parentExecutionId: handle.executionId },
    ])
    expect(children?.map((childRow) => childRow.status)).toEqual(['completed', 'completed'])
  })

  it('rejects a wakeup whose output is over the output limit and leaves the sleeper running', async () => {
    const { storage, executor } = await startExecutor({ maxSerializedOutputDataSize: 1024 })
    const sleeper = executor.sleepingTask<string>({ id: 'sleeper', timeoutMs: 60_000 })
    await executor.enqueueTask(sleeper, 'unique_1')
    await expect(
      executor.wakeupSleepingTaskExecution(sleeper, 'unique_1', {
        status: 'completed',
        output: 'x'.repeat(2000),
      }),
    ).rejects.toThrow('Serialized data size exceeds maximum allowed size')
    const [row] = await storage.getManyBySleepingTaskUniqueId([{ sleepingTaskUniqueId: 'unique_1' }])
    expect(row?.status).toBe('running')
  })
})

describe('values the serializer cannot store', () => {
  it('fails a run whose output is circular, naming the output, the task and the execution', async () => {
    const { executor } = await startExecutor({ serializer: strictJsonSerializer })
    const task = executor.task({
      id: 'circular_output',
      timeoutMs: 1000,
      run: () => {
        const value: { self?: unknown } = {}
        value.self = value
        return value
      },
    })
    const handle = await executor.enqueueTask(task)
    const execution = await handle.waitAndGetFinishedExecution(POLLING)
    expect(execution.status).toBe('failed')
    if (execution.status !== 'failed') return
    expect(execution.error.message).toContain(
      `Cannot serialize the output of task execution [taskId=circular_output] [executionId=${handle.executionId}]: `,
    )
    expect(execution.error.message).toContain('circular')
  })

  it('fails a run whose output holds a function, with the serializer message', async () => {
    const { executor } = await startExecutor({ serializer: strictJsonSerializer })
    const task = executor.task({
      id: 'function_output',
      timeoutMs: 1000,
      run: () => ({ callback: () => 1 }),
    })
    const handle = await executor.enqueueTask(task)
    const execution = await handle.waitAndGetFinishedExecution(POLLING)
    expect(execution.status).toBe('failed')
    if (execution.status !== 'failed') return
    expect(execution.error.message).toBe(
      `Cannot serialize the output of task execution [taskId=function_output] [executionId=${handle.executionId}]: functions cannot be serialized [key=callback]`,
    )
  })

  it('rejects an enqueue whose input cannot be serialized and stores nothing', async () => {
    const { storage, executor } = await startExecutor({ serializer: strictJsonSerializer })
    const task = executor.task({ id: 'function_input', timeoutMs: 1000, run: () => 1 })
    await expect(executor.enqueueTask(task, { callback: () => 1 } as never)).rejects.toThrow(
      'Cannot serialize the input of task function_input: functions cannot be serialized [key=callback]',
    )
    expect(await countRows(storage)).toBe(0)
  })

  it('fails an execution whose stored input cannot be deserialized, without running it', async () => {
    const refusingSerializer: Serializer = {
      serialize: (value) => JSON.stringify({ value }),
      deserialize: (value) => {
        if (value.includes('poison')) throw new Error('cannot read this input')
        return (JSON.parse(value) as { value: unknown }).value
      },
    }
    const { storage, executor } = await startExecutor({ serializer: refusingSerializer })
    let runs = 0
    const task = executor.task({
      id: 'poisoned',
      timeoutMs: 1000,
      retryOptions: { maxAttempts: 2 },
      run: () => {
        runs++
        return 1
      },
    })
    const handle = await executor.enqueueTask(task, 'poison' as never)
    // The read model would deserialize the input too, so the raw row is read instead.
    const readRow = async () => (await storage.getManyById([{ executionId: handle.executionId }]))[0]
    while (!(await readRow())?.isFinished) await new Promise((resolve) => setTimeout(resolve, 10))
    const row = await readRow()
    expect(row?.status).toBe('failed')
    expect(row?.error).toEqual({
      errorType: 'generic',
      isRetryable: false,
      isInternal: false,
      message: `Error in running task execution [executionId=${handle.executionId}]: cannot read this input`,
    })
    expect(runs).toBe(0)
  })
})
