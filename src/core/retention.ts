/**
 * Retention rules every storage shares: the purge options and result, their checks, and which
 * executions a purge may delete (finished and closed before the cutoff, with no unfinished
 * parent or child), as a pure function over rows for the in-memory storage.
 */
import { DurableExecutionError } from './errors.js'
import type { TaskExecutionStorageValue } from './storage.js'

/** Options of a task-executions purge (`storage.purge`). */
export type PurgeTaskExecutionsOptions = {
  /** Rows closed at least this long ago (on the storage's clock) are deleted; `0` means every closed row. */
  readonly olderThanMs: number
  /** Most rows one DELETE removes (default {@link DEFAULT_PURGE_BATCH_SIZE}), so no statement holds locks for long. */
  readonly batchSize?: number
  /** Count what would be deleted and delete nothing (default `false`). */
  readonly dryRun?: boolean
}

/** What a purge deleted, or with `dryRun`, would delete. */
export type PurgeTaskExecutionsResult = {
  /** Rows deleted (or, with `dryRun`, deletable now). */
  readonly executions: number
  /** The cutoff used, in epoch milliseconds on the storage's clock. */
  readonly closedBefore: number
}

/** The default of {@link PurgeTaskExecutionsOptions.batchSize}. */
export const DEFAULT_PURGE_BATCH_SIZE = 500

/**
 * Checks purge options and returns the batch size to use.
 * @throws DurableExecutionError naming the bad value.
 */
export function checkPurgeOptions(options: { readonly olderThanMs: number; readonly batchSize?: number }): number {
  if (typeof options.olderThanMs !== 'number' || !Number.isFinite(options.olderThanMs) || options.olderThanMs < 0) {
    throw DurableExecutionError.nonRetryable(`Invalid olderThanMs ${String(options.olderThanMs)}: use a number of milliseconds >= 0.`)
  }
  const batchSize = options.batchSize ?? DEFAULT_PURGE_BATCH_SIZE
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw DurableExecutionError.nonRetryable(`Invalid batchSize ${String(batchSize)}: use a positive integer.`)
  }
  return batchSize
}

const isDone = (row: TaskExecutionStorageValue) => row.isFinished && row.closeStatus === 'closed'

/**
 * The execution ids a purge may delete among `rows`: finished and closed before `closedBefore`,
 * whose parent (if present) is finished and closed, and whose children are all finished and closed.
 */
export function purgeableExecutionIds(rows: Iterable<TaskExecutionStorageValue>, closedBefore: number): Array<string> {
  const all = [...rows]
  const notDone = new Set(all.filter((row) => !isDone(row)).map((row) => row.executionId))
  const parentsOfNotDone = new Set(all.filter((row) => !isDone(row) && row.parent).map((row) => row.parent!.executionId))
  return all
    .filter((row) => isDone(row) && row.closedAt !== undefined && row.closedAt < closedBefore)
    .filter((row) => !(row.parent && notDone.has(row.parent.executionId)) && !parentsOfNotDone.has(row.executionId))
    .map((row) => row.executionId)
}
