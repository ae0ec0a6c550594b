/**
 * Tasks built from parent tasks: `sequentialTasks` (spec 4.2.4), whose steps the
 * children-finished step spawns one at a time, and `loopingTask` (spec 4.2.6), three registered
 * parent tasks that re-spawn the iteration until it is done or attempts run out.
 */
import { DurableExecutionError, DurableExecutionNotFoundError } from '../errors.js'
import type { FinishedChildTaskExecution } from '../read-model.js'
import { childTask } from './child-task.js'
import type { InputValidatorFactory, TaskDefinition, TaskRegistry } from './registry.js'
import type {
  AnyTask,
  DefaultParentTaskOutput,
  LoopingTaskIterationOutput,
  LoopingTaskOutput,
  LoopingTaskSleepMsBeforeRun,
  ParentTaskOptions,
  TaskEnqueueOptions,
} from './types.js'

/** Timeout of the parent runs of sequences and loops; they only return children. */
export const COMPOSITE_TASK_TIMEOUT_MS = 30_000

/** The execution id held by a sequence step that has not been spawned yet. */
export const SEQUENTIAL_STEP_PLACEHOLDER_EXECUTION_ID = 'dummy'

/** Registers a sequence: a parent whose children run one after another, each fed the last output. */
export function registerSequentialTasks(
  registry: TaskRegistry,
  id: string,
  tasks: ReadonlyArray<AnyTask>,
  makeValidator?: InputValidatorFactory,
): TaskDefinition {
  if (tasks.length === 0) {
    throw DurableExecutionError.nonRetryable('No tasks provided')
  }
  registry.assertIdAvailable(id)
  for (const task of tasks) {
    if (!registry.has(task.id)) {
      throw new DurableExecutionNotFoundError(`Task not found [taskId=${task.id}]`)
    }
  }
  const steps = [...tasks]
  const options: ParentTaskOptions<unknown> = {
    id,
    timeoutMs: COMPOSITE_TASK_TIMEOUT_MS,
    // Only the first step is inserted now; the rest are spawned as each step is released.
    runParent: (_ctx, input) => ({
      output: undefined,
      children: steps.map((task, index) => ({ task, input: index === 0 ? input : undefined })),
    }),
  }
  return registry.registerParentTask(options, makeValidator, 'sequentialTasks',
  )
}

type LoopingInnerInput = { input: unknown; attempt: number }

function throwChildError(child: FinishedChildTaskExecution): never {
  // Only the message travels: finalize functions turn what they throw into a plain message.
  throw DurableExecutionError.nonRetryable(
    child.status === 'completed' ? 'Unknown error' : child.error.message,
  )
}

function unwrapOnlyChild(input: DefaultParentTaskOutput): unknown {
  const child = input.children[0]
  if (!child) return input.output
  if (child.status === 'completed') return child.output
  return throwChildError(child)
}

/**
 * Registers a looping task `<id>` with its helpers `<id>_inner` (one attempt: spawns the
 * iteration) and `<id>_inner_finalize` (decides: done, give up, fail, or spawn the next attempt).
 */
export function registerLoopingTask(
  registry: TaskRegistry,
  id: string,
  iterationTask: AnyTask,
  maxAttempts: number,
  sleepMsBeforeRun: LoopingTaskSleepMsBeforeRun | undefined,
  makeValidator?: InputValidatorFactory,
): TaskDefinition {
  if (typeof maxAttempts !== 'number' || !(maxAttempts > 0)) {
    throw DurableExecutionError.nonRetryable('Max attempts must be greater than 0')
  }
  const innerId = `${id}_inner`
  const innerFinalizeId = `${id}_inner_finalize`
  registry.assertIdAvailable(id)
  registry.assertIdAvailable(innerId)
  registry.assertIdAvailable(innerFinalizeId)
  if (!registry.has(iterationTask.id)) {
    throw new DurableExecutionNotFoundError(`Task not found [taskId=${iterationTask.id}]`)
  }

  const iterationOptions = (attempt: number): TaskEnqueueOptions | undefined => {
    if (sleepMsBeforeRun === undefined) return undefined
    const sleepMs =
      typeof sleepMsBeforeRun === 'function' ? sleepMsBeforeRun(attempt) : sleepMsBeforeRun
    return { sleepMsBeforeRun: Math.max(0, Number(sleepMs) || 0) }
  }

  // Defined before use through this holder: the finalize of one attempt spawns the next attempt.
  const holder: { inner?: AnyTask } = {}

  const innerOptions: ParentTaskOptions<LoopingInnerInput, LoopingInnerInput, unknown, unknown> = {
    id: innerId,
    timeoutMs: COMPOSITE_TASK_TIMEOUT_MS,
    runParent: (_ctx, innerInput) => ({
      output: innerInput,
      children: [childTask(iterationTask, innerInput.input, iterationOptions(innerInput.attempt))],
    }),
    finalize: {
      id: innerFinalizeId,
      timeoutMs: COMPOSITE_TASK_TIMEOUT_MS,
      runParent: (_ctx, { output: innerInput, children }) => {
        const iteration = children[0]
        if (!iteration || iteration.status !== 'completed') {
          const message = iteration ? iteration.error.message : 'Unknown error'
          throw DurableExecutionError.nonRetryable(
            `Iteration task failed [taskId=${iterationTask.id}]: ${message}`,
          )
        }
        const result = iteration.output as LoopingTaskIterationOutput
        if (result?.isDone) {
          return { output: { isSuccess: true, output: result.output } satisfies LoopingTaskOutput }
        }
        if (innerInput.attempt + 1 >= maxAttempts) {
          return { output: { isSuccess: false } satisfies LoopingTaskOutput }
        }
        return {
          output: undefined,
          children: [
            childTask(holder.inner as AnyTask, {
              input: innerInput.input,
              attempt: innerInput.attempt + 1,
            }),
          ],
        }
      },
      // Forwards the next attempt's result, or this attempt's own decision when none was spawned.
      finalize: unwrapOnlyChild,
    },
  }
  const inner = registry.registerParentTask(
    innerOptions as unknown as ParentTaskOptions<never, unknown, unknown, unknown>,
  )
  holder.inner = inner.descriptor

  const outerOptions: ParentTaskOptions<unknown, undefined, unknown, unknown> = {
    id,
    timeoutMs: COMPOSITE_TASK_TIMEOUT_MS,
    runParent: (_ctx, input) => ({
      output: undefined,
      children: [childTask(inner.descriptor, { input, attempt: 0 })],
    }),
    finalize: unwrapOnlyChild,
  }
  return registry.registerParentTask(
    outerOptions as unknown as ParentTaskOptions<never, unknown, unknown, unknown>,
    makeValidator,
  )
}
