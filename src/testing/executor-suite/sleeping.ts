/**
 * Executor suite, sleeping tasks (spec 5.2 items 50-51, spec 4.2.2 and 4.5): waking up with an
 * output or an error, timing out, cancelled sleepers, sleepers chained in a sequence or spawned
 * as children, and the errors of wakeup and enqueue.
 */
import { describe, expect, it } from 'vitest'

import { DurableExecutionNotFoundError } from '../../core/errors.js'
import { childTask } from '../../core/executor/index.js'
import {
  type ExecutorSuiteContext,
  expectFinishedStatus,
  expectStatus,
  randomSuffix,
  waitUntil,
} from './harness.js'

/** Registers the sleeping task tests in the calling `describe`. */
export function describeSleepingTaskBehaviours(context: ExecutorSuiteContext): void {
  async function waitUntilSleeperExists(uniqueId: string): Promise<void> {
    await waitUntil(`sleeping execution ${uniqueId} exists`, async () => {
      const [row] = await context.storage.getManyBySleepingTaskUniqueId([
        { sleepingTaskUniqueId: uniqueId },
      ])
      return row !== undefined
    })
  }

  describe('sleeping tasks', () => {
    it('keeps an enqueued sleeping task running until a wakeup completes it with an output', async () => {
      const executor = await context.startExecutor()
      const sleeper = executor.sleepingTask<string>({ id: 'sleeper', timeoutMs: 60_000 })
      const uniqueId = `uid_${randomSuffix()}`
      const handle = await executor.enqueueTask(sleeper, uniqueId)
      const running = expectStatus(await handle.getExecution(), 'running')
      expect(running.sleepingTaskUniqueId).toBe(uniqueId)
      expect(running.startedAt).toBeInstanceOf(Date)

      const woken = expectStatus(
        await executor.wakeupSleepingTaskExecution(sleeper, uniqueId, {
          status: 'completed',
          output: 'woken',
        }),
        'completed',
      )
      expect(woken.executionId).toBe(handle.executionId)
      expect(woken.output).toBe('woken')
      const finished = await expectFinishedStatus(handle, 'completed')
      expect(finished.output).toBe('woken')
    })

    it('lets the first of concurrent wakeups win and returns its result to every caller', async () => {
      const executor = await context.startExecutor()
      const sleeper = executor.sleepingTask<string>({ id: 'sleeper', timeoutMs: 60_000 })
      const uniqueId = `uid_${randomSuffix()}`
      await executor.enqueueTask(sleeper, uniqueId)
      const results = await Promise.all(
        ['first', 'second', 'third'].map((output) =>
          executor.wakeupSleepingTaskExecution(sleeper, uniqueId, { status: 'completed', output }),
        ),
      )
      const outputs = results.map((result) => expectStatus(result, 'completed').output)
      expect(new Set(outputs).size).toBe(1)
    })

    it('fails a sleeping task woken up with an error, with its message', async () => {
      const executor = await context.startExecutor()
      const sleeper = executor.sleepingTask<string>({ id: 'sleeper', timeoutMs: 60_000 })
      const uniqueId = `uid_${randomSuffix()}`
      const handle = await executor.enqueueTask(sleeper, uniqueId)
      const woken = expectStatus(
        await executor.wakeupSleepingTaskExecution(sleeper, uniqueId, {
          status: 'failed',
          error: new Error('sleeper failed'),
        }),
        'failed',
      )
      expect(woken.error).toMatchObject({
        errorType: 'generic',
        message: 'sleeper failed',
        isRetryable: false,
      })
      await expectFinishedStatus(handle, 'failed')
    })

    it('times out a sleeping task nobody wakes up', async () => {
      const executor = await context.startExecutor()
      const sleeper = executor.sleepingTask<string>({ id: 'sleeper', timeoutMs: 50 })
      const handle = await executor.enqueueTask(sleeper, `uid_${randomSuffix()}`)
      const execution = await expectFinishedStatus(handle, 'timed_out')
      expect(execution.error).toMatchObject({
        errorType: 'timed_out',
        message: 'Task execution timed out',
      })
    })

    it('returns the cancelled execution when waking up a cancelled sleeper', async () => {
      const executor = await context.startExecutor()
      const sleeper = executor.sleepingTask<string>({ id: 'sleeper', timeoutMs: 60_000 })
      const uniqueId = `uid_${randomSuffix()}`
      const handle = await executor.enqueueTask(sleeper, uniqueId)
      await handle.cancel()
      const result = await executor.wakeupSleepingTaskExecution(sleeper, uniqueId, {
        status: 'completed',
        output: 'too late',
      })
      expect(expectStatus(result, 'cancelled').executionId).toBe(handle.executionId)
    })

    it('chains sleepers in a sequence, each output naming the next unique id', async () => {
      const executor = await context.startExecutor()
      const firstSleeper = executor.sleepingTask<string>({ id: 'first_sleeper', timeoutMs: 60_000 })
      const secondSleeper = executor.sleepingTask<string>({
        id: 'second_sleeper',
        timeoutMs: 60_000,
      })
      const sequence = executor.sequentialTasks('seq', [firstSleeper, secondSleeper])
      const firstId = `first_${randomSuffix()}`
      const secondId = `second_${randomSuffix()}`
      const handle = await executor.enqueueTask(sequence, firstId)

      await waitUntilSleeperExists(firstId)
      await executor.wakeupSleepingTaskExecution(firstSleeper, firstId, {
        status: 'completed',
        output: secondId,
      })
      await waitUntilSleeperExists(secondId)
      await executor.wakeupSleepingTaskExecution(secondSleeper, secondId, {
        status: 'completed',
        output: 'final_output',
      })
      const execution = await expectFinishedStatus(handle, 'completed')
      expect(execution.output).toBe('final_output')
    })

    it('completes or fails a parent with a sleeping child through its finalize', async () => {
      const executor = await context.startExecutor()
      const sleeper = executor.sleepingTask<string>({ id: 'sleeper', timeoutMs: 60_000 })
      const parent = executor.parentTask({
        id: 'parent',
        timeoutMs: 1000,
        runParent: (_ctx, uniqueId: string) => ({
          output: 'p',
          children: [childTask(sleeper, uniqueId)],
        }),
        finalize: ({ children }) => {
          const [child] = children
          if (child?.status !== 'completed') {
            throw new Error(`sleeping child ended ${child?.status}`)
          }
          return child.output
        },
      })
      const completingId = `completing_${randomSuffix()}`
      const failingId = `failing_${randomSuffix()}`
      const completingHandle = await executor.enqueueTask(parent, completingId)
      const failingHandle = await executor.enqueueTask(parent, failingId)
      await waitUntilSleeperExists(completingId)
      await waitUntilSleeperExists(failingId)
      await executor.wakeupSleepingTaskExecution(sleeper, completingId, {
        status: 'completed',
        output: 'sleeping_task_output',
      })
      await executor.wakeupSleepingTaskExecution(sleeper, failingId, {
        status: 'failed',
        error: new Error('never came'),
      })
      const completed = await expectFinishedStatus(completingHandle, 'completed')
      expect(completed.output).toBe('sleeping_task_output')
      const failed = await expectFinishedStatus(failingHandle, 'finalize_failed')
      expect(failed.error.message).toBe('sleeping child ended failed')
    })

    it('rejects wakeups of a non-sleeping task, with an invalid status, an unknown id or another task id', async () => {
      const executor = await context.startExecutor()
      const plain = executor.task({ id: 'plain', timeoutMs: 1000, run: () => 'x' })
      const sleeper = executor.sleepingTask<string>({ id: 'sleeper', timeoutMs: 60_000 })
      const otherSleeper = executor.sleepingTask<string>({ id: 'other_sleeper', timeoutMs: 60_000 })
      const uniqueId = `uid_${randomSuffix()}`
      await executor.enqueueTask(sleeper, uniqueId)

      await expect(
        executor.wakeupSleepingTaskExecution(plain as unknown as typeof sleeper, uniqueId, {
          status: 'completed',
          output: 'x',
        }),
      ).rejects.toThrow('Task is not a sleeping task [taskId=plain]')
      await expect(
        executor.wakeupSleepingTaskExecution(sleeper, uniqueId, { status: 'running' } as never),
      ).rejects.toThrow()
      const unknown = executor.wakeupSleepingTaskExecution(sleeper, 'unknown_unique_id', {
        status: 'completed',
        output: 'x',
      })
      await expect(unknown).rejects.toThrow(
        'Sleeping task execution not found [sleepingTaskUniqueId=unknown_unique_id]',
      )
      await expect(unknown).rejects.toBeInstanceOf(DurableExecutionNotFoundError)
      await expect(
        executor.wakeupSleepingTaskExecution(otherSleeper, uniqueId, {
          status: 'completed',
          output: 'x',
        }),
      ).rejects.toThrow('Sleeping task execution belongs to another task')
      // None of the rejected wakeups touched the sleeper.
      const [row] = await context.storage.getManyBySleepingTaskUniqueId([
        { sleepingTaskUniqueId: uniqueId },
      ])
      expect(row?.status).toBe('running')
    })

    it('rejects enqueueing a sleeping task without a valid, unused unique id string', async () => {
      const executor = await context.makeExecutor()
      const sleeper = executor.sleepingTask<string>({ id: 'sleeper', timeoutMs: 60_000 })
      await expect(executor.enqueueTask(sleeper, undefined as never)).rejects.toThrow(
        'A unique id string is required to enqueue a sleeping task [taskId=sleeper]',
      )
      await expect(executor.enqueueTask(sleeper, 42 as never)).rejects.toThrow(
        'Input must be a unique id string for sleeping task [taskId=sleeper] [input=number]',
      )
      await expect(executor.enqueueTask(sleeper, '')).rejects.toThrow(
        'A non-empty unique id string is required for sleeping task [taskId=sleeper]',
      )
      await expect(executor.enqueueTask(sleeper, 'x'.repeat(300))).rejects.toThrow(
        'The unique id string must be shorter than 256 characters for sleeping task [taskId=sleeper] [inputLength=300]',
      )
      const uniqueId = `uid_${randomSuffix()}`
      await executor.enqueueTask(sleeper, uniqueId)
      await expect(executor.enqueueTask(sleeper, uniqueId)).rejects.toThrow()
    })
  })
}
