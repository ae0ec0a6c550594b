/**
 * Task registration (spec 4.2): validates ids and options, keeps the internal definition of every
 * task by id, and hands out the public `Task` descriptors. Sequences and looping tasks are built
 * from these primitives in `composite-tasks.ts`.
 */
import { DurableExecutionError } from '../errors.js'
import { validateTaskId } from '../ids.js'
import type { TaskType } from '../status.js'
import type { TaskRetryOptions } from '../storage.js'
import type { InputValidator } from './input-validation.js'
import { validateRetryOptions, validateSleepMsBeforeRun, validateTimeoutMs } from './options.js'
import type {
  AnyTask,
  DefaultParentTaskOutput,
  FinalizeTaskOptions,
  ParentTaskOptions,
  ParentTaskRunOutput,
  SleepingTaskOptions,
  TaskOptions,
  TaskRunContext,
} from './types.js'

/** Runs a task's own code: the run function of a plain task or `runParent` of a parent. */
export type TaskRunFunction = (ctx: TaskRunContext, input: unknown) => unknown

/** How a parent combines its output and children: in-process, or as a durable child task. */
export type FinalizeDefinition =
  | { kind: 'function'; run: (input: DefaultParentTaskOutput) => unknown }
  | { kind: 'task'; task: TaskDefinition }

/** Everything the executor knows about a registered task. */
export type TaskDefinition = {
  taskType: TaskType
  id: string
  retryOptions: TaskRetryOptions
  sleepMsBeforeRun: number
  timeoutMs: number
  areChildrenSequential: boolean
  /** Validates the raw input before each run, when the task was built with a validator. */
  validateInput: InputValidator | undefined
  /** Plain tasks: resolves to the output. Parents: resolves to a `ParentTaskRunOutput`. */
  run: TaskRunFunction | undefined
  finalize: FinalizeDefinition | undefined
  /** The public descriptor handed to the user. */
  descriptor: AnyTask
}

/** Builds the validator of a task once its id is known. */
export type InputValidatorFactory = (taskId: string) => InputValidator

/** Options accepted by every registration, as given (unvalidated). */
type CommonOptionsInput = {
  id: string
  timeoutMs: number
  retryOptions?: TaskRetryOptions
  sleepMsBeforeRun?: number
}

/** The task definitions of one executor. */
export class TaskRegistry {
  private readonly definitions = new Map<string, TaskDefinition>()

  /** The definition registered under `id`, if any. */
  get(id: string): TaskDefinition | undefined {
    return this.definitions.get(id)
  }

  /** Whether `task` (by id) is registered here. */
  has(id: string): boolean {
    return this.definitions.has(id)
  }

  /** Checks that `id` is well-formed and free; throws the spec's messages otherwise. */
  assertIdAvailable(id: string): void {
    validateTaskId(id)
    if (this.definitions.has(id)) {
      throw DurableExecutionError.nonRetryable(`Task with given id already exists [taskId=${id}]`)
    }
  }

  /** Registers a plain task. */
  registerTask(options: TaskOptions<never, unknown>, makeValidator?: InputValidatorFactory): TaskDefinition {
    const common = this.validateCommonOptions(options)
    const run = options.run as TaskRunFunction
    if (typeof run !== 'function') {
      throw DurableExecutionError.nonRetryable(`Task ${common.id} must have a run function`)
    }
    return this.add({
      ...common,
      taskType: 'task',
      areChildrenSequential: false,
      validateInput: makeValidator?.(common.id),
      run,
      finalize: undefined,
    })
  }

  /** Registers a sleeping task: no run function, no retries, no delay. */
  registerSleepingTask(options: SleepingTaskOptions): TaskDefinition {
    this.assertIdAvailable(options.id)
    const timeoutMs = validateTimeoutMs(options.id, options.timeoutMs)
    return this.add({
      taskType: 'sleepingTask',
      id: options.id,
      retryOptions: { maxAttempts: 0 },
      sleepMsBeforeRun: 0,
      timeoutMs,
      areChildrenSequential: false,
      validateInput: undefined,
      run: undefined,
      finalize: undefined,
    })
  }

  /**
   * Registers a parent task, and its finalize task under the finalize's own id when finalize is a
   * task definition (with `run` or `runParent`) rather than a function.
   */
  registerParentTask(
    options: ParentTaskOptions<never, unknown, unknown, unknown>,
    makeValidator?: InputValidatorFactory,
    taskType: 'parentTask' | 'sequentialTasks' = 'parentTask',
  ): TaskDefinition {
    const common = this.validateCommonOptions(options)
    const run = options.runParent as TaskRunFunction
    if (typeof run !== 'function') {
      throw DurableExecutionError.nonRetryable(`Parent task ${common.id} must have a runParent function`)
    }
    const finalize = this.registerFinalize(common.id, options.finalize)
    return this.add({
      ...common,
      taskType,
      areChildrenSequential: taskType === 'sequentialTasks',
      validateInput: makeValidator?.(common.id),
      run,
      finalize,
    })
  }

  private registerFinalize(
    parentId: string,
    finalize: ParentTaskOptions<never, unknown, unknown, unknown>['finalize'],
  ): FinalizeDefinition | undefined {
    if (finalize == null) return undefined
    if (typeof finalize === 'function') {
      return { kind: 'function', run: finalize }
    }
    const options = finalize as FinalizeTaskOptions
    if (options.id === parentId) {
      throw DurableExecutionError.nonRetryable(`Task with given id already exists [taskId=${parentId}]`)
    }
    if (typeof (options as { runParent?: unknown }).runParent === 'function') {
      return {
        kind: 'task',
        task: this.registerParentTask(options as ParentTaskOptions<never, unknown, unknown, unknown>),
      }
    }
    if (typeof (options as { run?: unknown }).run === 'function') {
      return { kind: 'task', task: this.registerTask(options as TaskOptions<never, unknown>) }
    }
    throw DurableExecutionError.nonRetryable(
      `Invalid finalize for task ${parentId}: finalize must be a function or a task definition with run or runParent`,
    )
  }

  private validateCommonOptions(options: CommonOptionsInput): Omit<
    TaskDefinition,
    'taskType' | 'areChildrenSequential' | 'validateInput' | 'run' | 'finalize' | 'descriptor'
  > {
    if (typeof options !== 'object' || options === null) {
      throw DurableExecutionError.nonRetryable('Task options must be an object')
    }
    this.assertIdAvailable(options.id)
    return {
      id: options.id,
      retryOptions: validateRetryOptions(options.id, options.retryOptions),
      sleepMsBeforeRun: validateSleepMsBeforeRun(options.id, options.sleepMsBeforeRun),
      timeoutMs: validateTimeoutMs(options.id, options.timeoutMs),
    }
  }

  private add(definition: Omit<TaskDefinition, 'descriptor'>): TaskDefinition {
    const full = definition as TaskDefinition
    full.descriptor = {
      taskType: definition.taskType,
      id: definition.id,
      retryOptions: definition.retryOptions,
      sleepMsBeforeRun: definition.sleepMsBeforeRun,
      timeoutMs: definition.timeoutMs,
    }
    this.definitions.set(definition.id, full)
    return full
  }
}

/** A parent run output as the executor handles it: children always an array. */
export function normalizeParentRunOutput(value: unknown, taskId: string): Required<ParentTaskRunOutput> {
  if (typeof value !== 'object' || value === null) {
    throw DurableExecutionError.nonRetryable(
      `runParent of task ${taskId} must return an object { output, children? } [returned=${value === null ? 'null' : typeof value}]`,
    )
  }
  const { output, children } = value as ParentTaskRunOutput
  if (children != null && !Array.isArray(children)) {
    throw DurableExecutionError.nonRetryable(
      `runParent of task ${taskId} returned children that are not an array [children=${typeof children}]`,
    )
  }
  return { output, children: children ?? [] }
}
