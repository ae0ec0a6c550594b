/**
 * Closing a finished execution (spec 4.8, transitions T14 and T16): a finalize child hands its
 * result to its parent; an execution that did not complete cancels its unfinished children (so
 * cancellation travels down the tree one close per level); then the row is marked `closed`.
 */
import { DurableExecutionCancelledError, DurableExecutionError } from '../errors.js'
import {
  normalizeTaskExecutionStorageInternalUpdate,
  type TaskExecutionStorageInternalUpdate,
} from '../internal-update.js'
import type { TaskExecutionStorageValue } from '../storage.js'
import { errorValue, updateExecutionById, type ExecutorRuntime } from './runtime.js'

/** T16 applies: `row` is a finalize child whose parent takes its result. */
const handsResultToParent = (row: TaskExecutionStorageValue) => row.parent?.isFinalizeOfParent === true

/** T14 applies: `row` did not complete and has children or a finalize that may still run. */
const cancelsChildren = (row: TaskExecutionStorageValue) =>
  row.status !== 'completed' && ((row.children?.length ?? 0) > 0 || row.finalize !== undefined)

/** Whether closing `row` does more than mark it closed: tell a finalize's parent, or cancel children. */
export function hasClosingWork(row: TaskExecutionStorageValue): boolean {
  return handsResultToParent(row) || cancelsChildren(row)
}

/** Does the closing work of one claimed row and marks it closed. */
export async function closeFinishedExecution(
  runtime: ExecutorRuntime,
  row: TaskExecutionStorageValue,
): Promise<void> {
  const work: Array<Promise<void>> = []
  if (handsResultToParent(row)) work.push(handFinalizeResultToParent(runtime, row))
  if (cancelsChildren(row)) work.push(cancelUnfinishedChildren(runtime, row))
  if (work.length > 0) await Promise.all(work)
  await updateExecutionById(runtime, row.executionId, { isFinished: true }, CLOSED)
}

/**
 * Marks rows with no closing work closed, sharing storage calls even with batching off: the
 * close claim hands over up to a batch of such rows at once.
 */
export async function markExecutionsClosed(
  runtime: ExecutorRuntime,
  rows: ReadonlyArray<TaskExecutionStorageValue>,
): Promise<void> {
  const update = normalizeTaskExecutionStorageInternalUpdate(CLOSED, Date.now())
  const outcomes = await runtime.storage.updateManyById(
    rows.map((row) => ({ executionId: row.executionId, filters: { isFinished: true }, update })),
  )
  outcomes.forEach((outcome, index) => {
    if (outcome.status === 'rejected') {
      runtime.log.error(`Error in closing task execution [executionId=${rows[index]!.executionId}]`, outcome.reason)
    }
  })
}

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
  await updateExecutionById(runtime, parent.executionId, { status: 'waiting_for_finalize' }, update)
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
  await runtime.storage.updateByParentExecutionIdAndIsFinished({
    parentExecutionId: row.executionId,
    isFinished: false,
    update: normalizeTaskExecutionStorageInternalUpdate(
      { status: 'cancelled', error: errorValue(error), needsPromiseCancellation: true },
      Date.now(),
    ),
  })
  runtime.wake.closeReady()
  runtime.wake.promiseCancellation()
}
