/**
 * One iteration of five of the six background processes (spec 4.9; pickup has `pickup.ts`):
 * children-finished processing, the close-ready sweep, closing, promise cancellation and expiry
 * recovery. Each returns whether more work is waiting, and wakes the loops its work makes ready.
 */
import {
  DurableExecutionCancelledError,
  DurableExecutionError,
  DurableExecutionTimedOutError,
} from '../errors.js'
import {
  normalizeTaskExecutionStorageInternalUpdate as normalize,
} from '../internal-update.js'
import type { TaskExecutionsStorageSweepWork } from '../storage.js'
import { processChildrenFinished } from './children-finished.js'
import { hasClosingWork } from '../closing-work.js'
import { closeFinishedExecution, markExecutionsClosed } from './close.js'
import { interruptExecutionRun } from './run.js'
import { errorValue, type ExecutorRuntime } from './runtime.js'

/** Names of the six loops, as they appear in logs. */
export const BACKGROUND_PROCESS_NAMES = [
  'processReadyTaskExecutions',
  'processOnChildrenFinishedTaskExecutions',
  'markFinishedTaskExecutionsAsCloseStatusReady',
  'closeFinishedTaskExecutions',
  'cancelsNeedPromiseCancellationTaskExecutions',
  'retryExpiredTaskExecutions',
] as const

/** The name of a background process. */
export type BackgroundProcessName = (typeof BACKGROUND_PROCESS_NAMES)[number]

/** Shared between pickup and run completion: pickup stopped for lack of free slots. */
export type PickupCapacityState = { isBlocked: boolean }

/** Claims parents whose children are all released and processes each in the background. */
export async function processOnChildrenFinishedTaskExecutions(
  runtime: ExecutorRuntime,
): Promise<boolean> {
  const limit = runtime.options.processOnChildrenFinishedTaskExecutionsBatchSize
  const now = runtime.clock.now()
  const rows =
    await runtime.storage.updateByStatusAndOnChildrenFinishedProcessingStatusAndActiveChildrenCountZeroAndReturn(
      {
        status: 'waiting_for_children',
        onChildrenFinishedProcessingStatus: 'idle',
        update: normalize(
          {
            onChildrenFinishedProcessingStatus: 'processing',
            // Our choice: the lease follows the leeway, not a fixed two minutes plus it.
            onChildrenFinishedProcessingExpiresAt: now + runtime.options.expireLeewayMs,
            leaseToken: runtime.nextLeaseToken(),
          },
          now,
        ),
        limit,
      },
    )
  for (const row of rows) {
    runtime.track(
      processChildrenFinished(runtime, row).catch((error: unknown) => {
        runtime.log.error(
          `Error in processing finished children of task execution [executionId=${row.executionId}]`,
          error,
        )
      }),
    )
  }
  return rows.length >= limit
}

/** Moves finished rows to close-ready and releases each child to its parent. */
export async function markFinishedTaskExecutionsAsCloseStatusReady(
  runtime: ExecutorRuntime,
): Promise<boolean> {
  const limit = runtime.options.markFinishedTaskExecutionsAsCloseStatusReadyBatchSize
  const now = runtime.clock.now()
  const count =
    await runtime.storage.updateAndDecrementParentActiveChildrenCountByIsFinishedAndCloseStatus({
      isFinished: true,
      closeStatus: 'idle',
      update: normalize({ closeStatus: 'ready' }, now),
      limit,
      // Rows whose close only marks them closed skip the close sweep (storages that can).
      closesRowsWithoutClosingWorkAt: now,
    })
  if (count > 0) {
    runtime.wake.childrenFinished()
    runtime.wake.close()
  }
  return count >= limit
}

/** Claims close-ready rows and closes each in the background. */
export async function closeFinishedTaskExecutions(runtime: ExecutorRuntime): Promise<boolean> {
  const limit = runtime.options.closeFinishedTaskExecutionsBatchSize
  const now = runtime.clock.now()
  const rows = await runtime.storage.updateByCloseStatusAndReturn({
    closeStatus: 'ready',
    update: normalize(
      // Our choice: the lease follows the leeway, not a fixed two minutes plus it.
      { closeStatus: 'closing', closeExpiresAt: now + runtime.options.expireLeewayMs, leaseToken: runtime.nextLeaseToken() },
      now,
    ),
    limit,
  })
  const withWork = rows.filter(hasClosingWork)
  const onlyToMark = rows.filter((row) => !hasClosingWork(row))
  if (onlyToMark.length > 0) runtime.track(markExecutionsClosed(runtime, onlyToMark))
  for (const row of withWork) {
    runtime.track(
      closeFinishedExecution(runtime, row).catch((error: unknown) => {
        runtime.log.error(`Error in closing task execution [executionId=${row.executionId}]`, error)
      }),
    )
  }
  return rows.length >= limit
}

/** Interrupts the local runs of rows cancelled since they were claimed here. */
export async function cancelsNeedPromiseCancellationTaskExecutions(
  runtime: ExecutorRuntime,
): Promise<boolean> {
  if (runtime.running.size === 0) return false
  const limit = runtime.options.cancelNeedsPromiseCancellationTaskExecutionsBatchSize
  const rows = await runtime.storage.updateByExecutorIdAndNeedsPromiseCancellationAndReturn({
    executorId: runtime.executorId,
    needsPromiseCancellation: true,
    update: normalize({ needsPromiseCancellation: false }, runtime.clock.now()),
    limit,
  })
  for (const row of rows) {
    const entry = runtime.running.get(row.executionId)
    if (!entry) continue
    runtime.log.info(`Interrupted the run of cancelled task execution [taskId=${row.taskId}] [executionId=${row.executionId}]`, {
      executionId: row.executionId,
      taskId: row.taskId,
    })
    interruptExecutionRun(runtime, entry, new DurableExecutionCancelledError())
  }
  // These rows were locked here, and the close-ready sweep their cancel woke skips locked rows.
  if (rows.length > 0) runtime.wake.closeReady()
  return rows.length >= limit
}

/**
 * Recovers expired leases: runs, sleeping tasks, children-finished processing and closing. An
 * expired run goes back to `ready` keeping its place in the queue (its `startAt`; upstream moves
 * it to the back) and adds one to its `expiryCount` (for `maxExpiries`).
 */
export async function retryExpiredTaskExecutions(runtime: ExecutorRuntime): Promise<boolean> {
  // Results of this executor wait for the storage: let them land before their leases are swept
  // (a sweep first would hand them to another run). They are retried at once when a call succeeds.
  const waiting = runtime.callsWaitingToRetry
  if (waiting.count > 0 && Date.now() < waiting.holdSweepUntil) return false
  const limit = runtime.options.retryExpiredTaskExecutionsBatchSize
  const now = runtime.clock.now()
  const work = await findSweepWork(runtime, now)
  // A result may have started waiting during the read: the same hold applies.
  if (waiting.count > 0 && Date.now() < waiting.holdSweepUntil) return false
  // A sweep the read found nothing for is skipped (a lease that ends after it waits for the next).
  const sweep = (hasWork: boolean, update: () => Promise<number>) => (hasWork ? update() : Promise.resolve(0))
  const [expiredRuns, expiredSleeps, expiredProcessing, expiredClosing] = await Promise.all([
    sweep(work.expiredRuns, () => runtime.storage.updateByStatusAndIsSleepingTaskAndExpiresAtLessThan({
      status: 'running',
      isSleepingTask: false,
      expiresAtLessThan: now,
      update: normalize(
        { status: 'ready', error: errorValue(DurableExecutionError.nonRetryable('Task execution expired')) },
        now,
      ),
      limit,
      incrementExpiryCount: true,
    })),
    sweep(work.expiredSleeps, () => runtime.storage.updateByStatusAndIsSleepingTaskAndExpiresAtLessThan({
      status: 'running',
      isSleepingTask: true,
      expiresAtLessThan: now,
      update: normalize(
        { status: 'timed_out', error: errorValue(new DurableExecutionTimedOutError()), startAt: now },
        now,
      ),
      limit,
    })),
    sweep(work.expiredChildrenFinishedProcessing, () => runtime.storage.updateByOnChildrenFinishedProcessingExpiresAtLessThan({
      onChildrenFinishedProcessingExpiresAtLessThan: now,
      update: normalize({ onChildrenFinishedProcessingStatus: 'idle' }, now),
      limit,
    })),
    sweep(work.expiredClosing, () => runtime.storage.updateByCloseExpiresAtLessThan({
      closeExpiresAtLessThan: now,
      update: normalize({ closeStatus: 'ready' }, now),
      limit,
    })),
  ])
  if (expiredRuns > 0) {
    runtime.log.warn(`Leases of ${expiredRuns} running task execution(s) expired; they are ready again`, { count: expiredRuns })
    runtime.wake.pickup()
  }
  if (expiredSleeps > 0) runtime.wake.closeReady()
  if (expiredProcessing > 0) runtime.wake.childrenFinished()
  if (expiredClosing > 0) runtime.wake.close()
  return expiredRuns + expiredSleeps + expiredProcessing + expiredClosing >= limit * 0.25
}

/** Every sweep, as if each had work: what the executor assumes without the storage's read. */
const EVERY_SWEEP: TaskExecutionsStorageSweepWork = {
  ready: true,
  childrenFinished: true,
  closeReady: true,
  close: true,
  promiseCancellation: true,
  expiredRuns: true,
  expiredSleeps: true,
  expiredChildrenFinishedProcessing: true,
  expiredClosing: true,
}

/**
 * Which sweeps have work, where the storage can tell in one read (`findSweepWork`); the loops
 * with work are woken, so that with a change signal this read is their backstop too (a delayed
 * start come due, a write by another process that signals nothing). Every sweep otherwise.
 */
async function findSweepWork(runtime: ExecutorRuntime, now: number): Promise<TaskExecutionsStorageSweepWork> {
  if (!runtime.storage.hasSweepWorkRead) return EVERY_SWEEP
  const work = await runtime.storage.findSweepWork({ now, executorId: runtime.executorId })
  if (work.ready) runtime.wake.pickup()
  if (work.childrenFinished) runtime.wake.childrenFinished()
  if (work.closeReady) runtime.wake.closeReady()
  if (work.close) runtime.wake.close()
  if (work.promiseCancellation) runtime.wake.promiseCancellation()
  return work
}
