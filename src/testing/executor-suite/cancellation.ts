/**
 * Executor suite, cancellation and signals (spec 5.2 items 52-54, spec 4.4, 4.5, 4.8 and 4.10):
 * cancelling ready, running and parent executions (propagating down the tree and aborting the
 * runs), waiting with an abort signal, and runs that observe the shutdown signal.
 */
import { describe, expect, it } from 'vitest'

import { DurableExecutionCancelledError } from '../../core/errors.js'
import { childTask } from '../../core/executor/index.js'
import {
  createGate,
  type ExecutorSuiteContext,
  expectFinishedStatus,
  expectStatus,
  FAST_POLLING,
  readStoredExecution,
  sleep,
  waitUntil,
  whenAborted,
} from './harness.js'

/** Registers the cancellation and signal tests in the calling `describe`. */
export function describeCancellationBehaviours(context: ExecutorSuiteContext): void {
  async function waitUntilStored(
    executionId: string,
    description: string,
    condition: (row: Awaited<ReturnType<typeof readStoredExecution>>) => boolean,
  ): Promise<Awaited<ReturnType<typeof readStoredExecution>>> {
    let row: Awaited<ReturnType<typeof readStoredExecution>> | undefined
    await waitUntil(`${executionId} ${description}`, async () => {
      row = await readStoredExecution(context.storage, executionId)
      return condition(row)
    })
    return row!
  }

  describe('cancellation', () => {
    it('cancels an execution before it starts, so it never runs', async () => {
      const executor = await context.makeExecutor()
      let runs = 0
      const task = executor.task({
        id: 'test',
        timeoutMs: 1000,
        run: () => {
          runs++
          return 'ran'
        },
      })
      const marker = executor.task({ id: 'marker', timeoutMs: 1000, run: () => 'marker' })
      const handle = await executor.enqueueTask(task)
      await handle.cancel()
      const cancelled = expectStatus(await handle.getExecution(), 'cancelled')
      expect(cancelled.error).toEqual({
        errorType: 'cancelled',
        message: 'Task execution cancelled',
        isRetryable: false,
        isInternal: false,
      })
      expect(cancelled.finishedAt).toBeInstanceOf(Date)

      await executor.start()
      // The marker is picked up only after the loops have seen the cancelled row.
      const markerHandle = await executor.enqueueTask(marker)
      await expectFinishedStatus(markerHandle, 'completed')
      await waitUntilStored(handle.executionId, 'is closed', (row) => row.closeStatus === 'closed')
      expect(runs).toBe(0)
      expect((await handle.getExecution()).status).toBe('cancelled')
    })

    it('cancels a running execution: its run is aborted, dropped from the running set, and its late output ignored', async () => {
      const executor = await context.startExecutor()
      const started = createGate()
      let aborted = false
      const task = executor.task({
        id: 'test',
        timeoutMs: 10_000,
        run: async (ctx) => {
          started.open()
          await whenAborted(ctx.abortSignal)
          aborted = true
          return 'late output'
        },
      })
      const handle = await executor.enqueueTask(task)
      await started.promise
      expect(executor.getRunningTaskExecutionIds().has(handle.executionId)).toBe(true)
      expect(executor.getRunningTaskExecutionsCount()).toBe(1)

      await handle.cancel()
      expectStatus(await handle.getExecution(), 'cancelled')
      await waitUntil('the run sees its abort signal', () => aborted)
      await waitUntil(
        'the run is no longer listed',
        () => !executor.getRunningTaskExecutionIds().has(handle.executionId),
      )
      expect(executor.getRunningTaskExecutionsCount()).toBe(0)
      const row = await waitUntilStored(handle.executionId, 'is closed', (r) => r.closeStatus === 'closed')
      expect(row.status).toBe('cancelled')
      expect(row.output).toBeUndefined()
    })

    it('accepts concurrent and repeated cancels, and a cancel after the end changes nothing', async () => {
      const executor = await context.startExecutor()
      const started = createGate()
      const blocking = executor.task({
        id: 'blocking',
        timeoutMs: 10_000,
        run: async (ctx) => {
          started.open()
          await whenAborted(ctx.abortSignal)
          return 'late'
        },
      })
      const quick = executor.task({ id: 'quick', timeoutMs: 1000, run: () => 'quick_output' })
      const handle = await executor.enqueueTask(blocking)
      await started.promise
      await Promise.all([handle.cancel(), handle.cancel(), handle.cancel()])
      await handle.cancel()
      const cancelled = await expectFinishedStatus(handle, 'cancelled')
      expect(cancelled.error.errorType).toBe('cancelled')

      const quickHandle = await executor.enqueueTask(quick)
      await expectFinishedStatus(quickHandle, 'completed')
      await quickHandle.cancel()
      const stillCompleted = expectStatus(await quickHandle.getExecution(), 'completed')
      expect(stillCompleted.output).toBe('quick_output')
    })

    it('cancels the running children of a cancelled parent, aborting their runs', async () => {
      const executor = await context.startExecutor()
      const childStarted = createGate<string>()
      let childAborted = false
      let childRuns = 0
      const child = executor.task({
        id: 'child',
        timeoutMs: 10_000,
        run: async (ctx) => {
          childRuns++
          childStarted.open(ctx.executionId)
          await whenAborted(ctx.abortSignal)
          childAborted = true
          return 'late child output'
        },
      })
      const parent = executor.parentTask({
        id: 'parent',
        timeoutMs: 1000,
        runParent: () => ({ output: 'p', children: [childTask(child)] }),
      })
      const handle = await executor.enqueueTask(parent)
      const childExecutionId = await childStarted.promise
      await handle.cancel()
      expectStatus(await handle.getExecution(), 'cancelled')

      await waitUntil('the child run sees its abort signal', () => childAborted)
      const childRow = await waitUntilStored(
        childExecutionId,
        'is cancelled and closed',
        (row) => row.status === 'cancelled' && row.closeStatus === 'closed',
      )
      expect(childRow.error?.errorType).toBe('cancelled')
      expect(childRow.error?.message).toContain(
        `Parent task failed [parentTaskId=parent] [parentExecutionId=${handle.executionId}]`,
      )
      expect(childRow.output).toBeUndefined()
      expect(childRuns).toBe(1)
    })

    it('propagates a cancellation down to a running grandchild', async () => {
      const executor = await context.startExecutor()
      const leafStarted = createGate<string>()
      let leafAborted = false
      const leaf = executor.task({
        id: 'leaf',
        timeoutMs: 10_000,
        run: async (ctx) => {
          leafStarted.open(ctx.executionId)
          await whenAborted(ctx.abortSignal)
          leafAborted = true
          return 'late'
        },
      })
      const middle = executor.parentTask({
        id: 'middle',
        timeoutMs: 1000,
        runParent: () => ({ output: 'm', children: [childTask(leaf)] }),
      })
      const root = executor.parentTask({
        id: 'root',
        timeoutMs: 1000,
        runParent: () => ({ output: 'r', children: [childTask(middle)] }),
      })
      const handle = await executor.enqueueTask(root)
      const leafExecutionId = await leafStarted.promise
      await handle.cancel()
      await waitUntil('the grandchild run sees its abort signal', () => leafAborted)
      const leafRow = await waitUntilStored(leafExecutionId, 'is cancelled', (row) => row.isFinished)
      expect(leafRow.status).toBe('cancelled')
      const middleRow = await readStoredExecution(context.storage, leafRow.parent!.executionId)
      expect(middleRow.status).toBe('cancelled')
    })

    it('rejects waiting with an already aborted signal', async () => {
      const executor = await context.startExecutor()
      const release = createGate()
      const task = executor.task({
        id: 'test',
        timeoutMs: 10_000,
        run: async () => {
          await release.promise
          return 'done'
        },
      })
      const handle = await executor.enqueueTask(task)
      const controller = new AbortController()
      controller.abort()
      const waiting = handle.waitAndGetFinishedExecution({ ...FAST_POLLING, signal: controller.signal })
      await expect(waiting).rejects.toThrow('Task execution cancelled')
      await expect(waiting).rejects.toBeInstanceOf(DurableExecutionCancelledError)
      release.open()
      await expectFinishedStatus(handle, 'completed')
    })

    it('rejects waiting as soon as the signal aborts while the task runs, even between two polls', async () => {
      const executor = await context.startExecutor()
      const started = createGate()
      const release = createGate()
      const task = executor.task({
        id: 'test',
        timeoutMs: 10_000,
        run: async () => {
          started.open()
          await release.promise
          return 'done'
        },
      })
      const handle = await executor.enqueueTask(task)
      await started.promise

      const fastController = new AbortController()
      const fastWaiting = handle.waitAndGetFinishedExecution({
        ...FAST_POLLING,
        signal: fastController.signal,
      })
      // A polling interval far longer than the test: only the abort itself can end this wait.
      const slowController = new AbortController()
      const slowWaiting = handle.waitAndGetFinishedExecution({
        pollingIntervalMs: 60_000,
        signal: slowController.signal,
      })
      // Handled before the aborts: the slow wait rejects at once, possibly while the fast one still
      // awaits a storage round trip, and an unhandled rejection would fail the run.
      const slowSettled = slowWaiting.then(
        () => 'resolved',
        (error: unknown) => error,
      )
      await sleep(60)
      fastController.abort()
      slowController.abort()
      await expect(fastWaiting).rejects.toThrow('Task execution cancelled')
      const slowOutcome = await Promise.race([slowSettled, sleep(5000).then(() => 'still waiting')])
      expect(slowOutcome).toBeInstanceOf(DurableExecutionCancelledError)
      expect((await handle.getExecution()).status).toBe('running')
      release.open()
      await expectFinishedStatus(handle, 'completed')
    })

    it('resolves waiting with the finished execution when the signal has not aborted', async () => {
      const executor = await context.startExecutor()
      const task = executor.task({ id: 'test', timeoutMs: 1000, run: () => 'done' })
      const handle = await executor.enqueueTask(task)
      const controller = new AbortController()
      const execution = expectStatus(
        await handle.waitAndGetFinishedExecution({ ...FAST_POLLING, signal: controller.signal }),
        'completed',
      )
      expect(execution.output).toBe('done')
      controller.abort()
    })
  })

  describe('shutdown signal', () => {
    it('waits at shutdown for a run that sees shutdownSignal and returns, recording it completed', async () => {
      const executor = await context.startExecutor()
      const started = createGate()
      const task = executor.task({
        id: 'test',
        timeoutMs: 10_000,
        run: async (ctx) => {
          started.open()
          await whenAborted(ctx.shutdownSignal)
          await sleep(20)
          return 'stopped gracefully'
        },
      })
      const handle = await executor.enqueueTask(task)
      await started.promise
      await executor.shutdown()
      const execution = expectStatus(await handle.getExecution(), 'completed')
      expect(execution.output).toBe('stopped gracefully')
    })

    it('records a run that sees shutdownSignal and throws a cancellation error as cancelled', async () => {
      const executor = await context.startExecutor()
      const started = createGate()
      const task = executor.task({
        id: 'test',
        timeoutMs: 10_000,
        retryOptions: { maxAttempts: 3 },
        run: async (ctx) => {
          started.open()
          await whenAborted(ctx.shutdownSignal)
          throw new DurableExecutionCancelledError()
        },
      })
      const handle = await executor.enqueueTask(task)
      await started.promise
      await executor.shutdown()
      const execution = expectStatus(await handle.getExecution(), 'cancelled')
      expect(execution.error.errorType).toBe('cancelled')
    })
  })
}
