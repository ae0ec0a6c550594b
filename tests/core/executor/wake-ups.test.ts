import { afterEach, describe, expect, it } from 'vitest'

import { childTask, DurableExecutor } from '../../../src/core/executor/index.js'
import { InMemoryTaskExecutionsStorage } from '../../../src/core/in-memory-storage.js'

// Polling so rare that nothing here can finish through it: every step must come from a wake-up.
const NEVER_POLLS_MS = 10_000_000
const executors: Array<DurableExecutor> = []

afterEach(async () => {
  await Promise.all(executors.splice(0).map((executor) => executor.shutdown()))
})

async function startExecutor(): Promise<DurableExecutor> {
  const executor = await DurableExecutor.make(new InMemoryTaskExecutionsStorage(), {
    logLevel: 'error',
    backgroundProcessIntraBatchSleepMs: NEVER_POLLS_MS,
  })
  executors.push(executor)
  await executor.start()
  return executor
}

/** Waits for the execution; a missing wake-up makes it fail after 20 s instead of hanging. */
function waitFinished<T extends { waitAndGetFinishedExecution: (options: { pollingIntervalMs: number; signal: AbortSignal }) => Promise<unknown> }>(handle: T) {
  return handle.waitAndGetFinishedExecution({
    pollingIntervalMs: 20,
    signal: AbortSignal.timeout(20_000),
  }) as ReturnType<T['waitAndGetFinishedExecution']>
}

describe('in-process wake-ups', () => {
  it('drives a parent tree with children and a finalize task to completion without polling', async () => {
    const executor = await startExecutor()
    const child = executor.task({ id: 'child', timeoutMs: 1000, run: (_ctx, input: number) => input * 2 })
    const grandParent = executor.parentTask({
      id: 'inner_parent',
      timeoutMs: 1000,
      runParent: (_ctx, input: number) => ({ output: input, children: [childTask(child, input)] }),
    })
    const parent = executor.parentTask({
      id: 'parent',
      timeoutMs: 1000,
      runParent: () => ({
        output: 'root',
        children: [childTask(child, 1), childTask(child, 2), childTask(grandParent, 3)],
      }),
      finalize: {
        id: 'parent_finalize',
        timeoutMs: 1000,
        run: (_ctx, { children }) =>
          children.map((finished) => (finished.status === 'completed' ? finished.output : finished.status)),
      },
    })
    const execution = await waitFinished(await executor.enqueueTask(parent))
    expect(execution.status).toBe('completed')
    if (execution.status !== 'completed') return
    expect(execution.output).toEqual([
      2,
      4,
      { output: 3, children: [{ taskId: 'child', executionId: expect.any(String), status: 'completed', output: 6 }] },
    ])
  })

  it('drives sequences, loops, delayed starts and retries with backoff without polling', async () => {
    const executor = await startExecutor()
    const increment = executor.task({ id: 'increment', timeoutMs: 1000, run: (_ctx, input: number) => input + 1 })
    const sequence = executor.sequentialTasks('sequence', [increment, increment, increment])
    let iterations = 0
    const iteration = executor.task({
      id: 'iteration',
      timeoutMs: 1000,
      run: () => {
        iterations++
        return iterations >= 3 ? { isDone: true as const, output: iterations } : { isDone: false as const }
      },
    })
    const looping = executor.loopingTask('looping', iteration, 10, 5)
    const delayed = executor.task({ id: 'delayed', timeoutMs: 1000, sleepMsBeforeRun: 30, run: () => 'late' })
    let attempts = 0
    const flaky = executor.task({
      id: 'flaky',
      timeoutMs: 1000,
      retryOptions: { maxAttempts: 2, baseDelayMs: 20 },
      run: () => {
        attempts++
        if (attempts < 3) throw new Error('not yet')
        return 'finally'
      },
    })

    const [sequenceResult, loopResult, delayedResult, flakyResult] = await Promise.all([
      executor.enqueueTask(sequence, 1).then(waitFinished),
      executor.enqueueTask(looping).then(waitFinished),
      executor.enqueueTask(delayed).then(waitFinished),
      executor.enqueueTask(flaky).then(waitFinished),
    ])
    expect(sequenceResult).toMatchObject({ status: 'completed', output: 4 })
    expect(loopResult).toMatchObject({ status: 'completed', output: { isSuccess: true, output: 3 } })
    expect(delayedResult).toMatchObject({ status: 'completed', output: 'late' })
    expect(flakyResult).toMatchObject({ status: 'completed', output: 'finally', retryAttempts: 2 })
  })

  it('times out a sleeping task and interrupts a cancelled run without polling', async () => {
    const executor = await startExecutor()
    const sleeper = executor.sleepingTask<string>({ id: 'sleeper', timeoutMs: 30 })
    let sawAbort = false
    const long = executor.task({
      id: 'long',
      timeoutMs: 60_000,
      run: (ctx) =>
        new Promise<string>((resolve) => {
          ctx.abortSignal.addEventListener('abort', () => {
            sawAbort = true
            resolve('aborted')
          })
        }),
    })
    const sleeperHandle = await executor.enqueueTask(sleeper, 'unique')
    const longHandle = await executor.enqueueTask(long)
    while (executor.getRunningTaskExecutionsCount() === 0) {
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    await longHandle.cancel()
    expect(await waitFinished(sleeperHandle)).toMatchObject({ status: 'timed_out' })
    expect(await waitFinished(longHandle)).toMatchObject({ status: 'cancelled' })
    while (executor.getRunningTaskExecutionsCount() > 0) {
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    expect(sawAbort).toBe(true)
  })

  it('wakes a waiting handle as soon as this process writes the finish, not at its next poll', async () => {
    const executor = await startExecutor()
    let release: () => void = () => {}
    const gate = new Promise<void>((resolve) => (release = resolve))
    const gated = executor.task({ id: 'gated', timeoutMs: 60_000, run: async (_ctx, input: number) => (await gate, input + 1) })
    const handle = await executor.enqueueTask(gated, 41)
    // The first read sees the row unfinished; the next poll would be in 10,000 s (the test would time out).
    const finished = handle.waitAndGetFinishedExecution({ pollingIntervalMs: NEVER_POLLS_MS, signal: AbortSignal.timeout(20_000) })
    await new Promise((resolve) => setTimeout(resolve, 20))
    release()
    expect(await finished).toMatchObject({ status: 'completed', output: 42 })
  })

  it('wakes a waiting handle when another handle cancels the execution', async () => {
    const executor = await startExecutor()
    const never = executor.task({
      id: 'never',
      timeoutMs: 60_000,
      run: (ctx) => new Promise<void>((resolve) => ctx.abortSignal.addEventListener('abort', () => resolve())),
    })
    const handle = await executor.enqueueTask(never)
    const finished = handle.waitAndGetFinishedExecution({ pollingIntervalMs: NEVER_POLLS_MS, signal: AbortSignal.timeout(20_000) })
    await new Promise((resolve) => setTimeout(resolve, 20))
    await (await executor.getTaskExecutionHandle(never, handle.executionId)).cancel()
    expect(await finished).toMatchObject({ status: 'cancelled' })
  })

  it('interrupts a cancelled run whose row the first cancel sweep skipped as locked', async () => {
    // A sweep of the same executor (the close-ready one a cancel also wakes) may hold the row's lock
    // when the cancel sweep runs; SKIP LOCKED then returns nothing, as this storage's first call does.
    class FirstCancelSweepSkips extends InMemoryTaskExecutionsStorage {
      skipped = 0
      override async updateByExecutorIdAndNeedsPromiseCancellationAndReturn(
        ...args: Parameters<InMemoryTaskExecutionsStorage['updateByExecutorIdAndNeedsPromiseCancellationAndReturn']>
      ) {
        if (this.skipped++ === 0) return []
        return super.updateByExecutorIdAndNeedsPromiseCancellationAndReturn(...args)
      }
    }
    const storage = new FirstCancelSweepSkips()
    const executor = await DurableExecutor.make(storage, { logLevel: 'error', backgroundProcessIntraBatchSleepMs: NEVER_POLLS_MS })
    executors.push(executor)
    await executor.start()
    let aborted = false
    const long = executor.task({
      id: 'long',
      timeoutMs: 60_000,
      run: (ctx) => new Promise<string>((resolve) => ctx.abortSignal.addEventListener('abort', () => ((aborted = true), resolve('late')))),
    })
    const handle = await executor.enqueueTask(long)
    while (executor.getRunningTaskExecutionsCount() === 0) await new Promise((resolve) => setTimeout(resolve, 5))
    await handle.cancel()
    await expect.poll(() => aborted).toBe(true)
    expect(storage.skipped).toBeGreaterThanOrEqual(2)
    expect(executor.getRunningTaskExecutionsCount()).toBe(0)
  })

  it('closes a cancelled run whose row the close-ready sweep skipped while the cancel sweep held it', async () => {
    // The cancel wakes the close-ready sweep and the cancel sweep together; the one that locks the row
    // first makes the other skip it. Here the close-ready sweep's first call after the cancel skips.
    class CloseReadySkipsOnce extends InMemoryTaskExecutionsStorage {
      cancelled = false
      skipped = 0
      override async updateAndDecrementParentActiveChildrenCountByIsFinishedAndCloseStatus(
        ...args: Parameters<InMemoryTaskExecutionsStorage['updateAndDecrementParentActiveChildrenCountByIsFinishedAndCloseStatus']>
      ) {
        if (this.cancelled && this.skipped++ === 0) return 0
        return super.updateAndDecrementParentActiveChildrenCountByIsFinishedAndCloseStatus(...args)
      }
    }
    const storage = new CloseReadySkipsOnce()
    const executor = await DurableExecutor.make(storage, { logLevel: 'error', backgroundProcessIntraBatchSleepMs: NEVER_POLLS_MS })
    executors.push(executor)
    await executor.start()
    const long = executor.task({
      id: 'long',
      timeoutMs: 60_000,
      run: (ctx) => new Promise<string>((resolve) => ctx.abortSignal.addEventListener('abort', () => resolve('late'))),
    })
    const handle = await executor.enqueueTask(long)
    while (executor.getRunningTaskExecutionsCount() === 0) await new Promise((resolve) => setTimeout(resolve, 5))
    storage.cancelled = true
    await handle.cancel()
    await expect
      .poll(async () => (await storage.getManyById([{ executionId: handle.executionId }]))[0]?.closeStatus)
      .toBe('closed')
    expect(storage.skipped).toBeGreaterThanOrEqual(2)
  })
})
