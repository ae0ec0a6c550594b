/**
 * The retry policy of every storage call the executor makes (spec 2.6 item 2): a few extra
 * attempts with a doubling delay, except for errors that say retrying cannot help.
 */
import { convertErrorToDurableExecutionError, type DurableExecutionError } from '../errors.js'

/** Delay before the first retry of a storage call, in ms. */
export const STORAGE_RETRY_INITIAL_DELAY_MS = 25
/** Upper bound of the delay between two attempts of a storage call, in ms. */
export const STORAGE_RETRY_MAX_DELAY_MS = 1000

/** The delay before retry number `retryIndex` (0 for the first retry): 25 ms doubling, capped at 1 s. */
export function getStorageRetryDelayMs(retryIndex: number): number {
  return Math.min(STORAGE_RETRY_INITIAL_DELAY_MS * 2 ** retryIndex, STORAGE_RETRY_MAX_DELAY_MS)
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/**
 * Runs `attempt`, and again up to `maxRetryAttempts` more times while it fails with a retryable
 * error. Errors that are not a `DurableExecutionError` count as retryable (a storage driver's
 * error says nothing about retrying). Rejects with the last error, converted to a
 * `DurableExecutionError`.
 */
export function callWithStorageRetry<T>(
  attempt: () => Promise<T>,
  maxRetryAttempts: number,
): Promise<T> {
  return retryStorageCall(attempt, maxRetryAttempts, undefined)
}

/**
 * Goes on with the retry policy of {@link callWithStorageRetry} for a call whose first attempt
 * was made elsewhere and failed with `firstError` (a request of a batched call the storage
 * reported as failed): rejects at once if that error is not retryable, else waits and runs
 * `attempt` for the remaining retries.
 */
export function retryStorageCallAfterFailure<T>(
  firstError: unknown,
  attempt: () => Promise<T>,
  maxRetryAttempts: number,
): Promise<T> {
  return retryStorageCall(attempt, maxRetryAttempts, { error: firstError })
}

async function retryStorageCall<T>(
  attempt: () => Promise<T>,
  maxRetryAttempts: number,
  failedFirstAttempt: { error: unknown } | undefined,
): Promise<T> {
  for (let retryIndex = 0; ; retryIndex++) {
    let error: DurableExecutionError
    if (retryIndex === 0 && failedFirstAttempt) {
      error = convertErrorToDurableExecutionError(failedFirstAttempt.error)
    } else {
      try {
        return await attempt()
      } catch (thrown) {
        error = convertErrorToDurableExecutionError(thrown)
      }
    }
    if (!error.isRetryable || retryIndex >= maxRetryAttempts) throw error
    await sleep(getStorageRetryDelayMs(retryIndex))
  }
}
