/**
 * Executor suite, retries and timeouts (spec 5.2 items 34-38, spec 4.3 and 4.4): retry counting
 * and backoff, the run context across attempts, the initial delay, timeouts and the errors a task
 * may throw itself, and option validation at registration and enqueue.
 */
import { describe, expect, it } from 'vitest'

import {
  DurableExecutionCancelledError,
  DurableExecutionError,
  DurableExecutionTimedOutError,
  type DurableExecutionErrorStorageValue,
} from '../../core/errors.js'
import type { DurableExecutorLogContext, DurableExecutorLogger } from '../../core/executor/types.js'
import type { TaskRetryOptions } from '../../core/storage.js'
import {
  type ExecutorSuiteContext,
  expectFinishedStatus,
  readStoredExecution,
  sleep,
  whenAborted,
} from './harness.js'

/**
 * A logger that keeps each retry's planned delay and when it was logged (after the failure was
 * written): bounds on the stored `startAt` that no slow machine can break.
 */
function retryLog(): { logger: DurableExecutorLogger; retries: Array<{ delayMs: number; loggedAt: number }> } {
  const retries: Array<{ delayMs: number; loggedAt: number }> = []
  const ignore = () => undefined
  const warn = (_message: string, logContext?: DurableExecutorLogContext) => {
    if (logContext?.delayMs !== undefined) retries.push({ delayMs: logContext.delayMs, loggedAt: Date.now() })
  }
  return { retries, logger: { debug: ignore, info: ignore, warn, error: ignore } }
}

/** Registers the retry and timeout tests in the calling `describe`. */
export function describeRetryAndTimeoutBehaviours(context: ExecutorSuiteContext): void {
  describe('retries and timeouts', () => {
    it('fails a task that throws, with a retryable generic error, when it has no retries', async () => {
      const executor = await context.startExecutor()
      let runs = 0
      const task = executor.task({
        id: 'test',
        timeoutMs: 1000,
        run: () => {
          runs++
          throw new Error('Failed')
        },
      })
      const handle = await executor.enqueueTask(task)
      const execution = await expectFinishedStatus(handle, 'failed')
      expect(execution.error).toEqual({
        errorType: 'generic',
        message: 'Failed',
        isRetryable: true,
        isInternal: false,
      })
      expect(execution.retryAttempts).toBe(0)
      expect(execution.finishedAt).toBeInstanceOf(Date)
      expect(runs).toBe(1)
    })

    it('completes on the second attempt when the first throws and maxAttempts is 1', async () => {
      const executor = await context.startExecutor()
      let runs = 0
      const task = executor.task({
        id: 'test',
        timeoutMs: 1000,
        retryOptions: { maxAttempts: 1 },
        run: (ctx) => {
          runs++
          if (ctx.attempt === 0) throw new Error('first attempt fails')
          return 'second attempt output'
        },
      })
      const handle = await executor.enqueueTask(task)
      const execution = await expectFinishedStatus(handle, 'completed')
      expect(execution.output).toBe('second attempt output')
      expect(execution.retryAttempts).toBe(1)
      expect(runs).toBe(2)
    })

    it('fails with the last attempt error when every attempt throws', async () => {
      const executor = await context.startExecutor()
      let runs = 0
      const task = executor.task({
        id: 'test',
        timeoutMs: 1000,
        retryOptions: { maxAttempts: 1 },
        run: (ctx) => {
          runs++
          throw new Error(`attempt ${ctx.attempt} failed`)
        },
      })
      const handle = await executor.enqueueTask(task)
      const execution = await expectFinishedStatus(handle, 'failed')
      expect(execution.error.message).toBe('attempt 1 failed')
      expect(execution.retryAttempts).toBe(1)
      expect(runs).toBe(2)
    })

    it('runs a task throwing a non-retryable error only once despite retries left', async () => {
      const executor = await context.startExecutor()
      let runs = 0
      const task = executor.task({
        id: 'test',
        timeoutMs: 1000,
        retryOptions: { maxAttempts: 5 },
        run: () => {
          runs++
          throw DurableExecutionError.nonRetryable('do not retry me')
        },
      })
      const handle = await executor.enqueueTask(task)
      const execution = await expectFinishedStatus(handle, 'failed')
      expect(execution.error).toEqual({
        errorType: 'generic',
        message: 'do not retry me',
        isRetryable: false,
        isInternal: false,
      })
      expect(execution.retryAttempts).toBe(0)
      expect(runs).toBe(1)
    })

    it('gives each attempt its number and the previous attempt error', async () => {
      const executor = await context.startExecutor()
      const seen: Array<{ attempt: number; prevError?: DurableExecutionErrorStorageValue }> = []
      const task = executor.task({
        id: 'test',
        timeoutMs: 1000,
        retryOptions: { maxAttempts: 1 },
        run: (ctx) => {
          seen.push({ attempt: ctx.attempt, prevError: ctx.prevError })
          if (ctx.attempt === 0) throw new Error('first failure')
          return 'ok'
        },
      })
      const handle = await executor.enqueueTask(task)
      await expectFinishedStatus(handle, 'completed')
      expect(seen).toHaveLength(2)
      expect(seen[0]!.attempt).toBe(0)
      expect(seen[0]!.prevError).toBeUndefined()
      expect(seen[1]!.attempt).toBe(1)
      expect(seen[1]!.prevError).toMatchObject({
        errorType: 'generic',
        message: 'first failure',
        isRetryable: true,
      })
    })

    it('delays only the first attempt by sleepMsBeforeRun, and retries at once without a base delay', async () => {
      const log = retryLog()
      const executor = await context.startExecutor({ logger: log.logger, logLevel: 'warn' })
      const sleepMsBeforeRun = 500
      const runStartedAt: Array<number> = []
      const storedStartAt: Array<number> = []
      let failedAt = 0
      const task = executor.task({
        id: 'test',
        timeoutMs: 5000,
        sleepMsBeforeRun,
        retryOptions: { maxAttempts: 1 },
        run: async (ctx) => {
          runStartedAt.push(Date.now())
          storedStartAt.push((await readStoredExecution(context.storage, ctx.executionId)).startAt)
          if (ctx.attempt === 0) {
            failedAt = Date.now()
            throw new Error('first attempt fails')
          }
          return 'ok'
        },
      })
      const enqueuedAt = Date.now()
      const handle = await executor.enqueueTask(task)
      await expectFinishedStatus(handle, 'completed')
      expect(runStartedAt[0]! - enqueuedAt).toBeGreaterThanOrEqual(sleepMsBeforeRun)
      // The retry's startAt is "now" when the failure was planned, before it was written and logged:
      // had the initial delay been applied again, it would lie sleepMsBeforeRun after that.
      expect(log.retries.map((retry) => retry.delayMs)).toEqual([0])
      expect(storedStartAt[1]!).toBeGreaterThanOrEqual(failedAt)
      expect(storedStartAt[1]!).toBeLessThanOrEqual(log.retries[0]!.loggedAt)
    })

    it('waits the exponential backoff between retries, capped by maxDelayMs', async () => {
      const log = retryLog()
      const executor = await context.startExecutor({ logger: log.logger, logLevel: 'warn' })
      const retryOptions: TaskRetryOptions = {
        maxAttempts: 2,
        baseDelayMs: 50,
        delayMultiplier: 10,
        maxDelayMs: 150,
      }
      const storedStartAt: Array<number> = []
      const failedAt: Array<number> = []
      const task = executor.task({
        id: 'test',
        timeoutMs: 5000,
        retryOptions,
        run: async (ctx) => {
          storedStartAt.push((await readStoredExecution(context.storage, ctx.executionId)).startAt)
          if (ctx.attempt < 2) {
            failedAt.push(Date.now())
            throw new Error(`attempt ${ctx.attempt} fails`)
          }
          return 'ok'
        },
      })
      const handle = await executor.enqueueTask(task)
      const execution = await expectFinishedStatus(handle, 'completed')
      expect(execution.retryAttempts).toBe(2)
      // First retry: the base delay; second: 50 * 10 = 500 ms, capped at 150 ms.
      expect(log.retries.map((retry) => retry.delayMs)).toEqual([50, 150])
      // Each stored startAt lies that delay after the moment the failure was planned, which is
      // after the throw and before the log line (bounds that hold however slow the machine is).
      expect(storedStartAt[1]! - failedAt[0]!).toBeGreaterThanOrEqual(50)
      expect(storedStartAt[1]! - log.retries[0]!.loggedAt).toBeLessThanOrEqual(50)
      expect(storedStartAt[2]! - failedAt[1]!).toBeGreaterThanOrEqual(150)
      expect(storedStartAt[2]! - log.retries[1]!.loggedAt).toBeLessThanOrEqual(150)
    })

    it('times out a run that outlives timeoutMs, aborts its signal, and retries the timeout', async () => {
      const executor = await context.startExecutor()
      const abortedRuns: Array<number> = []
      const task = executor.task({
        id: 'test',
        timeoutMs: 10,
        retryOptions: { maxAttempts: 1 },
        run: async (ctx) => {
          // Only the executor's timeout ends this wait.
          await whenAborted(ctx.abortSignal)
          abortedRuns.push(ctx.attempt)
          return 'too late'
        },
      })
      const handle = await executor.enqueueTask(task)
      const execution = await expectFinishedStatus(handle, 'timed_out')
      expect(execution.error).toEqual({
        errorType: 'timed_out',
        message: 'Task execution timed out',
        isRetryable: true,
        isInternal: false,
      })
      expect(execution.retryAttempts).toBe(1)
      expect(abortedRuns).toEqual([0, 1])
    })

    it('lets the enqueue timeoutMs override replace the task timeout', async () => {
      const executor = await context.startExecutor()
      const task = executor.task({
        id: 'test',
        timeoutMs: 10,
        run: async () => {
          await sleep(100)
          return 'finished in time'
        },
      })
      const handle = await executor.enqueueTask(task, undefined, { timeoutMs: 10_000 })
      const execution = await expectFinishedStatus(handle, 'completed')
      expect(execution.output).toBe('finished in time')
      expect(execution.timeoutMs).toBe(10_000)
    })

    it('records a thrown timed-out error as timed_out and a thrown cancelled error as cancelled, never retried', async () => {
      const executor = await context.startExecutor()
      let cancelledRuns = 0
      const timingOut = executor.task({
        id: 'timing_out',
        timeoutMs: 1000,
        run: () => {
          throw new DurableExecutionTimedOutError()
        },
      })
      const cancelling = executor.task({
        id: 'cancelling',
        timeoutMs: 1000,
        retryOptions: { maxAttempts: 3 },
        run: () => {
          cancelledRuns++
          throw new DurableExecutionCancelledError()
        },
      })
      const timingOutHandle = await executor.enqueueTask(timingOut)
      const cancellingHandle = await executor.enqueueTask(cancelling)
      const timedOut = await expectFinishedStatus(timingOutHandle, 'timed_out')
      expect(timedOut.error.errorType).toBe('timed_out')
      const cancelled = await expectFinishedStatus(cancellingHandle, 'cancelled')
      expect(cancelled.error.errorType).toBe('cancelled')
      expect(cancelled.error.isRetryable).toBe(false)
      expect(cancelledRuns).toBe(1)
    })

    it('rejects invalid timeouts, sleeps and retry options at registration and enqueue', async () => {
      const executor = await context.makeExecutor()
      const run = () => 1
      for (const timeoutMs of [0, -1, 1.5, Number.NaN, undefined]) {
        expect(
          () => executor.task({ id: 'test', timeoutMs: timeoutMs as number, run }),
          `timeoutMs ${timeoutMs}`,
        ).toThrow('Invalid timeout value for task test')
      }
      expect(() => executor.sleepingTask({ id: 'test', timeoutMs: 0 })).toThrow(
        'Invalid timeout value for task test',
      )
      expect(() => executor.task({ id: 'test', timeoutMs: 1000, sleepMsBeforeRun: -1, run })).toThrow(
        'Invalid sleep ms before run for task test',
      )
      const invalidRetryOptions: Array<unknown> = [
        { maxAttempts: -1 },
        {},
        { maxAttempts: 1001 },
        { maxAttempts: 1.5 },
        { maxAttempts: 1, baseDelayMs: -1 },
        { maxAttempts: 1, delayMultiplier: 0 },
        { maxAttempts: 1, baseDelayMs: 100, maxDelayMs: 50 },
      ]
      for (const retryOptions of invalidRetryOptions) {
        expect(
          () =>
            executor.task({
              id: 'test',
              timeoutMs: 1000,
              retryOptions: retryOptions as TaskRetryOptions,
              run,
            }),
          JSON.stringify(retryOptions),
        ).toThrow('Invalid retry options for task test')
      }
      expect(() =>
        executor.parentTask({
          id: 'test',
          timeoutMs: 1000,
          retryOptions: { maxAttempts: -1 },
          runParent: () => ({ output: 1 }),
        }),
      ).toThrow('Invalid retry options for task test')

      // Failed registrations leave the id free.
      const task = executor.task({
        id: 'test',
        timeoutMs: 1000,
        retryOptions: { maxAttempts: 0 },
        run,
      })
      expect(task.retryOptions).toEqual({ maxAttempts: 0 })
      await expect(executor.enqueueTask(task, undefined, { timeoutMs: 0 })).rejects.toThrow(
        'Invalid timeout value for task test',
      )
      await expect(
        executor.enqueueTask(task, undefined, { sleepMsBeforeRun: -5 }),
      ).rejects.toThrow('Invalid sleep ms before run for task test')
      await expect(
        executor.enqueueTask(task, undefined, { retryOptions: { maxAttempts: -1 } }),
      ).rejects.toThrow('Invalid retry options for task test')
    })
  })
}
