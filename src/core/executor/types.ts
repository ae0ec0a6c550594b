/**
 * Public types of the executor (spec 4.1-4.5, 4.13): task descriptors, the options that define
 * tasks, the run context, enqueue and wake-up options, handles and executor options. Only types
 * live here; the names and shapes follow upstream so user code keeps compiling.
 */
import type { DurableExecutionErrorStorageValue } from '../errors.js'
import type {
  FinishedChildTaskExecution,
  FinishedTaskExecution,
  TaskExecution,
} from '../read-model.js'
import type { Serializer } from '../serializer.js'
import type { TaskType } from '../status.js'
import type {
  ParentTaskExecutionSummary,
  TaskExecutionsStorage,
  TaskExecutionSummary,
  TaskRetryOptions,
} from '../storage.js'

/**
 * A registered task, as returned by `executor.task(...)` and friends. The fields are the
 * validated, effective values; `TInput` and `TOutput` exist only at the type level.
 */
export type Task<TInput, TOutput, TTaskType extends TaskType = TaskType> = {
  /** What kind of task this is. */
  readonly taskType: TTaskType
  /** The task id, unique among the tasks of an executor. */
  readonly id: string
  /** Effective retry options. */
  readonly retryOptions: TaskRetryOptions
  /** Effective delay before the first run, in ms. */
  readonly sleepMsBeforeRun: number
  /** Effective timeout of the run function, in ms. */
  readonly timeoutMs: number
  /** Type-level carrier of the input and output types; never set at run time. */
  readonly '~types'?: { readonly input: TInput; readonly output: TOutput }
}

/** Any task, whatever its input, output and kind. */
export type AnyTask = Task<unknown, unknown, TaskType>

/** A list of tasks. */
export type AnyTasks = ReadonlyArray<AnyTask>

/** The input type a task is enqueued with. */
export type InferTaskInput<TTask extends AnyTask> =
  TTask extends Task<infer TInput, unknown, TaskType> ? TInput : never

/** The output type of a task. */
export type InferTaskOutput<TTask extends AnyTask> =
  TTask extends Task<unknown, infer TOutput, TaskType> ? TOutput : never

/** The kind of a task. */
export type InferTaskType<TTask extends AnyTask> =
  TTask extends Task<unknown, unknown, infer TTaskType> ? TTaskType : never

/** Options shared by every kind of task with a run function. */
export type CommonTaskOptions = {
  /** Unique id: 1..255 characters of `[A-Za-z0-9_]`. */
  id: string
  /** Retries of a failed run; absent means no retry (`{ maxAttempts: 0 }`). */
  retryOptions?: TaskRetryOptions
  /** Delay before the first run, in ms (number ≥ 0, default 0). Retries use the backoff instead. */
  sleepMsBeforeRun?: number
  /** Timeout of one run of the run function, in ms (integer ≥ 1). */
  timeoutMs: number
}

/**
 * What a run function receives besides its input (spec 4.4).
 */
export type TaskRunContext = {
  /** The top-most ancestor; absent for a top-level execution. */
  root?: TaskExecutionSummary
  /** The parent link; absent for a top-level execution. */
  parent?: ParentTaskExecutionSummary
  /** The id of the task being run. */
  taskId: string
  /** The id of the execution being run. */
  executionId: string
  /** Aborted when the executor starts shutting down. */
  shutdownSignal: AbortSignal
  /** Aborted when this run ends for any reason: timeout, cancellation or completion. */
  abortSignal: AbortSignal
  /** 0 for the first run, then 1, 2, … for retries. */
  attempt: number
  /** The error of the previous attempt (or of expiry recovery), if any. */
  prevError?: DurableExecutionErrorStorageValue
}

/** Options of `executor.task(...)`. */
export type TaskOptions<TInput = undefined, TOutput = unknown> = CommonTaskOptions & {
  /** The work; its return value (or resolved value) is the execution's output. */
  run: (ctx: TaskRunContext, input: TInput) => TOutput | Promise<TOutput>
}

/**
 * Options of `executor.sleepingTask<TOutput>(...)`: a task without a run function that waits
 * until `wakeupSleepingTaskExecution` finishes it or its timeout passes.
 */
export type SleepingTaskOptions = {
  /** Unique id: 1..255 characters of `[A-Za-z0-9_]`. */
  id: string
  /** How long the execution may sleep before it ends `timed_out`, in ms. */
  timeoutMs: number
}

/** The output of a parent task without finalize, and the input of its finalize step. */
export type DefaultParentTaskOutput<TRunOutput = unknown> = {
  /** What `runParent` returned as `output`. */
  output: TRunOutput
  /** Every child, in declared order, completed or errored. */
  children: Array<FinishedChildTaskExecution>
}

/**
 * A finalize step defined as a task: it is registered under its own id and spawned as the last
 * child of the parent; its output becomes the parent's output.
 */
export type FinalizeTaskOptions<TInput = unknown, TOutput = unknown, TRunOutput = unknown> =
  | TaskOptions<TInput, TOutput>
  | ParentTaskOptions<TInput, TRunOutput, TOutput>

/** What `runParent` returns: its own output and the children to run. */
export type ParentTaskRunOutput<TRunOutput = unknown> = {
  /** The parent's own output, handed to finalize (or put in the default output). */
  output: TRunOutput
  /** Children to run in parallel; build each with `childTask`. */
  children?: ReadonlyArray<ChildTask>
}

/** Options of `executor.parentTask(...)`. */
export type ParentTaskOptions<
  TInput = undefined,
  TRunOutput = unknown,
  TOutput = DefaultParentTaskOutput<TRunOutput>,
  TFinalizeTaskRunOutput = unknown,
> = CommonTaskOptions & {
  /** Runs the parent itself and says which children to spawn. */
  runParent: (
    ctx: TaskRunContext,
    input: TInput,
  ) => ParentTaskRunOutput<TRunOutput> | Promise<ParentTaskRunOutput<TRunOutput>>
  /**
   * Combines the parent output and the children into the final output: either a function run
   * in-process (no timeout, no retry), or a task definition run durably as a child.
   */
  finalize?:
    | ((input: DefaultParentTaskOutput<TRunOutput>) => TOutput | Promise<TOutput>)
    | FinalizeTaskOptions<DefaultParentTaskOutput<TRunOutput>, TOutput, TFinalizeTaskRunOutput>
}

/** Per-enqueue (or per-child) overrides of a task's options, validated like the task's own. */
export type TaskEnqueueOptions = {
  /** Replaces the task's retry options. */
  retryOptions?: TaskRetryOptions
  /** Replaces the task's delay before the first run. */
  sleepMsBeforeRun?: number
  /** Replaces the task's timeout. */
  timeoutMs?: number
}

/** The part of a storage an enqueue may write through instead of the executor's storage. */
export type TaskExecutionsStorageTransaction = Pick<TaskExecutionsStorage, 'insertMany'>

/** Options of `executor.enqueueTask(...)`. */
export type EnqueueTaskOptions = TaskEnqueueOptions & {
  /** Insert the row with this object (e.g. bound to the caller's DB transaction) instead of the storage. */
  taskExecutionsStorageTransaction?: TaskExecutionsStorageTransaction
}

/** A child to spawn from `runParent`; build it with `childTask(task, input?, options?)`. */
export type ChildTask<TTask extends AnyTask = AnyTask> = {
  /** The registered task to run. */
  task: TTask
  /** Its input (for a sleeping task: the unique id string). */
  input: InferTaskInput<TTask>
  /** Overrides of the task's options (not validated for children). */
  options?: TaskEnqueueOptions
}

/** How `wakeupSleepingTaskExecution` finishes a sleeping execution. */
export type WakeupSleepingTaskExecutionOptions<TOutput = unknown> =
  | { status: 'completed'; output: TOutput }
  | { status: 'failed'; error?: unknown }

/** `true` when each task's output type fits the next task's input type. */
export type IsSequenceChainValid<TTasks extends AnyTasks> = TTasks extends readonly [
  infer TFirst extends AnyTask,
  infer TSecond extends AnyTask,
  ...infer TRest extends AnyTasks,
]
  ? [InferTaskOutput<TFirst>] extends [InferTaskInput<TSecond>]
    ? IsSequenceChainValid<readonly [TSecond, ...TRest]>
    : false
  : true

/**
 * A list of tasks where each task's output is the next task's input; resolves to `never` when a
 * link does not fit, so the call does not compile.
 */
export type SequentialTasks<TTasks extends AnyTasks> =
  IsSequenceChainValid<TTasks> extends true ? TTasks : never

/** The last task of a list. */
export type LastTask<TTasks extends AnyTasks> = TTasks extends readonly [
  ...AnyTasks,
  infer TLast extends AnyTask,
]
  ? TLast
  : AnyTask

/** The output of one iteration of a looping task. */
export type LoopingTaskIterationOutput<TOutput = unknown> =
  | { isDone: false; output?: undefined }
  | { isDone: true; output: TOutput }

/** The output of a looping task: the done iteration's output, or no success when attempts ran out. */
export type LoopingTaskOutput<TOutput = unknown> =
  | { isSuccess: false; output?: undefined }
  | { isSuccess: true; output: TOutput }

/** The Standard Schema interface (https://standardschema.dev), copied to avoid a runtime import. */
export type StandardSchemaV1<TInput = unknown, TOutput = TInput> = {
  /** The Standard Schema properties. */
  readonly '~standard': {
    /** The version of the Standard Schema interface. */
    readonly version: 1
    /** The schema library's name. */
    readonly vendor: string
    /** Validates a value: its output or its issues. */
    readonly validate: (
      value: unknown,
    ) => StandardSchemaV1Result<TOutput> | Promise<StandardSchemaV1Result<TOutput>>
    /** Type-level carrier of the input and output types. */
    readonly types?: { readonly input: TInput; readonly output: TOutput } | undefined
  }
}

/** The result of a Standard Schema validation. */
export type StandardSchemaV1Result<TOutput> =
  | { readonly value: TOutput; readonly issues?: undefined }
  | { readonly issues: ReadonlyArray<StandardSchemaV1Issue> }

/** One Standard Schema issue. */
export type StandardSchemaV1Issue = {
  readonly message: string
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined
}

/** The arguments after the task of `enqueueTask`: the input (optional when it may be undefined) and options. */
export type EnqueueTaskArguments<TTask extends AnyTask> =
  undefined extends InferTaskInput<TTask>
    ? [input?: InferTaskInput<TTask>, options?: EnqueueTaskOptions]
    : [input: InferTaskInput<TTask>, options?: EnqueueTaskOptions]

/** Handle on one execution: read it, wait for it, cancel it. Works after executor shutdown. */
export type TaskExecutionHandle<TOutput = unknown> = {
  /** The task id. */
  readonly taskId: string
  /** The execution id. */
  readonly executionId: string
  /** Reads the execution; rejects with a not-found error when the row is gone. */
  getExecution: () => Promise<TaskExecution<TOutput>>
  /**
   * Polls until the execution is finished (interval `pollingIntervalMs` if > 0, else 2 500 ms,
   * never below 50 ms); rejects with `Task execution cancelled` when `signal` aborts. When this
   * process's executor wrote the finish, it resolves at once with the row as that write left it
   * (no read: its `updatedAt` is the finish's, not a later close's, and a row a retention purge
   * deleted since is still returned).
   */
  waitAndGetFinishedExecution: (options?: {
    pollingIntervalMs?: number
    signal?: AbortSignal
  }) => Promise<FinishedTaskExecution<TOutput>>
  /** Cancels the execution unless it is already finished. */
  cancel: () => Promise<void>
}

/**
 * Log level of the executor: the lowest level written. `'warn'` is beyond upstream (which knows
 * `'debug' | 'info' | 'error'`).
 */
export type DurableExecutorLogLevel = 'debug' | 'info' | 'warn' | 'error'

/**
 * The fields of a log line, for loggers that keep structured data. The message says the same in
 * words, so a logger that prints only the message loses nothing. Never holds task inputs, outputs
 * or a statement's parameters.
 */
export type DurableExecutorLogContext = {
  /** The execution the line is about. */
  readonly executionId?: string
  /** Its task id. */
  readonly taskId?: string
  /** The executor that writes the line. */
  readonly executorId?: string
  /** How many attempts the execution had made when the line was written (`retryAttempts`). */
  readonly attempt?: number
  /** The delay before the next attempt, in ms (retries). */
  readonly delayMs?: number
  /** How many times the execution's lease expired so far. */
  readonly expiryCount?: number
  /** How many executions the line is about, when it is about several. */
  readonly count?: number
  /**
   * The error, described: `Name: message` for the library's errors, the stack for others; never
   * the chain of causes (a driver error's cause holds the statement and its parameters).
   */
  readonly error?: string
}

/**
 * Where the executor writes its log lines: each level takes a message and an optional context.
 * `console` fits as it is; so does a pino logger (its `(message, ...args)` overload keeps the
 * message, which names the execution and task ids; to get the context as fields, pass
 * `{ info: (message, context) => log.info(context, message), … }`).
 */
export type DurableExecutorLogger = {
  /** Detailed progress, written at level `debug`. */
  debug: (message: string, context?: DurableExecutorLogContext) => void
  /** Notable events (a cancellation, an outage's end), written at levels `debug` and `info`. */
  info: (message: string, context?: DurableExecutorLogContext) => void
  /**
   * Problems the executor handles (a retry, an expired lease, a dropped result), written at levels
   * up to `warn`. Optional, for loggers written for upstream: `error` receives them when absent.
   */
  warn?: (message: string, context?: DurableExecutorLogContext) => void
  /** Failures (a task execution that failed for good, a storage outage), always written. */
  error: (message: string, context?: DurableExecutorLogContext) => void
}

/** Options of `DurableExecutor.make(storage, options?)`; every one is optional (`null` = absent). */
export type DurableExecutorOptions = {
  /** Serializer of inputs and outputs. Default: superjson. */
  serializer?: Serializer | null
  /** Where log lines go. Default: the console. */
  logger?: DurableExecutorLogger | null
  /** Minimum level logged. Default `'info'`. */
  logLevel?: DurableExecutorLogLevel | null
  /** Added to every lease (and to a run's timeout) before it expires. Default 300 000 ms. */
  expireLeewayMs?: number | null
  /**
   * Beyond upstream: after this many expiries of its run's lease (its process died or stalled
   * while running it), an execution ends `failed` instead of running again; executions that
   * expired before run one at a time per executor, so one that kills its process takes no other
   * down with it for long. Integer 1..1000. Default 5. Needs a storage that counts expiries (the
   * SQL and in-memory storages do).
   */
  maxExpiries?: number | null
  /** Polling interval of the background loops. Default 500 ms. */
  backgroundProcessIntraBatchSleepMs?: number | null
  /**
   * Runs in progress in this process at most. Default 5 000. A run's slot is free once its
   * function returns; as many results again may be waiting for their write meanwhile.
   */
  maxConcurrentTaskExecutions?: number | null
  /** Rows claimed per pickup. Default 100. */
  maxTaskExecutionsPerBatch?: number | null
  /** Parents claimed per children-finished iteration, 1..200. Default 100. */
  processOnChildrenFinishedTaskExecutionsBatchSize?: number | null
  /** Rows released per close-ready iteration, 1..200. Default 100. */
  markFinishedTaskExecutionsAsCloseStatusReadyBatchSize?: number | null
  /** Rows closed per iteration, 1..200. Default 100. */
  closeFinishedTaskExecutionsBatchSize?: number | null
  /** Rows interrupted per promise-cancellation iteration, 1..200. Default 100. */
  cancelNeedsPromiseCancellationTaskExecutionsBatchSize?: number | null
  /** Rows recovered per expiry sweep, 1..200. Default 100. */
  retryExpiredTaskExecutionsBatchSize?: number | null
  /** Children one run may spawn, 1..1000. Default 1 000. */
  maxChildrenPerTaskExecution?: number | null
  /** Largest serialized input, 1 024..10 485 760. Default 1 MB. */
  maxSerializedInputDataSize?: number | null
  /** Largest serialized output, 1 024..10 485 760. Default 1 MB. */
  maxSerializedOutputDataSize?: number | null
  /** Coalesce concurrent storage calls into array calls. Default false. */
  enableStorageBatching?: boolean | null
  /** Record storage call timings for `getStorageMetrics()`. Default false. */
  enableStorageStats?: boolean | null
  /** Batch window of storage batching, 1..100 ms. Default 10. */
  storageBackgroundBatchingProcessIntraBatchSleepMs?: number | null
  /** Extra attempts of a failed storage call, 0..10. Default 1. */
  storageMaxRetryAttempts?: number | null
}

/** The sleep before each iteration of a looping task: fixed, or computed from the attempt number. */
export type LoopingTaskSleepMsBeforeRun = number | ((attempt: number) => number)

/**
 * Builder returned by `executor.validateInput(fn)` and `executor.inputSchema(schema)`: the tasks it
 * registers are enqueued with `TInput` and their run function sees the validated `TValidatedInput`.
 * Validation happens before each run, not at enqueue time.
 */
export type InputValidatedTaskBuilder<TInput, TValidatedInput> = {
  /** Registers a task whose input is validated first. */
  task: <TOutput>(options: TaskOptions<TValidatedInput, TOutput>) => Task<TInput, TOutput, 'task'>
  /** Registers a parent task whose input is validated first. */
  parentTask: <
    TRunOutput = unknown,
    TOutput = DefaultParentTaskOutput<TRunOutput>,
    TFinalizeTaskRunOutput = unknown,
  >(
    options: ParentTaskOptions<TValidatedInput, TRunOutput, TOutput, TFinalizeTaskRunOutput>,
  ) => Task<TInput, TOutput, 'parentTask'>
  /** Registers a sequence whose first input is validated first. */
  sequentialTasks: <TTasks extends AnyTasks>(
    id: string,
    tasks: readonly [...TTasks] & SequentialTasks<TTasks>,
  ) => Task<TInput, InferTaskOutput<LastTask<TTasks>>, 'sequentialTasks'>
  /** Registers a looping task whose input is validated first. */
  loopingTask: <TOutput>(
    id: string,
    iterationTask: Task<TValidatedInput, LoopingTaskIterationOutput<TOutput>>,
    maxAttempts: number,
    sleepMsBeforeRun?: LoopingTaskSleepMsBeforeRun,
  ) => Task<TInput, LoopingTaskOutput<TOutput>, 'parentTask'>
}
