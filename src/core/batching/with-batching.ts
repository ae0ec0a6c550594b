/**
 * The fan-out adapter (spec 2.5): gives a storage written with single-request methods the batched
 * interface by calling the single method once per request. It merges nothing.
 */
import { convertErrorToDurableExecutionError } from '../errors.js'
import { TaskExecutionsStorageRequestsError } from '../storage-requests-error.js'
import type {
  TaskExecutionsStorage,
  TaskExecutionsStorageGetByIdRequest,
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
  TaskExecutionsStorageUpdateMatches,
  TaskExecutionsStorageWithoutBatching,
  TaskExecutionStorageValue,
} from '../storage.js'

/**
 * The matches of single updates as the array method answers them: when the inner storage says
 * whether its updates matched, one boolean per request (an unsaid one counts as matched);
 * otherwise nothing, as upstream storages answer.
 */
function updateMatchesOf(results: ReadonlyArray<unknown>): TaskExecutionsStorageUpdateMatches {
  if (!results.some((result) => typeof result === 'boolean')) return undefined
  return results.map((result) => result !== false)
}

/**
 * Implements the batched {@link TaskExecutionsStorage} over a
 * {@link TaskExecutionsStorageWithoutBatching}: each array method calls the matching single
 * method once per request, all at once or, with `disableParallelRequests`, one after another in
 * request order. Every other method is passed through. When some updates of one call fail, the
 * others are still made and a {@link TaskExecutionsStorageRequestsError} says which failed.
 */
export class TaskExecutionsStorageWithBatching implements TaskExecutionsStorage {
  private readonly inner: TaskExecutionsStorageWithoutBatching
  private readonly disableParallelRequests: boolean

  /**
   * @param inner - the storage with single-request methods.
   * @param disableParallelRequests - send the requests of one array call one after another, for
   *   storages that cannot serve concurrent calls (e.g. one SQLite connection). Defaults to `false`.
   */
  constructor(inner: TaskExecutionsStorageWithoutBatching, disableParallelRequests = false) {
    this.inner = inner
    this.disableParallelRequests = disableParallelRequests
    const readClock = inner.getCurrentTimeMs?.bind(inner)
    if (readClock) this.getCurrentTimeMs = async () => await readClock()
  }

  /** The inner storage's clock, when it has one. */
  readonly getCurrentTimeMs?: () => Promise<number>

  private async fanOut<TRequest, TResult>(
    requests: ReadonlyArray<TRequest>,
    callOne: (request: TRequest) => TResult | Promise<TResult>,
  ): Promise<Array<TResult>> {
    if (!this.disableParallelRequests) {
      return await Promise.all(requests.map((request) => callOne(request)))
    }
    const results: Array<TResult> = []
    for (const request of requests) {
      results.push(await callOne(request))
    }
    return results
  }

  // Every request is attempted even when another fails; a partial failure names the requests that
  // failed, so that the caller does not send again those that took effect.
  private async fanOutWrites<TRequest>(
    operation: string,
    requests: ReadonlyArray<TRequest>,
    keyOf: (request: TRequest) => string,
    callOne: (request: TRequest) => unknown,
  ): Promise<Array<unknown>> {
    if (requests.length === 1) return [await callOne(requests[0]!)]
    const errors: Array<unknown> = requests.map(() => undefined)
    const indexedRequests = requests.map((request, index) => ({ request, index }))
    const results = await this.fanOut(indexedRequests, async ({ request, index }) => {
      try {
        return await callOne(request)
      } catch (error) {
        errors[index] = convertErrorToDurableExecutionError(error)
        return undefined
      }
    })
    if (errors.every((error) => error === undefined)) return results
    // The requests that took effect still say what they answered (whether their row matched).
    throw new TaskExecutionsStorageRequestsError(operation, requests.map(keyOf), errors, results)
  }

  /** Passes the rows to the inner storage's `insertMany`. */
  async insertMany(executions: ReadonlyArray<TaskExecutionStorageValue>): Promise<void> {
    await this.inner.insertMany(executions)
  }

  /** Calls the inner `getById` once per request. */
  getManyById(
    requests: ReadonlyArray<TaskExecutionsStorageGetByIdRequest>,
  ): Promise<Array<TaskExecutionStorageValue | undefined>> {
    return this.fanOut(requests, (request) => this.inner.getById(request))
  }

  /** Calls the inner `getBySleepingTaskUniqueId` once per request. */
  getManyBySleepingTaskUniqueId(
    requests: ReadonlyArray<TaskExecutionsStorageGetBySleepingTaskUniqueIdRequest>,
  ): Promise<Array<TaskExecutionStorageValue | undefined>> {
    return this.fanOut(requests, (request) => this.inner.getBySleepingTaskUniqueId(request))
  }

  /** Calls the inner `updateById` once per request; answers whether each matched if it says. */
  async updateManyById(
    requests: ReadonlyArray<TaskExecutionsStorageUpdateByIdRequest>,
  ): Promise<TaskExecutionsStorageUpdateMatches> {
    return updateMatchesOf(
      await this.fanOutWrites(
        'updateManyById',
        requests,
        (request) => request.executionId,
        (request) => this.inner.updateById(request),
      ),
    )
  }

  /** Calls the inner `updateByIdAndInsertChildrenIfUpdated` once per request; answers as {@link updateManyById}. */
  async updateManyByIdAndInsertChildrenIfUpdated(
    requests: ReadonlyArray<TaskExecutionsStorageUpdateByIdAndInsertChildrenIfUpdatedRequest>,
  ): Promise<TaskExecutionsStorageUpdateMatches> {
    return updateMatchesOf(
      await this.fanOutWrites(
        'updateManyByIdAndInsertChildrenIfUpdated',
        requests,
        (request) => request.executionId,
        (request) => this.inner.updateByIdAndInsertChildrenIfUpdated(request),
      ),
    )
  }

  /** Calls the inner `getByParentExecutionId` once per request. */
  getManyByParentExecutionId(
    requests: ReadonlyArray<TaskExecutionsStorageGetByParentExecutionIdRequest>,
  ): Promise<Array<Array<TaskExecutionStorageValue>>> {
    return this.fanOut(requests, (request) => this.inner.getByParentExecutionId(request))
  }

  /** Calls the inner `updateByParentExecutionIdAndIsFinished` once per request. */
  async updateManyByParentExecutionIdAndIsFinished(
    requests: ReadonlyArray<TaskExecutionsStorageUpdateByParentExecutionIdAndIsFinishedRequest>,
  ): Promise<void> {
    await this.fanOutWrites(
      'updateManyByParentExecutionIdAndIsFinished',
      requests,
      (request) => request.parentExecutionId,
      (request) => this.inner.updateByParentExecutionIdAndIsFinished(request),
    )
  }

  /** Passed through to the inner storage. */
  async updateByStatusAndStartAtLessThanAndReturn(
    request: TaskExecutionsStorageUpdateByStatusAndStartAtLessThanAndReturnRequest,
  ): Promise<Array<TaskExecutionStorageValue>> {
    return await this.inner.updateByStatusAndStartAtLessThanAndReturn(request)
  }

  /** Passed through to the inner storage. */
  async updateByStatusAndOnChildrenFinishedProcessingStatusAndActiveChildrenCountZeroAndReturn(
    request: TaskExecutionsStorageUpdateByStatusAndOnChildrenFinishedProcessingStatusAndActiveChildrenCountZeroAndReturnRequest,
  ): Promise<Array<TaskExecutionStorageValue>> {
    return await this.inner.updateByStatusAndOnChildrenFinishedProcessingStatusAndActiveChildrenCountZeroAndReturn(
      request,
    )
  }

  /** Passed through to the inner storage. */
  async updateByCloseStatusAndReturn(
    request: TaskExecutionsStorageUpdateByCloseStatusAndReturnRequest,
  ): Promise<Array<TaskExecutionStorageValue>> {
    return await this.inner.updateByCloseStatusAndReturn(request)
  }

  /** Passed through to the inner storage. */
  async updateByStatusAndIsSleepingTaskAndExpiresAtLessThan(
    request: TaskExecutionsStorageUpdateByStatusAndIsSleepingTaskAndExpiresAtLessThanRequest,
  ): Promise<number> {
    return await this.inner.updateByStatusAndIsSleepingTaskAndExpiresAtLessThan(request)
  }

  /** Passed through to the inner storage. */
  async updateByOnChildrenFinishedProcessingExpiresAtLessThan(
    request: TaskExecutionsStorageUpdateByOnChildrenFinishedProcessingExpiresAtLessThanRequest,
  ): Promise<number> {
    return await this.inner.updateByOnChildrenFinishedProcessingExpiresAtLessThan(request)
  }

  /** Passed through to the inner storage. */
  async updateByCloseExpiresAtLessThan(
    request: TaskExecutionsStorageUpdateByCloseExpiresAtLessThanRequest,
  ): Promise<number> {
    return await this.inner.updateByCloseExpiresAtLessThan(request)
  }

  /** Passed through to the inner storage. */
  async updateByExecutorIdAndNeedsPromiseCancellationAndReturn(
    request: TaskExecutionsStorageUpdateByExecutorIdAndNeedsPromiseCancellationAndReturnRequest,
  ): Promise<Array<TaskExecutionStorageValue>> {
    return await this.inner.updateByExecutorIdAndNeedsPromiseCancellationAndReturn(request)
  }

  /** Passed through to the inner storage. */
  async updateAndDecrementParentActiveChildrenCountByIsFinishedAndCloseStatus(
    request: TaskExecutionsStorageUpdateAndDecrementParentActiveChildrenCountByIsFinishedAndCloseStatusRequest,
  ): Promise<number> {
    return await this.inner.updateAndDecrementParentActiveChildrenCountByIsFinishedAndCloseStatus(
      request,
    )
  }

  /** Passed through to the inner storage. */
  async deleteById(request: { executionId: string }): Promise<void> {
    await this.inner.deleteById(request)
  }

  /** Passed through to the inner storage. */
  async deleteAll(): Promise<void> {
    await this.inner.deleteAll()
  }
}
