/**
 * The executor's only door to its storage (spec 2.6, 2.7): every call is retried and optionally
 * timed, and, with batching on, concurrent single requests are coalesced with DataLoader into one
 * call of the storage's array method per batch.
 */
import type {
  MaybePromise,
  TaskExecutionsStorage,
  TaskExecutionsStorageGetByIdRequest,
  TaskExecutionChildResult,
  TaskExecutionsStorageGetByParentExecutionIdRequest,
  TaskExecutionsStorageGetBySleepingTaskUniqueIdRequest,
  TaskExecutionsStorageUpdateAndDecrementParentActiveChildrenCountByIsFinishedAndCloseStatusRequest,
  TaskExecutionsStorageUpdateByCloseExpiresAtLessThanRequest,
  TaskExecutionsStorageUpdateByCloseStatusAndReturnRequest,
  TaskExecutionsStorageUpdateByExecutorIdAndNeedsPromiseCancellationAndReturnRequest,
  TaskExecutionsStorageUpdateByIdAndInsertChildrenIfUpdatedRequest,
  TaskExecutionsStorageUpdateByIdRequest,
  TaskExecutionsStorageUpdateByOnChildrenFinishedProcessingExpiresAtLessThanRequest,
  TaskExecutionsStorageUpdateByParentExecutionIdAndIsFinishedRequest,
  TaskExecutionsStorageUpdateByStatusAndIsSleepingTaskAndExpiresAtLessThanRequest,
  TaskExecutionsStorageUpdateByStatusAndOnChildrenFinishedProcessingStatusAndActiveChildrenCountZeroAndReturnRequest,
  TaskExecutionsStorageUpdateByStatusAndStartAtLessThanAndReturnRequest,
  TaskExecutionsStorageChange,
  TaskExecutionsStorageChangeSubscription,
  TaskExecutionsStorageFindSweepWorkRequest,
  TaskExecutionsStorageSweepWork,
  TaskExecutionStorageValue,
} from '../storage.js'
import { DurableExecutionError } from '../errors.js'
import { BatchWindowScheduler } from './batch-window-scheduler.js'
import { BatchedStorageMethod, type StorageCallContext } from './batched-method.js'
import { readOptionalRowResults, readRowListResults, readUpdateMatchResults } from './result-shape.js'
import { callWithStorageRetry, retryStorageCallAfterFailure } from './retry.js'
import { StorageCallStats, type StorageMetric } from './storage-stats.js'
import { StorageHealth } from './storage-health.js'

/** Where the storage layer reports failures it recovered from, and outages of the database. */
export type TaskExecutionsStorageLayerLogger = {
  /** Called with a message and the error that caused it. */
  error(message: string, error?: unknown): void
  /** Called when the database answers again after an outage. */
  info?(message: string): void
}

/** Options of {@link TaskExecutionsStorageLayer}, taken from the executor's options. */
export type TaskExecutionsStorageLayerOptions = {
  /** Coalesce concurrent single requests into array calls (`enableStorageBatching`). */
  enableBatching: boolean
  /** How long a batch collects requests, in ms (`storageBackgroundBatchingProcessIntraBatchSleepMs`). */
  batchWindowMs: number
  /** Extra attempts of a failed storage call (`storageMaxRetryAttempts`). */
  maxRetryAttempts: number
  /** Time every storage call (`enableStorageStats`). */
  enableStats: boolean
  /** Receives reports of batched calls that failed and were re-sent request by request. */
  logger?: TaskExecutionsStorageLayerLogger
}

/** Whether a by-id update matched its row; `undefined` when the storage does not say. */
export type UpdateMatch = boolean | undefined

/** How the by-id update methods read a requests error: a request that took effect answers whether it matched, if the storage said. */
const UPDATE_MATCH_REQUEST_ERRORS = {
  appliedResult: undefined,
  readAppliedResult: (answer: unknown): UpdateMatch => (typeof answer === 'boolean' ? answer : undefined),
}

/** Requests carrying more rows than this skip batching (spec 2.6), so one batch stays small. */
export const MAX_ROWS_PER_BATCHED_REQUEST = 5

/** Parents whose children's results one batched storage call may read. */
export const MAX_PARENTS_PER_CHILD_RESULTS_CALL = 20

/** Rows (inserts) or children (update-and-insert) one batched storage call may carry. */
export const MAX_ROWS_PER_BATCHED_CALL = 100

/**
 * The executor-side storage layer. Its single-request methods call the storage's array methods:
 * with one request each, or, after {@link TaskExecutionsStorageLayer.start} with batching on,
 * with every request made within one batch window (spec 2.6 table for the batch sizes).
 *
 * Our choices beyond upstream: `getBySleepingTaskUniqueId` is batched too; when a batched call
 * fails its requests are re-sent one by one so only the offending caller fails, except that when
 * the storage reports each request's outcome with a `TaskExecutionsStorageRequestsError`, the
 * requests that took effect are answered as done and only the failed ones are retried (alone, if
 * their own error is retryable); two updates of the
 * same row never share a call and reach the storage in the order they were made; an
 * `updateByIdAndInsertChildrenIfUpdated` without children is sent as an `updateById` (spec 2.3:
 * the two mean the same then); `insertMany` of no rows does not reach the storage.
 */
export class TaskExecutionsStorageLayer {
  private readonly storage: TaskExecutionsStorage
  private readonly options: TaskExecutionsStorageLayerOptions
  private readonly stats: StorageCallStats | undefined
  private readonly health: StorageHealth
  private successWaiters: Array<() => void> = []
  private scheduler: BatchWindowScheduler | undefined

  private readonly insertManyMethod: BatchedStorageMethod<
    ReadonlyArray<TaskExecutionStorageValue>,
    void
  >
  private readonly getByIdMethod: BatchedStorageMethod<
    TaskExecutionsStorageGetByIdRequest,
    TaskExecutionStorageValue | undefined
  >
  private readonly getBySleepingTaskUniqueIdMethod: BatchedStorageMethod<
    TaskExecutionsStorageGetBySleepingTaskUniqueIdRequest,
    TaskExecutionStorageValue | undefined
  >
  private readonly updateByIdMethod: BatchedStorageMethod<
    TaskExecutionsStorageUpdateByIdRequest,
    UpdateMatch
  >
  private readonly updateByIdAndInsertChildrenIfUpdatedMethod: BatchedStorageMethod<
    TaskExecutionsStorageUpdateByIdAndInsertChildrenIfUpdatedRequest,
    UpdateMatch
  >
  private readonly getByParentExecutionIdMethod: BatchedStorageMethod<
    TaskExecutionsStorageGetByParentExecutionIdRequest,
    Array<TaskExecutionStorageValue>
  >
  private readonly getChildResultsByParentExecutionIdMethod: BatchedStorageMethod<
    TaskExecutionsStorageGetByParentExecutionIdRequest,
    Array<TaskExecutionChildResult>
  >
  private readonly updateByParentExecutionIdAndIsFinishedMethod: BatchedStorageMethod<
    TaskExecutionsStorageUpdateByParentExecutionIdAndIsFinishedRequest,
    void
  >

  /**
   * @param storage - the storage to call.
   * @param options - batching, retry and stats settings.
   */
  constructor(storage: TaskExecutionsStorage, options: TaskExecutionsStorageLayerOptions) {
    this.storage = storage
    this.options = options
    this.stats = options.enableStats ? new StorageCallStats() : undefined
    this.health = new StorageHealth({
      error: (message) => this.options.logger?.error(message),
      info: (message) => this.options.logger?.info?.(message),
    })

    const context: StorageCallContext = {
      callOnce: (method, call) => this.callOnce(method, call),
      withRetry: (attempt) => callWithStorageRetry(attempt, this.options.maxRetryAttempts),
      retryAfterFailure: (firstError, attempt) =>
        retryStorageCallAfterFailure(firstError, attempt, this.options.maxRetryAttempts),
      logError: (message, error) => this.options.logger?.error(message, error),
    }
    const noResults = (requests: ReadonlyArray<unknown>) => requests.map(() => undefined)

    this.insertManyMethod = new BatchedStorageMethod<
      ReadonlyArray<TaskExecutionStorageValue>,
      void
    >(
      {
        method: 'insertMany',
        maxBatchSize: MAX_ROWS_PER_BATCHED_CALL,
        maxWeight: MAX_ROWS_PER_BATCHED_CALL,
        weightOf: (rows) => rows.length,
        // Rows of all callers in one call: the insert is all-or-nothing, and on failure each
        // caller's rows are sent again alone, unless the storage says which rows failed.
        send: (requests) => this.storage.insertMany(requests.flat()),
        readResults: noResults,
        requestErrors: { positionsOf: (rows) => rows.length, appliedResult: undefined },
      },
      context,
    )
    this.getByIdMethod = new BatchedStorageMethod(
      {
        method: 'getManyById',
        maxBatchSize: 100,
        maxWeight: 100,
        send: (requests) => this.storage.getManyById(requests),
        readResults: (requests, answer) =>
          readOptionalRowResults('getManyById', requests.length, answer),
      },
      context,
    )
    this.getBySleepingTaskUniqueIdMethod = new BatchedStorageMethod(
      {
        method: 'getManyBySleepingTaskUniqueId',
        maxBatchSize: 50,
        maxWeight: 50,
        send: (requests) => this.storage.getManyBySleepingTaskUniqueId(requests),
        readResults: (requests, answer) =>
          readOptionalRowResults('getManyBySleepingTaskUniqueId', requests.length, answer),
      },
      context,
    )
    this.updateByIdMethod = new BatchedStorageMethod<TaskExecutionsStorageUpdateByIdRequest, UpdateMatch>(
      {
        method: 'updateManyById',
        maxBatchSize: 100,
        maxWeight: 100,
        orderKeyOf: (request) => request.executionId,
        send: (requests) => this.storage.updateManyById(requests),
        readResults: (requests, answer) => readUpdateMatchResults('updateManyById', requests.length, answer),
        requestErrors: UPDATE_MATCH_REQUEST_ERRORS,
      },
      context,
    )
    this.updateByIdAndInsertChildrenIfUpdatedMethod = new BatchedStorageMethod<
      TaskExecutionsStorageUpdateByIdAndInsertChildrenIfUpdatedRequest,
      UpdateMatch
    >(
      {
        method: 'updateManyByIdAndInsertChildrenIfUpdated',
        maxBatchSize: MAX_ROWS_PER_BATCHED_CALL,
        maxWeight: MAX_ROWS_PER_BATCHED_CALL,
        weightOf: (request) => request.childrenTaskExecutionsToInsertIfAnyUpdated.length,
        orderKeyOf: (request) => request.executionId,
        send: (requests) => this.storage.updateManyByIdAndInsertChildrenIfUpdated(requests),
        readResults: (requests, answer) =>
          readUpdateMatchResults('updateManyByIdAndInsertChildrenIfUpdated', requests.length, answer),
        requestErrors: UPDATE_MATCH_REQUEST_ERRORS,
      },
      context,
    )
    this.getByParentExecutionIdMethod = new BatchedStorageMethod(
      {
        method: 'getManyByParentExecutionId',
        maxBatchSize: 3,
        maxWeight: 3,
        send: (requests) => this.storage.getManyByParentExecutionId(requests),
        readResults: (requests, answer) =>
          readRowListResults('getManyByParentExecutionId', requests.length, answer),
      },
      context,
    )
    this.getChildResultsByParentExecutionIdMethod = new BatchedStorageMethod(
      {
        method: 'getManyChildResultsByParentExecutionId',
        // Results are a few columns a child, not whole rows as in the children read (3, spec 2.6).
        maxBatchSize: MAX_PARENTS_PER_CHILD_RESULTS_CALL,
        maxWeight: MAX_PARENTS_PER_CHILD_RESULTS_CALL,
        // Whole children hold their results too, where the storage cannot read only those.
        send: (requests) => (this.storage.getManyChildResultsByParentExecutionId ?? this.storage.getManyByParentExecutionId).call(this.storage, requests),
        readResults: (requests, answer): Array<Array<TaskExecutionChildResult>> =>
          readRowListResults('getManyChildResultsByParentExecutionId', requests.length, answer),
      },
      context,
    )
    this.updateByParentExecutionIdAndIsFinishedMethod = new BatchedStorageMethod<
      TaskExecutionsStorageUpdateByParentExecutionIdAndIsFinishedRequest,
      void
    >(
      {
        method: 'updateManyByParentExecutionIdAndIsFinished',
        maxBatchSize: 3,
        maxWeight: 3,
        orderKeyOf: (request) => request.parentExecutionId,
        send: (requests) => this.storage.updateManyByParentExecutionIdAndIsFinished(requests),
        readResults: noResults,
        requestErrors: { appliedResult: undefined },
      },
      context,
    )
  }

  private get batchedMethods(): Array<BatchedStorageMethod<never, unknown>> {
    return [
      this.insertManyMethod,
      this.getByIdMethod,
      this.getBySleepingTaskUniqueIdMethod,
      this.updateByIdMethod,
      this.updateByIdAndInsertChildrenIfUpdatedMethod,
      this.getByParentExecutionIdMethod,
      this.getChildResultsByParentExecutionIdMethod,
      this.updateByParentExecutionIdAndIsFinishedMethod,
    ] as Array<BatchedStorageMethod<never, unknown>>
  }

  /** Starts coalescing requests if batching is enabled. Calling it again changes nothing. */
  start(): void {
    if (!this.options.enableBatching || this.scheduler) return
    const scheduler = new BatchWindowScheduler(this.options.batchWindowMs)
    this.scheduler = scheduler
    for (const method of this.batchedMethods) method.startBatching(scheduler)
  }

  /**
   * Stops coalescing: batches still waiting are sent at once and their callers answered before
   * this resolves; later requests go straight to the storage. No timer is left behind.
   */
  async shutdown(): Promise<void> {
    const scheduler = this.scheduler
    if (!scheduler) return
    this.scheduler = undefined
    for (const method of this.batchedMethods) method.stopBatching()
    scheduler.flush()
    await Promise.all(this.batchedMethods.map((method) => method.waitForInFlightBatches()))
  }

  /** Storage call timings per method, most called first; empty unless stats are enabled. */
  getStorageMetrics(): Array<StorageMetric> {
    return this.stats ? this.stats.getMetrics(Date.now()) : []
  }

  /**
   * Resolves when the next storage call succeeds: a sign that the database answers again, on
   * which writes waiting to be retried go at once.
   */
  whenCallSucceeds(): Promise<void> {
    return new Promise((resolve) => this.successWaiters.push(resolve))
  }

  /** Whether the last storage call found the database unreachable (an outage was logged). */
  get isDatabaseUnreachable(): boolean {
    return this.health.isUnreachable
  }

  private async callOnce<T>(method: string, call: () => MaybePromise<T>): Promise<T> {
    const stats = this.stats
    const startedAt = stats ? performance.now() : 0
    try {
      const result = await call()
      this.health.recordSuccess()
      if (this.successWaiters.length > 0) {
        for (const wake of this.successWaiters.splice(0)) wake()
      }
      return result
    } catch (error) {
      this.health.recordFailure(error)
      throw error
    } finally {
      stats?.record(method, performance.now() - startedAt, Date.now())
    }
  }

  private callWithRetry<T>(method: string, call: () => MaybePromise<T>): Promise<T> {
    return callWithStorageRetry(() => this.callOnce(method, call), this.options.maxRetryAttempts)
  }

  /** Inserts the rows, all or none. Up to five rows may share a storage call with other inserts. */
  async insertMany(rows: ReadonlyArray<TaskExecutionStorageValue>): Promise<void> {
    if (rows.length === 0) return
    await this.insertManyMethod.call(rows, rows.length <= MAX_ROWS_PER_BATCHED_REQUEST)
  }

  /** Reads one execution; `undefined` if missing or filtered out. */
  getById(
    request: TaskExecutionsStorageGetByIdRequest,
  ): Promise<TaskExecutionStorageValue | undefined> {
    return this.getByIdMethod.call(request)
  }

  /** Reads the execution of a sleeping task by its unique id. */
  getBySleepingTaskUniqueId(
    request: TaskExecutionsStorageGetBySleepingTaskUniqueIdRequest,
  ): Promise<TaskExecutionStorageValue | undefined> {
    return this.getBySleepingTaskUniqueIdMethod.call(request)
  }

  /**
   * Updates one execution if it matches the filters. Resolves to whether it matched, or
   * `undefined` when the storage does not say.
   */
  updateById(request: TaskExecutionsStorageUpdateByIdRequest): Promise<UpdateMatch> {
    return this.updateByIdMethod.call(request)
  }

  /**
   * Updates several executions the caller holds together (each if it matches its filters): with
   * batching off they still share storage calls; `mayBatch: false` sends them at once, outside the
   * batch windows (they are a batch already). Settles per request, as `Promise.allSettled`.
   */
  updateManyById(
    requests: ReadonlyArray<TaskExecutionsStorageUpdateByIdRequest>,
    mayBatch = true,
  ): Promise<Array<PromiseSettledResult<UpdateMatch>>> {
    return this.updateByIdMethod.callAll(requests, mayBatch)
  }

  /** Updates one execution and, if that matched, inserts its children, atomically; answers as {@link updateById}. */
  updateByIdAndInsertChildrenIfUpdated(
    request: TaskExecutionsStorageUpdateByIdAndInsertChildrenIfUpdatedRequest,
  ): Promise<UpdateMatch> {
    const childrenCount = request.childrenTaskExecutionsToInsertIfAnyUpdated.length
    if (childrenCount === 0) {
      return this.updateById({
        executionId: request.executionId,
        ...(request.filters === undefined ? {} : { filters: request.filters }),
        update: request.update,
      })
    }
    return this.updateByIdAndInsertChildrenIfUpdatedMethod.call(
      request,
      childrenCount <= MAX_ROWS_PER_BATCHED_REQUEST,
    )
  }

  /**
   * {@link updateByIdAndInsertChildrenIfUpdated} for requests the caller has together: in the
   * current batch when batching and `mayBatch`, else in storage calls of at most
   * `maxChildrenPerCall` children (a request with more alone; its requests re-sent one by one if a
   * call fails). Settles per request.
   */
  updateManyByIdAndInsertChildrenIfUpdated(
    requests: ReadonlyArray<TaskExecutionsStorageUpdateByIdAndInsertChildrenIfUpdatedRequest>,
    mayBatch = true,
    maxChildrenPerCall = MAX_ROWS_PER_BATCHED_CALL,
  ): Promise<Array<PromiseSettledResult<UpdateMatch>>> {
    return this.updateByIdAndInsertChildrenIfUpdatedMethod.callAll(requests, mayBatch, maxChildrenPerCall)
  }

  /** Reads every child of a parent. */
  getByParentExecutionId(
    request: TaskExecutionsStorageGetByParentExecutionIdRequest,
  ): Promise<Array<TaskExecutionStorageValue>> {
    return this.getByParentExecutionIdMethod.call(request)
  }

  /** What a parent's finalize takes of each of its children (whole children where the storage reads only those). */
  getChildResultsByParentExecutionId(
    request: TaskExecutionsStorageGetByParentExecutionIdRequest,
  ): Promise<Array<TaskExecutionChildResult>> {
    return this.getChildResultsByParentExecutionIdMethod.call(request)
  }

  /** Updates every child of a parent with the given `isFinished`. */
  updateByParentExecutionIdAndIsFinished(
    request: TaskExecutionsStorageUpdateByParentExecutionIdAndIsFinishedRequest,
  ): Promise<void> {
    return this.updateByParentExecutionIdAndIsFinishedMethod.call(request)
  }

  /** Claims ready executions; `[]` without a storage call when `limit <= 0`. */
  async updateByStatusAndStartAtLessThanAndReturn(
    request: TaskExecutionsStorageUpdateByStatusAndStartAtLessThanAndReturnRequest,
  ): Promise<Array<TaskExecutionStorageValue>> {
    if (request.limit <= 0) return []
    return await this.callWithRetry('updateByStatusAndStartAtLessThanAndReturn', () =>
      this.storage.updateByStatusAndStartAtLessThanAndReturn(request),
    )
  }

  /** Claims parents whose children are all released; `[]` without a storage call when `limit <= 0`. */
  async updateByStatusAndOnChildrenFinishedProcessingStatusAndActiveChildrenCountZeroAndReturn(
    request: TaskExecutionsStorageUpdateByStatusAndOnChildrenFinishedProcessingStatusAndActiveChildrenCountZeroAndReturnRequest,
  ): Promise<Array<TaskExecutionStorageValue>> {
    if (request.limit <= 0) return []
    return await this.callWithRetry(
      'updateByStatusAndOnChildrenFinishedProcessingStatusAndActiveChildrenCountZeroAndReturn',
      () =>
        this.storage.updateByStatusAndOnChildrenFinishedProcessingStatusAndActiveChildrenCountZeroAndReturn(
          request,
        ),
    )
  }

  /** Claims executions by close status; `[]` without a storage call when `limit <= 0`. */
  async updateByCloseStatusAndReturn(
    request: TaskExecutionsStorageUpdateByCloseStatusAndReturnRequest,
  ): Promise<Array<TaskExecutionStorageValue>> {
    if (request.limit <= 0) return []
    return await this.callWithRetry('updateByCloseStatusAndReturn', () =>
      this.storage.updateByCloseStatusAndReturn(request),
    )
  }

  /** Sweeps expired running executions; `0` without a storage call when `limit <= 0`. */
  async updateByStatusAndIsSleepingTaskAndExpiresAtLessThan(
    request: TaskExecutionsStorageUpdateByStatusAndIsSleepingTaskAndExpiresAtLessThanRequest,
  ): Promise<number> {
    if (request.limit <= 0) return 0
    return await this.callWithRetry('updateByStatusAndIsSleepingTaskAndExpiresAtLessThan', () =>
      this.storage.updateByStatusAndIsSleepingTaskAndExpiresAtLessThan(request),
    )
  }

  /** Recovers expired children-finished leases; `0` without a storage call when `limit <= 0`. */
  async updateByOnChildrenFinishedProcessingExpiresAtLessThan(
    request: TaskExecutionsStorageUpdateByOnChildrenFinishedProcessingExpiresAtLessThanRequest,
  ): Promise<number> {
    if (request.limit <= 0) return 0
    return await this.callWithRetry('updateByOnChildrenFinishedProcessingExpiresAtLessThan', () =>
      this.storage.updateByOnChildrenFinishedProcessingExpiresAtLessThan(request),
    )
  }

  /** Recovers expired close leases; `0` without a storage call when `limit <= 0`. */
  async updateByCloseExpiresAtLessThan(
    request: TaskExecutionsStorageUpdateByCloseExpiresAtLessThanRequest,
  ): Promise<number> {
    if (request.limit <= 0) return 0
    return await this.callWithRetry('updateByCloseExpiresAtLessThan', () =>
      this.storage.updateByCloseExpiresAtLessThan(request),
    )
  }

  /** Claims this executor's executions to interrupt; `[]` without a storage call when `limit <= 0`. */
  async updateByExecutorIdAndNeedsPromiseCancellationAndReturn(
    request: TaskExecutionsStorageUpdateByExecutorIdAndNeedsPromiseCancellationAndReturnRequest,
  ): Promise<Array<TaskExecutionStorageValue>> {
    if (request.limit <= 0) return []
    return await this.callWithRetry('updateByExecutorIdAndNeedsPromiseCancellationAndReturn', () =>
      this.storage.updateByExecutorIdAndNeedsPromiseCancellationAndReturn(request),
    )
  }

  /** Marks finished executions close-ready and releases them to their parents; `0` when `limit <= 0`. */
  async updateAndDecrementParentActiveChildrenCountByIsFinishedAndCloseStatus(
    request: TaskExecutionsStorageUpdateAndDecrementParentActiveChildrenCountByIsFinishedAndCloseStatusRequest,
  ): Promise<number> {
    if (request.limit <= 0) return 0
    return await this.callWithRetry(
      'updateAndDecrementParentActiveChildrenCountByIsFinishedAndCloseStatus',
      () => this.storage.updateAndDecrementParentActiveChildrenCountByIsFinishedAndCloseStatus(request),
    )
  }

  /** Deletes one execution (test helper). */
  async deleteById(request: { executionId: string }): Promise<void> {
    await this.callWithRetry('deleteById', () => this.storage.deleteById(request))
  }

  /** Whether the storage can tell which sweeps have work (`findSweepWork`). */
  get hasSweepWorkRead(): boolean {
    return typeof this.storage.findSweepWork === 'function'
  }

  /** Which sweeps would find work, from the storage (see `hasSweepWorkRead`). */
  async findSweepWork(request: TaskExecutionsStorageFindSweepWorkRequest): Promise<TaskExecutionsStorageSweepWork> {
    const read = this.storage.findSweepWork?.bind(this.storage)
    if (!read) throw DurableExecutionError.nonRetryable('The storage has no findSweepWork method')
    return await this.callWithRetry('findSweepWork', () => read(request))
  }

  /** Whether the storage has a change signal (`subscribeToChanges`). */
  get hasChangeSignal(): boolean {
    return typeof this.storage.subscribeToChanges === 'function'
  }

  /** Subscribes to the storage's change signal (see `hasChangeSignal`). */
  async subscribeToChanges(
    onChange: (change?: TaskExecutionsStorageChange) => void,
  ): Promise<TaskExecutionsStorageChangeSubscription> {
    const subscribe = this.storage.subscribeToChanges?.bind(this.storage)
    if (!subscribe) throw DurableExecutionError.nonRetryable('The storage has no subscribeToChanges method')
    return await subscribe(onChange)
  }

  /** Runs the storage's readiness check (`checkReady`), once and without retries; passes when it has none. */
  async checkReady(): Promise<void> {
    await this.storage.checkReady?.()
  }

  /** Whether the storage can tell the database's clock. */
  get hasDatabaseClock(): boolean {
    return typeof this.storage.getCurrentTimeMs === 'function'
  }

  /** The database's clock in ms since the epoch, from the storage (see `hasDatabaseClock`). */
  async getCurrentTimeMs(): Promise<number> {
    const read = this.storage.getCurrentTimeMs?.bind(this.storage)
    if (!read) throw DurableExecutionError.nonRetryable('The storage has no getCurrentTimeMs method')
    return await this.callWithRetry('getCurrentTimeMs', read)
  }

  /** Deletes every execution (test helper). */
  async deleteAll(): Promise<void> {
    await this.callWithRetry('deleteAll', () => this.storage.deleteAll())
  }
}
