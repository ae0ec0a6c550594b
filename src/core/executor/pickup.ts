/**
 * Pickup (spec 4.9, first loop): claim ready rows for the free run slots, under a new lease token,
 * and start their runs. Beyond upstream, it guards against poison pills, executions whose runs
 * keep killing or blocking their process, which a lease expiry cannot tell from a crash:
 *
 * - An execution whose lease expired `maxExpiries` times ends `failed` when next claimed.
 * - A suspect (an execution that expired at least twice, or once when `maxExpiries` is 2) runs
 *   only while no other suspect runs on this executor; one claimed meanwhile is handed back at
 *   once for a little later. When a suspect takes its process down, the suspects that did not run
 *   beside it are not blamed, so only the culprit keeps adding expiries; ordinary executions
 *   that died beside it become suspects, at worst, and finish on their next runs.
 */
import { DurableExecutionError } from '../errors.js'
import { normalizeTaskExecutionStorageInternalUpdate as normalize } from '../internal-update.js'
import type { TaskExecutionStorageValue } from '../storage.js'
import type { PickupCapacityState } from './background.js'
import { planFailure, planRelease } from './run-result.js'
import { freeRunSlots } from './run-slots.js'
import { startExecutionRun } from './run.js'
import { writeRunResult } from './run-write.js'
import type { ExecutorRuntime } from './runtime.js'

/** How long a suspect handed back waits before it may be claimed again. */
export const SUSPECT_RETRY_DELAY_MS = 1_000

/** Claims ready rows for the free run slots and starts their runs. */
export async function processReadyTaskExecutions(
  runtime: ExecutorRuntime,
  capacity: PickupCapacityState,
): Promise<boolean> {
  const { maxConcurrentTaskExecutions, maxTaskExecutionsPerBatch, expireLeewayMs } = runtime.options
  // Once shutdown began, nothing more is claimed: a run handed back at shutdown must go to another executor.
  if (runtime.shutdownSignal.aborted) return false
  const freeSlots = freeRunSlots(maxConcurrentTaskExecutions, runtime.running.size, runtime.resultsBeingWritten.count)
  if (freeSlots <= 0) {
    capacity.isBlocked = true
    return false
  }
  const limit = Math.min(maxTaskExecutionsPerBatch, freeSlots)
  const now = runtime.clock.now()
  const rows = await runtime.storage.updateByStatusAndStartAtLessThanAndReturn({
    status: 'ready',
    // Rows due this very millisecond count as due: a row enqueued now is picked up at once.
    startAtLessThan: now + 1,
    update: normalize({ executorId: runtime.executorId, status: 'running', leaseToken: runtime.nextLeaseToken() }, now),
    updateExpiresAtWithStartedAt: now + expireLeewayMs,
    limit,
    // The rows are only run here: a storage that can reads back just what a run needs.
    returnsRunFieldsOnly: true,
  })
  if (runtime.shutdownSignal.aborted) {
    // Shutdown began during the claim: these rows go straight back, for another executor.
    for (const row of rows) runtime.track(handBack(runtime, row, DurableExecutionError.retryable('Task execution claimed during executor shutdown', { isInternal: true })))
    return false
  }
  let isSuspectRunning = [...runtime.running.values()].some((entry) => entry.isSuspect)
  let suspectToStart: TaskExecutionStorageValue | undefined
  const handBacks: Array<Promise<void>> = []
  for (const row of rows) {
    const expiries = row.expiryCount ?? 0
    if (expiries >= runtime.options.maxExpiries) {
      runtime.track(failExpiredTooOften(runtime, row, expiries))
    } else if (!isSuspect(runtime, expiries)) {
      startExecutionRun(runtime, row)
    } else if (!isSuspectRunning) {
      isSuspectRunning = true
      suspectToStart = row
    } else {
      handBacks.push(handBackSuspect(runtime, row))
    }
  }
  if (suspectToStart) {
    // The other suspects leave this process before this one runs: if it takes the process down,
    // they must not be blamed for it.
    await Promise.all(handBacks)
    startExecutionRun(runtime, suspectToStart, true)
  } else {
    for (const handBack of handBacks) runtime.track(handBack)
  }
  return rows.length >= limit
}

/** Whether an execution with this many expiries runs only while no other suspect does. */
function isSuspect(runtime: ExecutorRuntime, expiries: number): boolean {
  return expiries >= Math.min(2, runtime.options.maxExpiries - 1) && expiries > 0
}

/** Ends an execution that expired `maxExpiries` times `failed`, without running it again. */
async function failExpiredTooOften(
  runtime: ExecutorRuntime,
  row: TaskExecutionStorageValue,
  expiries: number,
): Promise<void> {
  const error = DurableExecutionError.nonRetryable(
    `Task execution expired ${expiries} times without finishing: its run may be crashing or blocking its ` +
      `process [taskId=${row.taskId}] [executionId=${row.executionId}] [maxExpiries=${runtime.options.maxExpiries}]`,
  )
  runtime.log.error(error.message)
  await writeRunResult(runtime, row, planFailure(runtime, row, error), () => false)
}

/** Hands a suspect back to `ready` for a little later: another suspect runs here already. */
function handBackSuspect(runtime: ExecutorRuntime, row: TaskExecutionStorageValue): Promise<void> {
  const reason = DurableExecutionError.retryable(row.error?.message ?? 'Task execution expired', { isInternal: true })
  return handBack(runtime, row, reason, runtime.clock.now() + SUSPECT_RETRY_DELAY_MS)
}

/** Hands a claimed row back to `ready` (at `startAt`, or keeping its place), its attempt not counted. */
async function handBack(runtime: ExecutorRuntime, row: TaskExecutionStorageValue, reason: DurableExecutionError, startAt?: number): Promise<void> {
  await writeRunResult(runtime, row, planRelease(runtime, row, reason, startAt), () => false)
}
