/**
 * The internal-update normaliser (spec 1.5): executor code describes a change without the
 * derived fields, and this module adds them (`updatedAt`, `isFinished`, lifecycle timestamps and
 * the fields a status change clears) so every write follows the same rules.
 */
import { isFinishedTaskExecutionStatus, type TaskExecutionStatus } from './status.js'
import type {
  TaskExecutionStorageUnset,
  TaskExecutionStorageUpdate,
  TaskExecutionStorageValue,
} from './storage.js'

/**
 * A storage update as executor code writes it: without the derived fields, which
 * {@link normalizeTaskExecutionStorageInternalUpdate} computes. `unset` flags given here are kept
 * and merged with the derived ones.
 */
export type TaskExecutionStorageInternalUpdate = Omit<
  TaskExecutionStorageUpdate,
  | 'isFinished'
  | 'startedAt'
  | 'finishedAt'
  | 'onChildrenFinishedProcessingFinishedAt'
  | 'closedAt'
  | 'updatedAt'
> & {
  isFinished?: never
  startedAt?: never
  finishedAt?: never
  onChildrenFinishedProcessingFinishedAt?: never
  closedAt?: never
  updatedAt?: never
}

type StatusRule = {
  setStartedAt?: true
  setWaitingForChildrenStartedAt?: true
  setWaitingForFinalizeStartedAt?: true
  unset: ReadonlyArray<keyof TaskExecutionStorageUnset>
}

// The table of spec 1.5, one row per status; finished statuses also get isFinished and finishedAt.
const STATUS_RULES: Record<TaskExecutionStatus, StatusRule> = {
  ready: { unset: ['executorId', 'runOutput', 'startedAt', 'expiresAt'] },
  running: { setStartedAt: true, unset: [] },
  waiting_for_children: {
    setWaitingForChildrenStartedAt: true,
    unset: ['executorId', 'error', 'expiresAt'],
  },
  waiting_for_finalize: {
    setWaitingForFinalizeStartedAt: true,
    unset: ['executorId', 'error', 'expiresAt'],
  },
  completed: { unset: ['executorId', 'runOutput', 'error', 'expiresAt'] },
  failed: { unset: ['executorId', 'runOutput', 'expiresAt'] },
  timed_out: { unset: ['executorId', 'runOutput', 'expiresAt'] },
  finalize_failed: { unset: ['executorId', 'runOutput', 'expiresAt'] },
  // executorId stays so the owning executor can find and interrupt the run.
  cancelled: { unset: ['runOutput', 'expiresAt'] },
}

/**
 * Whether closing a row that finishes with `update` has nothing to do (our choice, beyond
 * upstream): no parent to release or tell, no children or finalize to cancel. Such a row is
 * closed by its finishing write, which saves the close-ready sweep and the close claim per task.
 */
function hasNothingToClose(currentRow: TaskExecutionStorageValue, update: TaskExecutionStorageUpdate): boolean {
  const children = update.children ?? currentRow.children ?? []
  return currentRow.parent === undefined && children.length === 0 && (update.finalize ?? currentRow.finalize) === undefined
}

/**
 * Turns an internal update into the storage update to write (spec 1.5), without mutating its
 * arguments. `now` becomes `updatedAt` and every derived timestamp. When `currentRow` (the row
 * being updated) is given, a finalize child moving to a finished status also gets
 * `closeStatus = 'ready'`, because finalize children are never counted by their parent, and a
 * row with nothing to close (no parent, children or finalize) gets `closeStatus = 'closed'`.
 */
export function normalizeTaskExecutionStorageInternalUpdate(
  update: TaskExecutionStorageInternalUpdate,
  now: number,
  currentRow?: TaskExecutionStorageValue,
): TaskExecutionStorageUpdate {
  // Fields only the normaliser may write (updatedAt is always overwritten): callers outside the
  // type system might still pass them, and they never reach storage. Left out by destructuring, not deleted: a deleted property slows every later read of the object.
  const {
    unset: givenUnset,
    isFinished: _isFinished,
    startedAt: _startedAt,
    finishedAt: _finishedAt,
    onChildrenFinishedProcessingFinishedAt: _onChildrenFinishedProcessingFinishedAt,
    closedAt: _closedAt,
    ...rest
  } = update as unknown as TaskExecutionStorageUpdate
  const result: TaskExecutionStorageUpdate = rest
  result.updatedAt = now
  const unset: TaskExecutionStorageUnset = {}
  if (givenUnset != null) {
    for (const field of Object.keys(givenUnset) as Array<keyof TaskExecutionStorageUnset>) {
      if (givenUnset[field] === true) unset[field] = true
    }
  }

  const status = update.status
  if (status !== undefined) {
    const rule = STATUS_RULES[status]
    if (isFinishedTaskExecutionStatus(status)) {
      result.isFinished = true
      result.finishedAt = now
      if (currentRow?.parent?.isFinalizeOfParent) result.closeStatus = 'ready'
      else if (currentRow && hasNothingToClose(currentRow, result)) result.closeStatus = 'closed'
    }
    if (rule.setStartedAt) result.startedAt = now
    if (rule.setWaitingForChildrenStartedAt) result.waitingForChildrenStartedAt = now
    if (rule.setWaitingForFinalizeStartedAt) result.waitingForFinalizeStartedAt = now
    for (const field of rule.unset) unset[field] = true
    if (update.needsPromiseCancellation === false) unset.executorId = true
  }

  const childrenStatus = result.onChildrenFinishedProcessingStatus
  if (childrenStatus !== undefined) {
    if (childrenStatus !== 'processing') unset.onChildrenFinishedProcessingExpiresAt = true
    if (childrenStatus === 'processed') result.onChildrenFinishedProcessingFinishedAt = now
  }

  const closeStatus = result.closeStatus
  if (closeStatus !== undefined) {
    if (closeStatus !== 'closing') unset.closeExpiresAt = true
    if (closeStatus === 'closed') result.closedAt = now
  }

  if (hasAnyKey(unset)) result.unset = unset
  return result
}

function hasAnyKey(value: object): boolean {
  for (const key in value) if (Object.hasOwn(value, key)) return true
  return false
}
