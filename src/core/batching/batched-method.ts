/**
 * One storage array method as the storage layer uses it: single requests go out either alone or,
 * while batching runs, coalesced by DataLoader into one array call per batch; and how the callers
 * of a failed batched call are answered.
 */
import DataLoader from 'dataloader'

import { convertErrorToDurableExecutionError, type DurableExecutionError } from '../errors.js'
import { TaskExecutionsStorageRequestsError } from '../storage-requests-error.js'
import { splitBatchIntoCalls, type BatchSplitRules } from './batch-plan.js'
import type { BatchWindowScheduler } from './batch-window-scheduler.js'
import { isResultShapeError } from './result-shape.js'

/** What a batched method needs from the layer around it. */
export type StorageCallContext = {
  /** Makes one attempt of a storage call, timing it. */
  callOnce<T>(method: string, call: () => T | Promise<T>): Promise<T>
  /** Runs `attempt` under the storage retry policy. */
  withRetry<T>(attempt: () => Promise<T>): Promise<T>
  /** Goes on with the retry policy after a first attempt made elsewhere failed with `firstError`. */
  retryAfterFailure<T>(firstError: unknown, attempt: () => Promise<T>): Promise<T>
  /** Reports a batched call that failed and is being re-sent request by request. */
  logError(message: string, error: unknown): void
}

/**
 * How a write method reads a {@link TaskExecutionsStorageRequestsError}, by which its storage
 * reports the outcome of each position of a call.
 */
export type RequestErrorsReading<TRequest, TResult> = {
  /** The positions of the storage call one request takes (its rows for `insertMany`); 1 when absent. */
  positionsOf?: (request: TRequest) => number
  /** The result of a request that took effect, when the error does not say what it answered. */
  appliedResult: TResult
  /**
   * The result of a one-position request that took effect, from its entry of the error's
   * `requestResults` (`undefined` when the storage gave none).
   */
  readAppliedResult?: (answer: unknown) => TResult
}

/** The description of one batchable storage array method. */
export type BatchedMethodDefinition<TRequest, TResult> = BatchSplitRules<TRequest> & {
  /** The storage method name, used in stats, logs and errors. */
  method: string
  /** Requests per DataLoader batch. */
  maxBatchSize: number
  /** Calls the storage array method with these requests. */
  send: (requests: ReadonlyArray<TRequest>) => unknown
  /** Turns the storage answer into one result per request; throws if it is malformed. */
  readResults: (requests: ReadonlyArray<TRequest>, answer: unknown) => Array<TResult>
  /**
   * Set for write methods: a {@link TaskExecutionsStorageRequestsError} covering every position
   * of a call then answers each caller from its own positions instead of re-sending everything.
   */
  requestErrors?: RequestErrorsReading<TRequest, TResult>
}

/** What a {@link TaskExecutionsStorageRequestsError} says about each request of one call. */
type RequestOutcomes<TResult> = {
  /** Per request, its error, or `undefined` if it took effect. */
  errors: Array<DurableExecutionError | undefined>
  /** Per request, its result if it took effect. */
  results: Array<TResult>
}

/** A batchable storage method: alone, or coalesced with DataLoader between `startBatching` and `stopBatching`. */
export class BatchedStorageMethod<TRequest, TResult> {
  private readonly definition: BatchedMethodDefinition<TRequest, TResult>
  private readonly context: StorageCallContext
  private loader: DataLoader<TRequest, TResult> | undefined
  private readonly inFlightBatches = new Set<Promise<unknown>>()
  // The last in-flight batched call per order key, so a later call on the same row waits for it.
  private readonly lastCallByOrderKey = new Map<string, Promise<void>>()

  /**
   * @param definition - the storage method and its batching rules.
   * @param context - storage access with stats, retries and logging.
   */
  constructor(
    definition: BatchedMethodDefinition<TRequest, TResult>,
    context: StorageCallContext,
  ) {
    this.definition = definition
    this.context = context
  }

  /** Starts coalescing: batches are sent when `scheduler` says so, on a lane of their own. */
  startBatching(scheduler: BatchWindowScheduler): void {
    const batchScheduleFn = scheduler.createLane(() => this.inFlightBatches.size > 0)
    this.loader = new DataLoader<TRequest, TResult>(
      (requests) => {
        const batch = this.loadBatch(requests)
        this.inFlightBatches.add(batch)
        void batch.finally(() => this.inFlightBatches.delete(batch))
        return batch
      },
      { cache: false, maxBatchSize: this.definition.maxBatchSize, batchScheduleFn },
    )
  }

  /** Stops coalescing; later requests go out alone. Batches already queued are still sent. */
  stopBatching(): void {
    this.loader = undefined
  }

  /** Resolves once every batch sent so far has answered its callers. */
  async waitForInFlightBatches(): Promise<void> {
    while (this.inFlightBatches.size > 0) {
      await Promise.allSettled([...this.inFlightBatches])
    }
  }

  /** Sends one request: into the current batch when batching and `mayBatch`, else alone with retries. */
  async call(request: TRequest, mayBatch = true): Promise<TResult> {
    if (this.loader && mayBatch) return await this.loader.load(request)
    return await this.context.withRetry(() => this.sendAlone(request))
  }

  /**
   * Sends requests the caller has together: into the current batch when batching and `mayBatch`, else split
   * into storage calls as a batch would be (with the same per-request fallback and retries;
   * `maxWeightPerCall` instead of the method's batch weight, if given) instead of one call each.
   * Settles per request, as `Promise.allSettled` does.
   */
  async callAll(
    requests: ReadonlyArray<TRequest>,
    mayBatch = true,
    maxWeightPerCall = this.definition.maxWeight,
  ): Promise<Array<PromiseSettledResult<TResult>>> {
    const loader = mayBatch ? this.loader : undefined
    if (loader) return await Promise.allSettled(requests.map((request) => loader.load(request)))
    // As in DataLoader, an Error in a batch's results is that request's failure.
    return (await this.loadBatch(requests, maxWeightPerCall)).map((result) =>
      result instanceof Error ? { status: 'rejected', reason: result } : { status: 'fulfilled', value: result },
    )
  }

  private async sendOnce(requests: ReadonlyArray<TRequest>): Promise<Array<TResult>> {
    const { method, send, readResults } = this.definition
    const answer = await this.context.callOnce(method, () => send(requests))
    return readResults(requests, answer)
  }

  // One attempt of one request. When the storage reports it through a requests error, the caller
  // gets the request's own outcome (took effect, or its own error).
  private async sendAlone(request: TRequest): Promise<TResult> {
    try {
      const [result] = await this.sendOnce([request])
      return result as TResult
    } catch (error) {
      const outcomes = this.readRequestOutcomes([request], error)
      if (!outcomes) throw error
      const [requestError] = outcomes.errors
      if (requestError) throw requestError
      return outcomes.results[0] as TResult
    }
  }

  /**
   * The outcome of each request when `error` is a requests error covering exactly the positions
   * of `requests` and this method reads them; `undefined` otherwise. A request spanning several
   * positions failed if any of them did, with the first non-retryable error among them if any.
   */
  private readRequestOutcomes(
    requests: ReadonlyArray<TRequest>,
    error: unknown,
  ): RequestOutcomes<TResult> | undefined {
    const reading = this.definition.requestErrors
    if (!reading || !(error instanceof TaskExecutionsStorageRequestsError)) return undefined
    const positions = requests.map((request) => reading.positionsOf?.(request) ?? 1)
    const positionsCount = positions.reduce((sum, count) => sum + count, 0)
    if (error.requestErrors.length !== positionsCount) return undefined
    const { requestResults } = error
    const hasResults = reading.readAppliedResult !== undefined && requestResults?.length === positionsCount
    let offset = 0
    const results: Array<TResult> = []
    const errors = positions.map((count) => {
      const failures = error.requestErrors
        .slice(offset, offset + count)
        .filter((requestError) => requestError !== undefined)
        .map((requestError) => convertErrorToDurableExecutionError(requestError))
      // What the request answered, where the storage said and the request is one position.
      results.push(hasResults && count === 1 ? reading.readAppliedResult!(requestResults[offset]) : reading.appliedResult)
      offset += count
      return failures.find((failure) => !failure.isRetryable) ?? failures[0]
    })
    return { errors, results }
  }

  private async loadBatch(requests: ReadonlyArray<TRequest>, maxWeight = this.definition.maxWeight): Promise<Array<TResult | Error>> {
    const results = new Array<TResult | Error>(requests.length)
    const groups = splitBatchIntoCalls(requests, { ...this.definition, maxWeight })
    await Promise.all(
      groups.map(async (indexes) => {
        const groupResults = await this.sendGroupInOrder(indexes.map((index) => requests[index]!))
        indexes.forEach((requestIndex, position) => {
          results[requestIndex] = groupResults[position]!
        })
      }),
    )
    return results
  }

  // Registers the call under its order keys before awaiting anything, so calls on one row run in
  // the order their batches were dispatched.
  private sendGroupInOrder(requests: ReadonlyArray<TRequest>): Promise<Array<TResult | Error>> {
    const { orderKeyOf } = this.definition
    if (!orderKeyOf) return this.sendGroup(requests)
    const keys = requests.map((request) => orderKeyOf(request))
    const earlierCalls = keys.flatMap((key) => {
      const earlier = this.lastCallByOrderKey.get(key)
      return earlier ? [earlier] : []
    })
    const call = (async () => {
      await Promise.all(earlierCalls)
      return await this.sendGroup(requests)
    })()
    const settled = call.then(
      () => undefined,
      () => undefined,
    )
    for (const key of keys) this.lastCallByOrderKey.set(key, settled)
    void settled.then(() => {
      for (const key of keys) {
        if (this.lastCallByOrderKey.get(key) === settled) this.lastCallByOrderKey.delete(key)
      }
    })
    return call
  }

  // Never rejects: a failure becomes the result of each caller it concerns. When the storage says
  // which requests failed, the others took effect and are not sent again; otherwise every request
  // is sent again alone, so that only the offending caller fails.
  private async sendGroup(requests: ReadonlyArray<TRequest>): Promise<Array<TResult | Error>> {
    if (requests.length === 1) return [await this.sendAloneCapturingError(requests[0]!)]
    try {
      return await this.sendOnce(requests)
    } catch (error) {
      const converted = convertErrorToDurableExecutionError(error)
      if (isResultShapeError(converted)) return requests.map(() => converted)
      const outcomes = this.readRequestOutcomes(requests, error)
      if (outcomes) {
        return await Promise.all(
          requests.map((request, index) => {
            const requestError = outcomes.errors[index]
            if (!requestError) return Promise.resolve(outcomes.results[index] as TResult)
            return this.retryAloneCapturingError(request, requestError)
          }),
        )
      }
      this.context.logError(
        `Batched storage call failed; sending each of its ${requests.length} requests alone ` +
          `[method=${this.definition.method}]`,
        converted,
      )
      return await Promise.all(requests.map((request) => this.sendAloneCapturingError(request)))
    }
  }

  private async sendAloneCapturingError(request: TRequest): Promise<TResult | DurableExecutionError> {
    try {
      return await this.context.withRetry(() => this.sendAlone(request))
    } catch (error) {
      return convertErrorToDurableExecutionError(error)
    }
  }

  // The batched call was this request's first attempt; it is retried alone only if its own error
  // allows it.
  private async retryAloneCapturingError(
    request: TRequest,
    firstError: DurableExecutionError,
  ): Promise<TResult | DurableExecutionError> {
    try {
      return await this.context.retryAfterFailure(firstError, () => this.sendAlone(request))
    } catch (error) {
      return convertErrorToDurableExecutionError(error)
    }
  }
}
