/**
 * Closing a finished execution (spec 4.8, transitions T14 and T16): a finalize child hands its
 * result to its parent; an execution that did not complete cancels its unfinished children (so
 * cancellation travels down the tree one close per level); then the row is marked `closed`, under
 * the close claim's lease token. Storage calls are retried while the lease lasts.
 */
import { DurableExecutionCancelledError, DurableExecutionError } from '../errors.js'
import {
  normalizeTaskExecutionStorageInternalUpdate,
  type TaskExecutionStorageInternalUpdate,
} from '../internal-update.js'
import { cancelsChildren, handsResultToParent } from '../closing-work.js'
import type { TaskExecutionStorageValue } from '../storage.js'
import { callHoldingLease, LeaseLostError, writeHoldingLease } from './lease-writes.js'
import { errorValue, fencedFilters, updateExecutionById, type ExecutorRuntime } from './runtime.js'

/** Does the closing work of one claimed row and marks it closed. */
export async function closeFinishedExecution(
  runtime: ExecutorRuntime,
  row: TaskExecutionStorageValue,
): Promise<void> {
  try {
    const work: Array<Promise<void>> = []
    if (handsResultToParent(row)) work.push(handFinalizeResultToParent(runtime, row))
    if (cancelsChildren(row)) work.push(cancelUnfinishedChildren(runtime, row))
    if (work.length > 0) await Promise.all(work)
    await writeHoldingLease(runtime, { endsAt: row.closeExpiresAt, isFenced: row.leaseToken !== undefined }, `marking closed [executionId=${row.executionId}]`, () =>
      updateExecutionById(runtime, row.executionId, fencedFilters(row, FINISHED_FILTER), CLOSED),
    )
  } catch (error) {
    if (!(error instanceof LeaseLostError)) throw error
    runtime.log.debug(`Stopped closing [executionId=${row.executionId}]: ${error.message}`)
  }
}

/** A storage call of this row's close, retried while its lease lasts. */
function underLease<T>(runtime: ExecutorRuntime, row: TaskExecutionStorageValue, what: string, call: () => Promise<T>): Promise<T> {
  return callHoldingLease(runtime, { endsAt: row.closeExpiresAt, isFenced: row.leaseToken !== undefined }, `${what} [executionId=${row.executionId}]`, call)
}

/**
 * Marks rows with no closing work closed, sharing storage calls even with batching off: the
 * close claim hands over up to a batch of such rows at once. A failed one is left to the close
 * lease's expiry.
 */
export async function markExecutionsClosed(
  runtime: ExecutorRuntime,
  rows: ReadonlyArray<TaskExecutionStorageValue>,
): Promise<void> {
  const update = normalizeTaskExecutionStorageInternalUpdate(CLOSED, runtime.clock.now())
  const outcomes = await runtime.storage.updateManyById(
    rows.map((row) => ({ executionId: row.executionId, filters: fencedFilters(row, FINISHED_FILTER), update })),
  )
  outcomes.forEach((outcome, index) => {
    if (outcome.status === 'rejected') {
      runtime.log.error(`Error in closing task execution [executionId=${rows[index]!.executionId}]`, outcome.reason)
    }
  })
}

const FINISHED_FILTER = { isFinished: true } as const

const CLOSED: TaskExecutionStorageInternalUpdate = { closeStatus: 'closed' }

/** T16: the parent of a finalize child takes its output, or fails with its error. */
async function handFinalizeResultToParent(
  runtime: ExecutorRuntime,
  row: TaskExecutionStorageValue,
): Promise<void> {
  const parent = row.parent
  if (!parent) return
  const update: TaskExecutionStorageInternalUpdate =
    row.status === 'completed'
      ? { status: 'completed', output: row.output ?? runtime.serializedUndefined }
      : {
          status: 'finalize_failed',
          error:
            row.error ??
            errorValue(
              DurableExecutionError.nonRetryable(
                `Finalize task failed with an unknown error [finalizeTaskId=${row.taskId}] [finalizeTaskExecutionId=${row.executionId}]`,
              ),
            ),
        }
  // Not fenced: the parent's row is not this lease's; the status guard makes a repeat harmless.
  // Nothing else writes a parent while it waits for its finalize, so the row this process wrote
  // when it began waiting (if it did, and a handle waits on it) is the row this write updates.
  const awaitingRow = runtime.finishedWaiters.rowAwaitingFinalize(parent.executionId)
  await underLease(runtime, row, "handing the finalize result to the parent", () =>
    updateExecutionById(runtime, parent.executionId, { status: 'waiting_for_finalize' }, update, undefined, awaitingRow),
  )
  runtime.wake.closeReady()
}

/** T14: every unfinished child of a row that did not complete is cancelled. */
async function cancelUnfinishedChildren(
  runtime: ExecutorRuntime,
  row: TaskExecutionStorageValue,
): Promise<void> {
  const error = new DurableExecutionCancelledError(
    `Parent task failed [parentTaskId=${row.taskId}] [parentExecutionId=${row.executionId}]: ${row.error?.message ?? 'Unknown error'}`,
  )
  await underLease(runtime, row, 'cancelling the unfinished children', () =>
    runtime.storage.updateByParentExecutionIdAndIsFinished({
      parentExecutionId: row.executionId,
      isFinished: false,
      update: normalizeTaskExecutionStorageInternalUpdate(
        { status: 'cancelled', error: errorValue(error), needsPromiseCancellation: true },
        runtime.clock.now(),
      ),
    }),
  )
  runtime.wake.closeReady()
  runtime.wake.promiseCancellation()
}
