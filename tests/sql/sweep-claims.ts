/**
 * The storage's claims as the executor's sweeps send them, for tests that look at the statements
 * a claim sends (its plan, the index it walks): the pickup of ready rows, the close-ready claim
 * and the claim that marks finished rows close-ready.
 */
import type { TaskExecutionsStorage, TaskExecutionStorageValue } from '../../src/core/index.js'

/** Claims up to `limit` rows ready to start before `now` (the pickup). */
export function claimReadyRows(storage: TaskExecutionsStorage, now: number, limit: number): Promise<Array<TaskExecutionStorageValue>> {
  return Promise.resolve(
    storage.updateByStatusAndStartAtLessThanAndReturn({
      status: 'ready',
      startAtLessThan: now,
      update: { status: 'running', executorId: 'de_test', updatedAt: now },
      updateExpiresAtWithStartedAt: now,
      limit,
    }),
  )
}

/** Claims up to `limit` close-ready rows for closing. */
export function claimCloseReadyRows(storage: TaskExecutionsStorage, now: number, limit: number): Promise<Array<TaskExecutionStorageValue>> {
  return Promise.resolve(
    storage.updateByCloseStatusAndReturn({ closeStatus: 'ready', update: { closeStatus: 'closing', closeExpiresAt: now + 60_000, updatedAt: now }, limit }),
  )
}

/** Marks up to `limit` finished rows not yet closed close-ready; resolves to how many. */
export function markFinishedRowsCloseReady(storage: TaskExecutionsStorage, now: number, limit: number): Promise<number> {
  return Promise.resolve(
    storage.updateAndDecrementParentActiveChildrenCountByIsFinishedAndCloseStatus({
      isFinished: true,
      closeStatus: 'idle',
      update: { closeStatus: 'ready', updatedAt: now },
      limit,
    }),
  )
}
