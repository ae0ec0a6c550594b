/**
 * Handles on executions (spec 4.5): read, wait until finished (polling, woken early when this
 * process writes the finish), cancel (T13). A handle
 * uses only the storage layer and the serializer, so it keeps working after executor shutdown.
 */
import { DurableExecutionCancelledError, DurableExecutionNotFoundError } from '../errors.js'
import { normalizeTaskExecutionStorageInternalUpdate } from '../internal-update.js'
import { convertTaskExecutionStorageValueToTaskExecution, type FinishedTaskExecution, type TaskExecution } from '../read-model.js'
import type { TaskExecutionsStorageLayer } from '../batching/storage-layer.js'
import type { Serializer } from '../serializer.js'
import type { TaskExecutionStorageValue } from '../storage.js'
import type { FinishedExecutionWaiters } from './finish-waiters.js'
import { errorValue } from './runtime.js'
import type { TaskExecutionHandle } from './types.js'

/** Polling interval when none (or a non-positive one) is given. */
export const DEFAULT_POLLING_INTERVAL_MS = 2500
/** Polling never happens more often than this. */
export const MIN_POLLING_INTERVAL_MS = 50

/** What a handle needs from its executor. */
export type TaskExecutionHandleDeps = {
  storage: TaskExecutionsStorageLayer
  serializer: Serializer
  /** The clock for storage times. */
  now: () => number
  /**
   * Told after a cancel write (`matched`: whether it cancelled the execution), so a local run is
   * interrupted and the close sweep runs soon.
   */
  onCancelled: (execution: { executionId: string; taskId: string; matched: boolean | undefined }) => void
  /** Wakes a waiting handle when this process finishes its execution. */
  finishedWaiters: FinishedExecutionWaiters
}

/** Reads the row of an execution, or throws `Task execution not found [executionId=…]`. */
export async function getExecutionRowOrThrow(
  storage: TaskExecutionsStorageLayer,
  executionId: string,
): Promise<TaskExecutionStorageValue> {
  const row = await storage.getById({ executionId, filters: {} })
  if (!row) {
    throw new DurableExecutionNotFoundError(`Task execution not found [executionId=${executionId}]`)
  }
  return row
}

/** The interval `waitAndGetFinishedExecution` polls at. */
export function resolvePollingIntervalMs(pollingIntervalMs: number | undefined): number {
  const interval =
    pollingIntervalMs !== undefined && pollingIntervalMs > 0
      ? pollingIntervalMs
      : DEFAULT_POLLING_INTERVAL_MS
  return Math.max(interval, MIN_POLLING_INTERVAL_MS)
}

/** Builds the handle of one execution. */
export function createTaskExecutionHandle<TOutput>(
  deps: TaskExecutionHandleDeps,
  taskId: string,
  executionId: string,
): TaskExecutionHandle<TOutput> {
  const getExecution = async (): Promise<TaskExecution<TOutput>> => {
    const row = await getExecutionRowOrThrow(deps.storage, executionId)
    return await convertTaskExecutionStorageValueToTaskExecution<TOutput>(row, deps.serializer)
  }

  const waitAndGetFinishedExecution = async (
    options: { pollingIntervalMs?: number; signal?: AbortSignal } = {},
  ): Promise<FinishedTaskExecution<TOutput>> => {
    const { signal } = options
    const intervalMs = resolvePollingIntervalMs(options.pollingIntervalMs)
    // Handed over by this process's finishing write (earlier or while waiting): no need to read it back.
    let finishedRow = deps.finishedWaiters.keptFinishedRow(executionId)
    for (;;) {
      if (signal?.aborted) throw new DurableExecutionCancelledError()
      const wakeUp = deps.finishedWaiters.arm(executionId)
      try {
        const row = finishedRow ?? (await getExecutionRowOrThrow(deps.storage, executionId))
        if (signal?.aborted) throw new DurableExecutionCancelledError()
        if (row.isFinished) {
          return (await convertTaskExecutionStorageValueToTaskExecution<TOutput>(
            row,
            deps.serializer,
          )) as FinishedTaskExecution<TOutput>
        }
        await wakeUp.wait(intervalMs, signal)
        finishedRow = wakeUp.finishedRow
      } finally {
        wakeUp.dispose()
      }
    }
  }

  const cancel = async (): Promise<void> => {
    const matched = await deps.storage.updateById({
      executionId,
      filters: { isFinished: false },
      update: normalizeTaskExecutionStorageInternalUpdate(
        {
          status: 'cancelled',
          error: errorValue(new DurableExecutionCancelledError()),
          needsPromiseCancellation: true,
        },
        deps.now(),
      ),
    })
    deps.finishedWaiters.notify(executionId)
    deps.onCancelled({ executionId, taskId, matched })
  }

  const handle = { taskId, executionId, getExecution, waitAndGetFinishedExecution, cancel }
  deps.finishedWaiters.keepFinishedRowFor(handle, executionId)
  return handle
}
