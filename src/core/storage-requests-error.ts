/**
 * The error by which a storage array method reports the outcome of each of its requests when only
 * some of them failed, so that the caller neither re-sends the requests that took effect nor fails
 * the callers whose requests were fine.
 */
import { convertErrorToDurableExecutionError, DurableExecutionError } from './errors.js'

/**
 * Thrown by a storage array method (`insertMany`, `updateManyById`,
 * `updateManyByIdAndInsertChildrenIfUpdated`, `updateManyByParentExecutionIdAndIsFinished`) to
 * report, position by position, which requests failed and with what error.
 *
 * The contract: `requestErrors` has one entry per position of the call, in order. An entry that
 * is `undefined` means that request took effect, exactly once; an entry holding an error means
 * that request took no effect at all. The executor's storage layer then answers each caller from
 * its own entries: callers whose requests took effect succeed without the requests being sent
 * again, and only the failed requests are retried, alone, if their own error is retryable. An
 * error whose `requestErrors` has the wrong length is treated like any other failure of the whole
 * call (every request is sent again alone), so a storage must not throw it unless it knows the
 * outcome of every request. Read methods return nothing through an error, so they never throw it.
 *
 * For `insertMany` the positions are rows: the storage layer flattens the rows of several callers
 * into one call, and a caller fails if any of its rows failed. Each caller's rows must be inserted
 * all or none, and a storage cannot see where one caller's rows end, so `insertMany` must insert
 * every row or none: it may throw this error only with every entry set (for example to give the
 * rows that caused the failure their own, non-retryable error, and the rows merely rolled back
 * with them a retryable one), never after inserting some rows. The SQL storages' `insertMany` is
 * one transaction and never throws it.
 *
 * The error itself is never retryable: re-sending the whole call would apply again the requests
 * that took effect. Each entry says whether its own request may be retried.
 *
 * `requestResults`, when given, has one entry per position too: what each request that took
 * effect would have answered in a call that did not fail (for the `updateMany…` methods that
 * report matches: whether its row matched). Without it, such a request is answered as the
 * storage's answer were not known (a match is then read back where it matters).
 */
export class TaskExecutionsStorageRequestsError extends DurableExecutionError {
  /** The error of each position, `undefined` for the requests that took effect. */
  readonly requestErrors: ReadonlyArray<unknown>

  /** What each position that took effect answered, when the storage says (see the class comment). */
  readonly requestResults: ReadonlyArray<unknown> | undefined

  /**
   * @param operation - the storage method, for the message.
   * @param requestKeys - the execution (or parent) id of each position, for the message.
   * @param requestErrors - the error of each position, `undefined` where the request took effect.
   * @param requestResults - optional: the answer of each position that took effect (for example
   *   whether its row matched), in the same order.
   */
  constructor(
    operation: string,
    requestKeys: ReadonlyArray<string>,
    requestErrors: ReadonlyArray<unknown>,
    requestResults?: ReadonlyArray<unknown>,
  ) {
    const failedIndexes = requestErrors.flatMap((error, index) =>
      error === undefined ? [] : [index],
    )
    const first = requestErrors[failedIndexes[0] ?? 0]
    const firstMessage =
      first instanceof Error ? first.message : convertErrorToDurableExecutionError(first).message
    super(
      `${operation} failed for ${failedIndexes.length} of ${requestErrors.length} requests ` +
        `[ids=${failedIndexes.map((index) => requestKeys[index]).join(',')}]; the other requests ` +
        `took effect. First error: ${firstMessage}`,
      { cause: first, isRetryable: false, isInternal: true },
    )
    this.requestErrors = requestErrors
    this.requestResults = requestResults
  }
}
