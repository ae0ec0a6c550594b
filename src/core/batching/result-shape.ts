/**
 * Checks that a storage answered an array method with one well-formed result per request. A
 * malformed answer is a bug in the storage, so it fails every caller and is never retried.
 */
import { DurableExecutionError } from '../errors.js'
import type { TaskExecutionStorageValue } from '../storage.js'

const resultShapeErrors = new WeakSet<DurableExecutionError>()

function describeValue(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return `an array of ${value.length}`
  return typeof value
}

function resultShapeError(method: string, problem: string): DurableExecutionError {
  const error = DurableExecutionError.nonRetryable(
    `Storage method ${method} returned an invalid result [method=${method}]: ${problem}. An array ` +
      'method must return exactly one result per request, in request order; fix the storage',
    { isInternal: true },
  )
  resultShapeErrors.add(error)
  return error
}

/** Whether `error` reports a malformed storage answer (then splitting the batch would not help). */
export function isResultShapeError(error: unknown): boolean {
  return error instanceof DurableExecutionError && resultShapeErrors.has(error)
}

function checkResultsArray(
  method: string,
  requestsCount: number,
  results: unknown,
): ReadonlyArray<unknown> {
  if (!Array.isArray(results)) {
    throw resultShapeError(
      method,
      `expected an array of ${requestsCount} results, got ${describeValue(results)}`,
    )
  }
  if (results.length !== requestsCount) {
    throw resultShapeError(
      method,
      `expected ${requestsCount} results for ${requestsCount} requests, got ${results.length} ` +
        `[requestsCount=${requestsCount}] [resultsCount=${results.length}]`,
    )
  }
  return results
}

/** Checks a `getManyById`-like answer: one row or `undefined` per request (`null` read as `undefined`). */
export function readOptionalRowResults(
  method: string,
  requestsCount: number,
  results: unknown,
): Array<TaskExecutionStorageValue | undefined> {
  return checkResultsArray(method, requestsCount, results).map((result, index) => {
    if (result == null) return undefined
    if (typeof result !== 'object' || Array.isArray(result)) {
      throw resultShapeError(
        method,
        `result ${index} is ${describeValue(result)}, expected a task execution or undefined`,
      )
    }
    return result as TaskExecutionStorageValue
  })
}

/** Checks a `getManyByParentExecutionId`-like answer: one array of rows per request. */
export function readRowListResults(
  method: string,
  requestsCount: number,
  results: unknown,
): Array<Array<TaskExecutionStorageValue>> {
  return checkResultsArray(method, requestsCount, results).map((result, index) => {
    if (!Array.isArray(result)) {
      throw resultShapeError(
        method,
        `result ${index} is ${describeValue(result)}, expected an array of task executions`,
      )
    }
    return result as Array<TaskExecutionStorageValue>
  })
}

/**
 * Reads a by-id update answer: nothing (a storage that does not say) gives `undefined` per
 * request, and an array one boolean per request, whether its row matched.
 */
export function readUpdateMatchResults(
  method: string,
  requestsCount: number,
  results: unknown,
): Array<boolean | undefined> {
  if (results === undefined || results === null) return new Array<undefined>(requestsCount).fill(undefined)
  return checkResultsArray(method, requestsCount, results).map((result, index) => {
    if (typeof result !== 'boolean') {
      throw resultShapeError(method, `result ${index} is ${describeValue(result)}, expected a boolean (whether the row matched)`)
    }
    return result
  })
}
