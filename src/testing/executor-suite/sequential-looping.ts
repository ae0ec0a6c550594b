/**
 * Executor suite, sequences and loops (spec 5.2 items 47-48, spec 4.2.4 and 4.2.6): values flowing
 * through the steps of `sequentialTasks`, its failure messages and cancellation, and
 * `loopingTask` with its attempts, delays and errors.
 */
import { describe, expect, it } from 'vitest'

import type { LoopingTaskIterationOutput } from '../../core/executor/types.js'
import {
  createGate,
  createTestSchema,
  type ExecutorSuiteContext,
  expectFinishedStatus,
  waitUntil,
  whenAborted,
} from './harness.js'

const stringSchema = createTestSchema<string>((value) =>
  typeof value === 'string' ? { value } : { issues: [{ message: 'Expected a string' }] },
)

const numberSchema = createTestSchema<number>((value) =>
  typeof value === 'number' ? { value } : { issues: [{ message: 'Expected a number' }] },
)

/** Registers the sequential and looping task tests in the calling `describe`. */
export function describeSequentialAndLoopingBehaviours(context: ExecutorSuiteContext): void {
  describe('sequential tasks', () => {
    it('passes each step output to the next step, validating the first input with a schema', async () => {
      const executor = await context.startExecutor()
      const inputsSeen: Array<unknown> = []
      const parse = executor.inputSchema(stringSchema).task({
        id: 'parse',
        timeoutMs: 1000,
        run: (_ctx, input: string) => {
          inputsSeen.push(input)
          return Number.parseFloat(input)
        },
      })
      const isLarge = executor.task({
        id: 'is_large',
        timeoutMs: 1000,
        run: (_ctx, input: number) => {
          inputsSeen.push(input)
          return input > 10
        },
      })
      const sequence = executor.sequentialTasks('seq', [parse, isLarge])
      const handle = await executor.enqueueTask(sequence, '10.5')
      const execution = await expectFinishedStatus(handle, 'completed')
      expect(execution.output).toBe(true)
      expect(inputsSeen).toEqual(['10.5', 10.5])
      expect(execution.children.map((child) => child.taskId)).toEqual(['parse', 'is_large'])
      for (const child of execution.children) expect(child.executionId).toMatch(/^te_/)

      const invalidHandle = await executor.enqueueTask(sequence, 7)
      const invalid = await expectFinishedStatus(invalidHandle, 'finalize_failed')
      expect(invalid.error.message).toContain(
        'Sequential task failed [parentTaskId=seq] [index=0]: Invalid input to task parse: ',
      )
    })

    it('rejects an empty list of tasks', async () => {
      const executor = await context.makeExecutor()
      expect(() => executor.sequentialTasks('seq', [] as never)).toThrow('No tasks provided')
    })

    it('ends finalize_failed naming the failing middle step, and never runs the later steps', async () => {
      const executor = await context.startExecutor()
      let thirdRuns = 0
      const first = executor.task({ id: 'first', timeoutMs: 1000, run: () => 1 })
      const second = executor.task({
        id: 'second',
        timeoutMs: 1000,
        run: (_ctx, _input: number): number => {
          throw new Error('Task 2 failed')
        },
      })
      const third = executor.task({
        id: 'third',
        timeoutMs: 1000,
        run: (_ctx, input: number) => {
          thirdRuns++
          return input
        },
      })
      const sequence = executor.sequentialTasks('seq', [first, second, third])
      const handle = await executor.enqueueTask(sequence)
      const execution = await expectFinishedStatus(handle, 'finalize_failed')
      expect(execution.error.message).toBe(
        'Sequential task failed [parentTaskId=seq] [index=1]: Task 2 failed',
      )
      expect(thirdRuns).toBe(0)
    })

    it('names index 0 and the timeout when the first step times out', async () => {
      const executor = await context.startExecutor()
      const slow = executor.task({
        id: 'slow',
        timeoutMs: 10,
        run: async (ctx) => {
          await whenAborted(ctx.abortSignal)
          return 1
        },
      })
      const next = executor.task({ id: 'next', timeoutMs: 1000, run: (_ctx, input: number) => input })
      const sequence = executor.sequentialTasks('seq', [slow, next])
      const handle = await executor.enqueueTask(sequence)
      const execution = await expectFinishedStatus(handle, 'finalize_failed')
      expect(execution.error.message).toContain('[index=0]: Task execution timed out')
    })

    it('completes or fails a sequence of a single step', async () => {
      const executor = await context.startExecutor()
      const double = executor.task({
        id: 'double',
        timeoutMs: 1000,
        run: (_ctx, input: number) => input * 2,
      })
      const failing = executor.task({
        id: 'failing',
        timeoutMs: 1000,
        run: (): number => {
          throw new Error('only step failed')
        },
      })
      const okSequence = executor.sequentialTasks('ok_seq', [double])
      const failingSequence = executor.sequentialTasks('failing_seq', [failing])
      const okHandle = await executor.enqueueTask(okSequence, 21)
      const failingHandle = await executor.enqueueTask(failingSequence)
      expect(
        (await expectFinishedStatus(okHandle, 'completed')).output,
      ).toBe(42)
      const failed = await expectFinishedStatus(failingHandle, 'finalize_failed')
      expect(failed.error.message).toBe(
        'Sequential task failed [parentTaskId=failing_seq] [index=0]: only step failed',
      )
    })

    it('ends cancelled when cancelled mid-sequence, aborting the running step and spawning no later one', async () => {
      const executor = await context.startExecutor()
      const secondStarted = createGate()
      let secondAborted = false
      let thirdRuns = 0
      const first = executor.task({ id: 'first', timeoutMs: 1000, run: () => 'one' })
      const second = executor.task({
        id: 'second',
        timeoutMs: 10_000,
        run: async (ctx, input: string) => {
          secondStarted.open()
          await whenAborted(ctx.abortSignal)
          secondAborted = true
          return `${input},two`
        },
      })
      const third = executor.task({
        id: 'third',
        timeoutMs: 1000,
        run: (_ctx, input: string) => {
          thirdRuns++
          return `${input},three`
        },
      })
      const sequence = executor.sequentialTasks('seq', [first, second, third])
      const handle = await executor.enqueueTask(sequence)
      await secondStarted.promise
      await handle.cancel()
      await expectFinishedStatus(handle, 'cancelled')
      await waitUntil('the running step sees its abort signal', () => secondAborted)
      const [steps] = await context.storage.getManyByParentExecutionId([
        { parentExecutionId: handle.executionId },
      ])
      expect(steps!.map((step) => step.taskId).sort()).toEqual(['first', 'second'])
      expect(thirdRuns).toBe(0)
    })
  })

  describe('looping tasks', () => {
    it('completes with the output of the first iteration that is done', async () => {
      const executor = await context.startExecutor()
      let iterations = 0
      const iteration = executor.task({
        id: 'iteration',
        timeoutMs: 1000,
        run: (_ctx, input: number): LoopingTaskIterationOutput<number> => {
          iterations++
          return iterations >= 3 ? { isDone: true, output: input * iterations } : { isDone: false }
        },
      })
      const loop = executor.loopingTask('loop', iteration, 5)
      const handle = await executor.enqueueTask(loop, 7)
      const execution = await expectFinishedStatus(handle, 'completed')
      expect(execution.output).toEqual({ isSuccess: true, output: 21 })
      expect(iterations).toBe(3)
    })

    it('validates the loop input with a schema', async () => {
      const executor = await context.startExecutor()
      let iterations = 0
      const iteration = executor.task({
        id: 'iteration',
        timeoutMs: 1000,
        run: (_ctx, input: number): LoopingTaskIterationOutput<number> => {
          iterations++
          return { isDone: true, output: input + 1 }
        },
      })
      const loop = executor.inputSchema(numberSchema).loopingTask('loop', iteration, 3)
      const validHandle = await executor.enqueueTask(loop, 1)
      expect(
        (await expectFinishedStatus(validHandle, 'completed')).output,
      ).toEqual({ isSuccess: true, output: 2 })
      const invalidHandle = await executor.enqueueTask(loop, 'one')
      const invalid = await expectFinishedStatus(invalidHandle, 'failed')
      expect(invalid.error.message).toContain('Invalid input to task loop: ')
      expect(iterations).toBe(1)
    })

    it('waits a fixed sleepMsBeforeRun before each iteration', async () => {
      const executor = await context.startExecutor()
      const startedAt: Array<number> = []
      const endedAt: Array<number> = []
      const iteration = executor.task({
        id: 'iteration',
        timeoutMs: 1000,
        run: (): LoopingTaskIterationOutput<string> => {
          startedAt.push(Date.now())
          const done = startedAt.length >= 3
          endedAt.push(Date.now())
          return done ? { isDone: true, output: 'done' } : { isDone: false }
        },
      })
      const loop = executor.loopingTask('loop', iteration, 5, 60)
      const handle = await executor.enqueueTask(loop)
      await expectFinishedStatus(handle, 'completed')
      expect(startedAt).toHaveLength(3)
      expect(startedAt[1]! - endedAt[0]!).toBeGreaterThanOrEqual(60)
      expect(startedAt[2]! - endedAt[1]!).toBeGreaterThanOrEqual(60)
    })

    it('computes sleepMsBeforeRun from the attempt number when given a function', async () => {
      const executor = await context.startExecutor()
      const attemptsAsked: Array<number> = []
      const startedAt: Array<number> = []
      const endedAt: Array<number> = []
      const iteration = executor.task({
        id: 'iteration',
        timeoutMs: 1000,
        run: (): LoopingTaskIterationOutput<string> => {
          startedAt.push(Date.now())
          const done = startedAt.length >= 3
          endedAt.push(Date.now())
          return done ? { isDone: true, output: 'done' } : { isDone: false }
        },
      })
      const loop = executor.loopingTask('loop', iteration, 5, (attempt) => {
        attemptsAsked.push(attempt)
        return attempt * 40
      })
      const handle = await executor.enqueueTask(loop)
      await expectFinishedStatus(handle, 'completed')
      expect(attemptsAsked).toEqual(expect.arrayContaining([0, 1, 2]))
      expect(startedAt[1]! - endedAt[0]!).toBeGreaterThanOrEqual(40)
      expect(startedAt[2]! - endedAt[1]!).toBeGreaterThanOrEqual(80)
    })

    it('ends finalize_failed naming the iteration task when an iteration fails', async () => {
      const executor = await context.startExecutor()
      const iteration = executor.task({
        id: 'iteration',
        timeoutMs: 1000,
        run: (): LoopingTaskIterationOutput<string> => {
          throw new Error('unknown error')
        },
      })
      const loop = executor.loopingTask('loop', iteration, 3)
      const handle = await executor.enqueueTask(loop)
      const execution = await expectFinishedStatus(handle, 'finalize_failed')
      expect(execution.error.message).toBe('Iteration task failed [taskId=iteration]: unknown error')
    })

    it('completes without success once the attempts are exhausted', async () => {
      const executor = await context.startExecutor()
      let iterations = 0
      const iteration = executor.task({
        id: 'iteration',
        timeoutMs: 1000,
        run: (): LoopingTaskIterationOutput<string> => {
          iterations++
          return { isDone: false }
        },
      })
      const loop = executor.loopingTask('loop', iteration, 3)
      const handle = await executor.enqueueTask(loop)
      const execution = await expectFinishedStatus(handle, 'completed')
      expect(execution.output).toEqual({ isSuccess: false })
      expect(iterations).toBe(3)
    })

    it('rejects a maximum number of attempts below 1', async () => {
      const executor = await context.makeExecutor()
      const iteration = executor.task({
        id: 'iteration',
        timeoutMs: 1000,
        run: (): LoopingTaskIterationOutput<string> => ({ isDone: false }),
      })
      expect(() => executor.loopingTask('loop', iteration, -1)).toThrow(
        'Max attempts must be greater than 0',
      )
      expect(() => executor.loopingTask('loop', iteration, 0)).toThrow(
        'Max attempts must be greater than 0',
      )
    })
  })
}
