/**
 * The `DurableExecutor` class (spec 4.1-4.5, 4.10): the public face that registers tasks, enqueues
 * executions, hands out handles, starts the background loops and shuts everything down cleanly.
 * The work itself lives in the sibling modules; this file wires them together.
 */
import { TaskExecutionsStorageLayer } from '../batching/storage-layer.js'
import type { StorageMetric } from '../batching/storage-stats.js'
import { DurableExecutionError, DurableExecutionNotFoundError } from '../errors.js'
import { generateExecutorId } from '../ids.js'
import type { FinishedTaskExecution } from '../read-model.js'
import { serializeWithSizeLimit } from '../serializer.js'
import type { TaskExecutionsStorage, TaskExecutionsStorageChangeSubscription } from '../storage.js'
import {
  cancelsNeedPromiseCancellationTaskExecutions,
  closeFinishedTaskExecutions,
  markFinishedTaskExecutionsAsCloseStatusReady,
  processOnChildrenFinishedTaskExecutions,
  retryExpiredTaskExecutions,
  type BackgroundProcessName,
  type PickupCapacityState,
} from './background.js'
import { subscribeLoopsToChanges } from './change-signal.js'
import { ExecutorClock } from './clock.js'
import { registerLoopingTask, registerSequentialTasks } from './composite-tasks.js'
import { DeadlineScheduler } from './deadlines.js'
import { enqueueTaskExecution, getRegisteredTaskDefinition, wakeupSleepingTaskExecution } from './enqueue.js'
import { checkStorageReady } from './readiness.js'
import { FinishedExecutionWaiters } from './finish-waiters.js'
import { createTaskExecutionHandle, getExecutionRowOrThrow, type TaskExecutionHandleDeps } from './handle.js'
import {
  createFunctionInputValidator,
  createStandardSchemaInputValidator,
  isStandardSchema,
} from './input-validation.js'
import { BackgroundLoop } from './loops.js'
import { processReadyTaskExecutions } from './pickup.js'
import { resolveDurableExecutorOptions, type ResolvedDurableExecutorOptions } from './options.js'
import { TaskRegistry, type InputValidatorFactory } from './registry.js'
import { interruptExecutionRun } from './run.js'
import { ExecutorLog } from './log.js'
import { RunResultWrites } from './result-writes.js'
import type { ExecutorRuntime, RunningExecution } from './runtime.js'
import type {
  AnyTask,
  AnyTasks,
  DefaultParentTaskOutput,
  DurableExecutorOptions,
  EnqueueTaskArguments,
  InferTaskInput,
  InferTaskOutput,
  InputValidatedTaskBuilder,
  LastTask,
  LoopingTaskIterationOutput,
  LoopingTaskOutput,
  LoopingTaskSleepMsBeforeRun,
  ParentTaskOptions,
  SequentialTasks,
  SleepingTaskOptions,
  StandardSchemaV1,
  Task,
  TaskExecutionHandle,
  TaskOptions,
  WakeupSleepingTaskExecutionOptions,
} from './types.js'

/** How long shutdown waits for loops, runs and background work before giving up on them. */
export const SHUTDOWN_GRACE_PERIOD_MS = 15_000

/**
 * After a cancel wakes the sweep that interrupts local runs, when it looks again: a sweep of this
 * executor may have held the cancelled row's lock the first time (rows locked elsewhere are skipped).
 */
const CANCEL_SWEEP_RECHECKS_MS = [50, 500]

type ExecutorState = 'idle' | 'started' | 'shutdown'

/**
 * Runs tasks durably on a storage: every state change is written before it is acted on, so any
 * executor sharing the storage can pick up where a crashed one stopped. Create it with
 * {@link DurableExecutor.make}, register tasks, `start()` it, enqueue, and `shutdown()` at the end.
 */
export class DurableExecutor {
  /** This executor's id (`de_` + 8 characters), written on the rows it claims. */
  readonly id: string

  private readonly options: ResolvedDurableExecutorOptions
  private readonly storage: TaskExecutionsStorageLayer
  private readonly registry = new TaskRegistry()
  private readonly log: ExecutorLog
  private readonly shutdownController = new AbortController()
  // Aborted when shutdown stops waiting for work in progress.
  private readonly stopController = new AbortController()
  private readonly clock: ExecutorClock
  private leaseCounter = 0
  private changeSubscription: TaskExecutionsStorageChangeSubscription | undefined
  private readonly deadlines = new DeadlineScheduler()
  private readonly running = new Map<string, RunningExecution>()
  private readonly resultsBeingWritten = { count: 0 }
  private readonly backgroundWork = new Set<Promise<unknown>>()
  private readonly capacity: PickupCapacityState = { isBlocked: false }
  private readonly loops: Record<BackgroundProcessName, BackgroundLoop>
  private readonly runtime: ExecutorRuntime
  private readonly handleDeps: TaskExecutionHandleDeps
  private state: ExecutorState = 'idle'
  private shutdownPromise: Promise<void> | undefined

  private constructor(
    storage: TaskExecutionsStorage,
    options: ResolvedDurableExecutorOptions,
    serializedUndefined: string,
  ) {
    this.id = generateExecutorId()
    this.options = options
    this.log = new ExecutorLog(options.logger, options.logLevel, this.id)
    const storageLayer = new TaskExecutionsStorageLayer(storage, {
      enableBatching: options.enableStorageBatching,
      batchWindowMs: options.storageBackgroundBatchingProcessIntraBatchSleepMs,
      maxRetryAttempts: options.storageMaxRetryAttempts,
      enableStats: options.enableStorageStats,
      logger: {
        error: (message, error) => this.log.error(message, error),
        info: (message) => this.log.info(message),
      },
    })
    this.storage = storageLayer
    this.clock = new ExecutorClock(
      storageLayer.hasDatabaseClock ? () => storageLayer.getCurrentTimeMs() : undefined,
      (error) => this.log.debug(`Could not read the database's clock; keeping the last offset: ${String(error)}`),
    )

    const makeLoop = (name: BackgroundProcessName, iteration: () => Promise<boolean>) =>
      new BackgroundLoop({
        name,
        intervalMs: options.backgroundProcessIntraBatchSleepMs,
        iteration,
        logError: (message, error) => this.log.error(message, error),
      })
    this.loops = {
      processReadyTaskExecutions: makeLoop('processReadyTaskExecutions', () =>
        processReadyTaskExecutions(this.runtime, this.capacity),
      ),
      processOnChildrenFinishedTaskExecutions: makeLoop(
        'processOnChildrenFinishedTaskExecutions',
        () => processOnChildrenFinishedTaskExecutions(this.runtime),
      ),
      markFinishedTaskExecutionsAsCloseStatusReady: makeLoop(
        'markFinishedTaskExecutionsAsCloseStatusReady',
        () => markFinishedTaskExecutionsAsCloseStatusReady(this.runtime),
      ),
      closeFinishedTaskExecutions: makeLoop('closeFinishedTaskExecutions', () =>
        closeFinishedTaskExecutions(this.runtime),
      ),
      cancelsNeedPromiseCancellationTaskExecutions: makeLoop(
        'cancelsNeedPromiseCancellationTaskExecutions',
        () => cancelsNeedPromiseCancellationTaskExecutions(this.runtime),
      ),
      retryExpiredTaskExecutions: makeLoop('retryExpiredTaskExecutions', () =>
        retryExpiredTaskExecutions(this.runtime),
      ),
    }

    const loops = this.loops
    // Known future due times (delayed starts, retry backoff, sleeping-task timeouts) share the run
    // deadline heap: one timer for all of them, one entry per distinct millisecond.
    const scheduledWakeUps = new Map<BackgroundLoop, Set<number>>()
    const wakeAt = (loop: BackgroundLoop, at: number) => {
      let times = scheduledWakeUps.get(loop)
      if (!times) scheduledWakeUps.set(loop, (times = new Set()))
      if (times.has(at)) return
      times.add(at)
      // `at` is a storage time; the timer runs on this process's clock.
      this.deadlines.schedule(this.clock.toLocalTime(at), () => {
        times.delete(at)
        loop.trigger()
      })
    }
    // The cancel sweep skips locked rows, and the close-ready sweep that a cancel also wakes locks
    // the same just-cancelled rows: the sweep looks again shortly after, instead of at the next read.
    const wakeCancelSweep = () => {
      loops.cancelsNeedPromiseCancellationTaskExecutions.trigger()
      for (const afterMs of CANCEL_SWEEP_RECHECKS_MS) wakeAt(loops.cancelsNeedPromiseCancellationTaskExecutions, this.clock.now() + afterMs)
    }
    const finishedWaiters = new FinishedExecutionWaiters()
    this.runtime = {
      executorId: this.id,
      clock: this.clock,
      // Unique per executor and claim: the executor id and a counter.
      nextLeaseToken: () => `${this.id}.${(++this.leaseCounter).toString(36)}`,
      stopSignal: this.stopController.signal,
      callsWaitingToRetry: { count: 0, holdSweepUntil: 0 },
      options,
      serializer: options.serializer,
      storage: this.storage,
      resultWrites: new RunResultWrites(this.storage),
      registry: this.registry,
      log: this.log,
      serializedUndefined,
      shutdownSignal: this.shutdownController.signal,
      deadlines: this.deadlines,
      running: this.running,
      resultsBeingWritten: this.resultsBeingWritten,
      finishedWaiters,
      wake: {
        // Pickup claims rows with startAt <= now, so waking at startAt is enough.
        pickup: (at) =>
          at === undefined || at <= this.clock.now()
            ? loops.processReadyTaskExecutions.trigger()
            : wakeAt(loops.processReadyTaskExecutions, at),
        childrenFinished: () => loops.processOnChildrenFinishedTaskExecutions.trigger(),
        closeReady: () => loops.markFinishedTaskExecutionsAsCloseStatusReady.trigger(),
        close: () => loops.closeFinishedTaskExecutions.trigger(),
        promiseCancellation: wakeCancelSweep,
        // The expiry sweep matches expiresAt < now, so it is due one millisecond later.
        expiry: (at) => wakeAt(loops.retryExpiredTaskExecutions, at + 1),
      },
      track: (work) => {
        this.backgroundWork.add(work)
        void work.finally(() => this.backgroundWork.delete(work))
      },
      onRunEnded: () => {
        if (this.capacity.isBlocked) {
          this.capacity.isBlocked = false
          loops.processReadyTaskExecutions.trigger()
        }
      },
    }
    this.handleDeps = {
      storage: this.storage,
      now: () => this.clock.now(),
      finishedWaiters,
      serializer: options.serializer,
      onCancelled: ({ executionId, taskId, matched }) => {
        if (matched !== false) {
          this.log.info(`Cancelled task execution [taskId=${taskId}] [executionId=${executionId}]`, { executionId, taskId })
        }
        loops.markFinishedTaskExecutionsAsCloseStatusReady.trigger()
        if (this.running.has(executionId)) wakeCancelSweep()
      },
    }
  }

  /**
   * Creates an executor on `storage`. Rejects with `Invalid options: …` when an option is invalid.
   * The executor runs nothing until {@link DurableExecutor.start} is called.
   */
  static async make(
    storage: TaskExecutionsStorage,
    options?: DurableExecutorOptions | null,
  ): Promise<DurableExecutor> {
    if (typeof storage !== 'object' || storage === null) {
      throw DurableExecutionError.nonRetryable(
        `Invalid storage: a TaskExecutionsStorage object is required [storage=${storage === null ? 'null' : typeof storage}]`,
      )
    }
    const resolved = resolveDurableExecutorOptions(options)
    const serializedUndefined = await serializeWithSizeLimit(
      resolved.serializer,
      undefined,
      resolved.maxSerializedInputDataSize,
    )
    return new DurableExecutor(storage, resolved, serializedUndefined)
  }

  private assertNotShutdown(): void {
    if (this.state === 'shutdown') throw DurableExecutionError.nonRetryable('Durable executor shutdown')
  }

  /** Registers a task with a run function. */
  task<TInput = undefined, TOutput = unknown>(
    options: TaskOptions<TInput, TOutput>,
  ): Task<TInput, TOutput, 'task'> {
    return this.registerTask(options, undefined) as Task<TInput, TOutput, 'task'>
  }

  /**
   * Registers a sleeping task: it has no run function; an execution (enqueued with a unique id
   * string as input) waits until {@link DurableExecutor.wakeupSleepingTaskExecution} or its timeout.
   */
  sleepingTask<TOutput = unknown>(options: SleepingTaskOptions): Task<string, TOutput, 'sleepingTask'> {
    this.assertNotShutdown()
    return this.registry.registerSleepingTask(options).descriptor as Task<
      string,
      TOutput,
      'sleepingTask'
    >
  }

  /** Registers a parent task: it runs, spawns children in parallel, then finalizes. */
  parentTask<
    TInput = undefined,
    TRunOutput = unknown,
    TOutput = DefaultParentTaskOutput<TRunOutput>,
    TFinalizeTaskRunOutput = unknown,
  >(
    options: ParentTaskOptions<TInput, TRunOutput, TOutput, TFinalizeTaskRunOutput>,
  ): Task<TInput, TOutput, 'parentTask'> {
    return this.registerParentTask(options, undefined) as Task<TInput, TOutput, 'parentTask'>
  }

  /**
   * Registers a sequence: the tasks run one after another, each getting the previous output as
   * its input; the last output is the sequence's output.
   */
  sequentialTasks<TTasks extends AnyTasks>(
    id: string,
    tasks: readonly [...TTasks] & SequentialTasks<TTasks>,
  ): Task<InferTaskInput<TTasks[0] & AnyTask>, InferTaskOutput<LastTask<TTasks>>, 'sequentialTasks'> {
    return this.registerSequence(id, tasks, undefined) as Task<
      InferTaskInput<TTasks[0] & AnyTask>,
      InferTaskOutput<LastTask<TTasks>>,
      'sequentialTasks'
    >
  }

  /**
   * Registers a looping task: the iteration task runs until it returns `{ isDone: true, output }`
   * or `maxAttempts` iterations ran, sleeping `sleepMsBeforeRun` before each.
   */
  loopingTask<TInput, TOutput>(
    id: string,
    iterationTask: Task<TInput, LoopingTaskIterationOutput<TOutput>>,
    maxAttempts: number,
    sleepMsBeforeRun?: LoopingTaskSleepMsBeforeRun,
  ): Task<TInput, LoopingTaskOutput<TOutput>, 'parentTask'> {
    return this.registerLoop(id, iterationTask, maxAttempts, sleepMsBeforeRun, undefined) as Task<
      TInput,
      LoopingTaskOutput<TOutput>,
      'parentTask'
    >
  }

  /**
   * Returns a builder whose tasks validate (and may transform) their input with `validate` before
   * each run. A failure ends the execution `failed` with `Invalid input to task <id>: …`.
   */
  validateInput<TValidatedInput, TInput = TValidatedInput>(
    validate: (input: TInput) => TValidatedInput | Promise<TValidatedInput>,
  ): InputValidatedTaskBuilder<TInput, TValidatedInput> {
    if (typeof validate !== 'function') {
      throw DurableExecutionError.nonRetryable('validateInput requires a function')
    }
    return this.createValidatedBuilder((taskId) => createFunctionInputValidator(taskId, validate))
  }

  /** Like {@link DurableExecutor.validateInput}, with a Standard Schema (zod, valibot, arktype…). */
  inputSchema<TSchema extends StandardSchemaV1>(
    schema: TSchema,
  ): InputValidatedTaskBuilder<
    NonNullable<TSchema['~standard']['types']>['input'],
    NonNullable<TSchema['~standard']['types']>['output']
  > {
    if (!isStandardSchema(schema)) {
      throw DurableExecutionError.nonRetryable(
        'inputSchema requires a Standard Schema (an object with a "~standard" property)',
      )
    }
    return this.createValidatedBuilder((taskId) => createStandardSchemaInputValidator(taskId, schema))
  }

  private createValidatedBuilder<TInput, TValidatedInput>(
    makeValidator: InputValidatorFactory,
  ): InputValidatedTaskBuilder<TInput, TValidatedInput> {
    return {
      task: (options) => this.registerTask(options, makeValidator) as never,
      parentTask: (options) => this.registerParentTask(options, makeValidator) as never,
      sequentialTasks: (id, tasks) => this.registerSequence(id, tasks, makeValidator) as never,
      loopingTask: (id, iterationTask, maxAttempts, sleepMsBeforeRun) =>
        this.registerLoop(id, iterationTask, maxAttempts, sleepMsBeforeRun, makeValidator) as never,
    }
  }

  private registerTask(options: unknown, makeValidator: InputValidatorFactory | undefined): AnyTask {
    this.assertNotShutdown()
    return this.registry.registerTask(options as TaskOptions<never, unknown>, makeValidator)
      .descriptor
  }

  private registerParentTask(
    options: unknown,
    makeValidator: InputValidatorFactory | undefined,
  ): AnyTask {
    this.assertNotShutdown()
    return this.registry.registerParentTask(
      options as ParentTaskOptions<never, unknown, unknown, unknown>,
      makeValidator,
    ).descriptor
  }

  private registerSequence(
    id: string,
    tasks: ReadonlyArray<AnyTask>,
    makeValidator: InputValidatorFactory | undefined,
  ): AnyTask {
    this.assertNotShutdown()
    return registerSequentialTasks(this.registry, id, tasks, makeValidator).descriptor
  }

  private registerLoop(
    id: string,
    iterationTask: AnyTask,
    maxAttempts: number,
    sleepMsBeforeRun: LoopingTaskSleepMsBeforeRun | undefined,
    makeValidator: InputValidatorFactory | undefined,
  ): AnyTask {
    this.assertNotShutdown()
    return registerLoopingTask(
      this.registry,
      id,
      iterationTask,
      maxAttempts,
      sleepMsBeforeRun,
      makeValidator,
    ).descriptor
  }

  /**
   * Enqueues an execution of `task` and returns its handle. For a sleeping task the input is the
   * unique id string. `options` override the task's retry options, delay and timeout, and
   * `options.taskExecutionsStorageTransaction` inserts the row through the caller's transaction.
   * Works before `start()`; rejects after shutdown.
   */
  async enqueueTask<TTask extends AnyTask>(
    task: TTask,
    ...rest: EnqueueTaskArguments<TTask>
  ): Promise<TaskExecutionHandle<InferTaskOutput<TTask>>> {
    this.assertNotShutdown()
    const [input, options] = rest
    const row = await enqueueTaskExecution(this.runtime, task, input, options)
    return createTaskExecutionHandle(this.handleDeps, row.taskId, row.executionId)
  }

  /**
   * The handle of an existing execution of `task`. Rejects when the task is not registered here,
   * the execution does not exist, or it belongs to another task.
   */
  async getTaskExecutionHandle<TTask extends AnyTask>(
    task: TTask,
    executionId: string,
  ): Promise<TaskExecutionHandle<InferTaskOutput<TTask>>> {
    this.assertNotShutdown()
    const definition = getRegisteredTaskDefinition(this.runtime, task)
    const row = await getExecutionRowOrThrow(this.storage, executionId)
    if (row.taskId !== definition.id) {
      throw new DurableExecutionNotFoundError(
        `Task execution belongs to another task [providedTaskId=${definition.id}] [taskId=${row.taskId}] [executionId=${executionId}]`,
      )
    }
    return createTaskExecutionHandle(this.handleDeps, row.taskId, row.executionId)
  }

  /**
   * Finishes a sleeping execution, found by its unique id, as completed with an output or as
   * failed, and returns it. An already finished execution is returned unchanged.
   */
  async wakeupSleepingTaskExecution<TTask extends AnyTask>(
    task: TTask,
    sleepingTaskUniqueId: string,
    options: WakeupSleepingTaskExecutionOptions<InferTaskOutput<TTask>>,
  ): Promise<FinishedTaskExecution<InferTaskOutput<TTask>>> {
    this.assertNotShutdown()
    return (await wakeupSleepingTaskExecution(
      this.runtime,
      task,
      sleepingTaskUniqueId,
      options,
    )) as FinishedTaskExecution<InferTaskOutput<TTask>>
  }

  /**
   * Starts storage batching (if enabled) and the background loops, after sampling the database's
   * clock when the storage can tell it (leases are then computed on it). Idempotent; no-op after
   * shutdown. Rejects, starting nothing, when the storage's `checkReady` fails with a
   * non-retryable error (e.g. a SQL storage whose table is missing: the error says how to create
   * it); a database that is down or slow is logged and the loops retry as before.
   */
  async start(): Promise<void> {
    if (this.state !== 'idle') return
    this.state = 'started'
    try {
      await checkStorageReady(this.storage, (message, error) => this.log.error(message, error))
    } catch (error) {
      // Nothing has started yet: a later start() may try again once the table exists.
      if (this.state === 'started') this.state = 'idle'
      throw error
    }
    await this.clock.start()
    this.changeSubscription = await subscribeLoopsToChanges(
      this.storage,
      this.loops,
      this.options.backgroundProcessIntraBatchSleepMs,
      (error) => this.log.error('Could not subscribe to the storage change signal; polling instead', error),
    )
    if (this.state !== 'started') {
      await this.changeSubscription?.unsubscribe()
      return
    }
    this.storage.start()
    for (const loop of Object.values(this.loops)) loop.start()
    this.log.debug(
      `Durable executor started [executorId=${this.id}] [clockOffsetMs=${this.clock.offset}] ` +
        `[changeSignal=${this.changeSubscription ? 'on' : 'off'}]`,
    )
  }

  /**
   * Shuts down: new registrations, enqueues, lookups and wakeups fail from now on;
   * `shutdownSignal` aborts; the loops stop; runs and background work in progress get up to 15 s
   * to finish (then they are interrupted and left to expiry recovery); storage batching stops.
   * Resolves with no timer left behind. Idempotent.
   */
  shutdown(): Promise<void> {
    this.shutdownPromise ??= this.shutdownOnce()
    return this.shutdownPromise
  }

  private async shutdownOnce(): Promise<void> {
    this.state = 'shutdown'
    this.shutdownController.abort()
    const subscription = this.changeSubscription
    this.changeSubscription = undefined
    await Promise.resolve(subscription?.unsubscribe()).catch((error: unknown) =>
      this.log.error('Error in closing the storage change signal', error),
    )
    await Promise.all(Object.values(this.loops).map((loop) => loop.stop(SHUTDOWN_GRACE_PERIOD_MS)))

    const inFlight: Array<Promise<unknown>> = [...this.backgroundWork]
    for (const entry of this.running.values()) if (entry.done) inFlight.push(entry.done)
    if (inFlight.length > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined
      await Promise.race([
        Promise.allSettled(inFlight),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, SHUTDOWN_GRACE_PERIOD_MS)
        }),
      ])
      clearTimeout(timer)
    }
    this.stopController.abort()
    this.clock.stop()
    for (const entry of [...this.running.values()]) {
      interruptExecutionRun(
        this.runtime,
        entry,
        DurableExecutionError.nonRetryable('Durable executor shutdown'),
      )
    }
    this.deadlines.shutdown()
    await this.storage.shutdown()
    this.log.debug(`Durable executor shut down [executorId=${this.id}]`)
  }

  /** Number of executions whose run, or the write of its result, is in progress in this process. */
  getRunningTaskExecutionsCount(): number {
    return this.running.size
  }

  /** Ids of the executions whose run, or the write of its result, is in progress in this process (a copy). */
  getRunningTaskExecutionIds(): Set<string> {
    return new Set(this.running.keys())
  }

  /** Storage call timings per method, most called first; empty unless `enableStorageStats`. */
  getStorageMetrics(): Promise<Array<StorageMetric>> {
    return Promise.resolve(this.storage.getStorageMetrics())
  }
}
