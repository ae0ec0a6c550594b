import { afterEach, describe, expect, it } from 'vitest'

import { DurableExecutor } from '../../../src/core/executor/index.js'
import { InMemoryTaskExecutionsStorage } from '../../../src/core/in-memory-storage.js'

const executors: Array<DurableExecutor> = []

async function makeExecutor(): Promise<DurableExecutor> {
  const executor = await DurableExecutor.make(new InMemoryTaskExecutionsStorage(), {
    logLevel: 'error',
  })
  executors.push(executor)
  return executor
}

afterEach(async () => {
  await Promise.all(executors.splice(0).map((executor) => executor.shutdown()))
})

describe('task registration', () => {
  it('returns the effective options of the task', async () => {
    const executor = await makeExecutor()
    const task = executor.task({ id: 'a', timeoutMs: 10, run: () => 1 })
    expect(task).toEqual({
      taskType: 'task',
      id: 'a',
      retryOptions: { maxAttempts: 0 },
      sleepMsBeforeRun: 0,
      timeoutMs: 10,
    })
    const sleeper = executor.sleepingTask({ id: 's', timeoutMs: 50 })
    expect(sleeper).toEqual({
      taskType: 'sleepingTask',
      id: 's',
      retryOptions: { maxAttempts: 0 },
      sleepMsBeforeRun: 0,
      timeoutMs: 50,
    })
    const sequence = executor.sequentialTasks('seq', [task, task])
    expect(sequence).toMatchObject({ taskType: 'sequentialTasks', id: 'seq', timeoutMs: 30_000 })
  })

  it.each([
    ['', 'Task id cannot be empty'],
    ['x'.repeat(256), 'Task id cannot be longer than 255 characters [idLength=256]'],
    ['has-dash', 'Task id can only contain alphanumeric characters and underscores'],
    ['has space', 'Task id can only contain alphanumeric characters and underscores'],
  ])('rejects the task id %j', async (id, message) => {
    const executor = await makeExecutor()
    expect(() => executor.task({ id, timeoutMs: 10, run: () => 1 })).toThrow(message)
    expect(() => executor.sleepingTask({ id, timeoutMs: 10 })).toThrow(message)
    expect(() => executor.parentTask({ id, timeoutMs: 10, runParent: () => ({ output: 1 }) })).toThrow(
      message,
    )
  })

  it('rejects a duplicate id across every kind of task, and keeps the first registration', async () => {
    const executor = await makeExecutor()
    const first = executor.task({ id: 'dup', timeoutMs: 10, run: () => 'first' })
    const message = 'Task with given id already exists [taskId=dup]'
    expect(() => executor.task({ id: 'dup', timeoutMs: 10, run: () => 'second' })).toThrow(message)
    expect(() => executor.sleepingTask({ id: 'dup', timeoutMs: 10 })).toThrow(message)
    expect(() =>
      executor.parentTask({ id: 'dup', timeoutMs: 10, runParent: () => ({ output: 1 }) }),
    ).toThrow(message)
    expect(() => executor.sequentialTasks('dup', [first])).toThrow(message)
    expect(() => executor.loopingTask('dup', first as never, 3)).toThrow(message)
  })

  it('registers a finalize task under its own id and rejects it when that id is taken', async () => {
    const executor = await makeExecutor()
    executor.task({ id: 'taken', timeoutMs: 10, run: () => 1 })
    expect(() =>
      executor.parentTask({
        id: 'parent',
        timeoutMs: 10,
        runParent: () => ({ output: 1 }),
        finalize: { id: 'taken', timeoutMs: 10, run: () => 2 },
      }),
    ).toThrow('Task with given id already exists [taskId=taken]')
    // Nothing of the failed registration stays behind: the parent id is still free.
    executor.parentTask({
      id: 'parent',
      timeoutMs: 10,
      runParent: () => ({ output: 1 }),
      finalize: { id: 'parent_finalize', timeoutMs: 10, run: () => 2 },
    })
    expect(() => executor.task({ id: 'parent_finalize', timeoutMs: 10, run: () => 1 })).toThrow(
      'Task with given id already exists [taskId=parent_finalize]',
    )
    expect(() =>
      executor.parentTask({
        id: 'self',
        timeoutMs: 10,
        runParent: () => ({ output: 1 }),
        finalize: { id: 'self', timeoutMs: 10, run: () => 2 },
      }),
    ).toThrow('Task with given id already exists [taskId=self]')
  })

  it('rejects invalid timeouts, sleeps and retry options with the task id in the message', async () => {
    const executor = await makeExecutor()
    expect(() => executor.task({ id: 't1', timeoutMs: 0, run: () => 1 })).toThrow(
      'Invalid timeout value for task t1: timeoutMs must be an integer >= 1 [timeoutMs=0]',
    )
    expect(() =>
      executor.task({ id: 't2', timeoutMs: 10, sleepMsBeforeRun: -5, run: () => 1 }),
    ).toThrow('Invalid sleep ms before run for task t2: sleepMsBeforeRun must be a number >= 0 [sleepMsBeforeRun=-5]')
    expect(() =>
      executor.task({ id: 't3', timeoutMs: 10, retryOptions: { maxAttempts: -1 }, run: () => 1 }),
    ).toThrow('Invalid retry options for task t3: maxAttempts must be an integer between 0 and 1000 [maxAttempts=-1]')
    expect(() =>
      executor.task({ id: 't4', timeoutMs: 10, retryOptions: {} as never, run: () => 1 }),
    ).toThrow('Invalid retry options for task t4: maxAttempts is required')
  })

  it('rejects an empty sequence, a non-positive loop limit and tasks of another executor', async () => {
    const executor = await makeExecutor()
    const other = await makeExecutor()
    const iteration = executor.task({
      id: 'iteration',
      timeoutMs: 10,
      run: () => ({ isDone: false as const }),
    })
    expect(() => executor.sequentialTasks('empty', [] as never)).toThrow('No tasks provided')
    expect(() => executor.loopingTask('loop', iteration, 0)).toThrow(
      'Max attempts must be greater than 0',
    )
    expect(() => executor.loopingTask('loop', iteration, -1)).toThrow(
      'Max attempts must be greater than 0',
    )
    expect(() => other.sequentialTasks('seq', [iteration])).toThrow(
      'Task not found [taskId=iteration]',
    )
  })

  it('registers a looping task with its two helper tasks, whose ids are then taken', async () => {
    const executor = await makeExecutor()
    const iteration = executor.task({
      id: 'iteration',
      timeoutMs: 10,
      run: () => ({ isDone: true as const, output: 1 }),
    })
    const loop = executor.loopingTask('loop', iteration, 3)
    expect(loop.taskType).toBe('parentTask')
    for (const id of ['loop_inner', 'loop_inner_finalize']) {
      expect(() => executor.task({ id, timeoutMs: 10, run: () => 1 })).toThrow(
        `Task with given id already exists [taskId=${id}]`,
      )
    }
  })

  it('rejects every registration after shutdown', async () => {
    const executor = await makeExecutor()
    const task = executor.task({ id: 'before', timeoutMs: 10, run: () => 1 })
    await executor.shutdown()
    const message = 'Durable executor shutdown'
    expect(() => executor.task({ id: 'after', timeoutMs: 10, run: () => 1 })).toThrow(message)
    expect(() => executor.sleepingTask({ id: 'after', timeoutMs: 10 })).toThrow(message)
    expect(() =>
      executor.parentTask({ id: 'after', timeoutMs: 10, runParent: () => ({ output: 1 }) }),
    ).toThrow(message)
    expect(() => executor.sequentialTasks('after', [task])).toThrow(message)
    expect(() =>
      executor.validateInput((input: number) => input).task({ id: 'after', timeoutMs: 10, run: () => 1 }),
    ).toThrow(message)
  })

  it('rejects an input schema that is not a Standard Schema', async () => {
    const executor = await makeExecutor()
    expect(() => executor.inputSchema({} as never)).toThrow(
      'inputSchema requires a Standard Schema',
    )
  })
})
