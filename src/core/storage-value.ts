/**
 * Pure helpers over `TaskExecutionStorageValue` (spec 1.4, 2.2): building the initial record,
 * applying a raw storage update to a value, matching by-id filters and copying a value. Storages
 * use them to keep the in-memory picture of a row identical to what SQL would store.
 */
import type {
  ParentTaskExecutionSummary,
  TaskExecutionStorageGetByIdFilters,
  TaskExecutionStorageUnset,
  TaskExecutionStorageUpdate,
  TaskExecutionStorageValue,
  TaskExecutionSummary,
  TaskRetryOptions,
} from './storage.js'

/** Parameters of {@link createTaskExecutionStorageValue}. */
export type CreateTaskExecutionStorageValueParams = {
  /** Insert time in ms since the epoch; becomes `createdAt` and `updatedAt`. */
  now: number
  /** Top-most ancestor; absent for a top-level execution. */
  root?: TaskExecutionSummary
  /** Parent link; absent for a top-level execution. */
  parent?: ParentTaskExecutionSummary
  taskId: string
  executionId: string
  retryOptions: TaskRetryOptions
  sleepMsBeforeRun: number
  timeoutMs: number
  /** `true` only for `sequentialTasks`; defaults to `false`. */
  areChildrenSequential?: boolean
  /** Serialized input. */
  input: string
  /** Given only for sleeping tasks; makes the record a running sleeping-task execution. */
  sleepingTaskUniqueId?: string
}

function copySummary(summary: TaskExecutionSummary): TaskExecutionSummary {
  return { taskId: summary.taskId, executionId: summary.executionId }
}

function copyParentSummary(parent: ParentTaskExecutionSummary): ParentTaskExecutionSummary {
  return {
    taskId: parent.taskId,
    executionId: parent.executionId,
    indexInParentChildren: parent.indexInParentChildren,
    isOnlyChildOfParent: parent.isOnlyChildOfParent,
    isFinalizeOfParent: parent.isFinalizeOfParent,
  }
}

/**
 * Builds the record of a new execution (spec 1.4). Optional fields that do not apply are left out
 * entirely (no keys holding `undefined`), so the value compares strictly with what a storage reads
 * back.
 */
export function createTaskExecutionStorageValue(
  params: CreateTaskExecutionStorageValueParams,
): TaskExecutionStorageValue {
  const isSleepingTask = params.sleepingTaskUniqueId !== undefined
  const value: TaskExecutionStorageValue = {
    taskId: params.taskId,
    executionId: params.executionId,
    isSleepingTask,
    retryOptions: { ...params.retryOptions },
    sleepMsBeforeRun: params.sleepMsBeforeRun,
    timeoutMs: params.timeoutMs,
    areChildrenSequential: params.areChildrenSequential ?? false,
    input: params.input,
    status: isSleepingTask ? 'running' : 'ready',
    isFinished: false,
    retryAttempts: 0,
    startAt: params.now + params.sleepMsBeforeRun,
    activeChildrenCount: 0,
    onChildrenFinishedProcessingStatus: 'idle',
    closeStatus: 'idle',
    needsPromiseCancellation: false,
    createdAt: params.now,
    updatedAt: params.now,
  }
  if (params.root) value.root = copySummary(params.root)
  if (params.parent) value.parent = copyParentSummary(params.parent)
  if (isSleepingTask) {
    value.sleepingTaskUniqueId = params.sleepingTaskUniqueId
    value.startedAt = params.now
    value.expiresAt = params.now + params.sleepMsBeforeRun + params.timeoutMs
  }
  return value
}

/** A field a storage update sets by value (every key of the update but `unset`). */
export type TaskExecutionStorageSettableField = Exclude<keyof TaskExecutionStorageUpdate, 'unset'>

/**
 * Every field a storage update may set, in a fixed order (spec 2.2). Storages apply exactly these
 * keys, so that stray keys on an update object (from untyped callers) never reach a row.
 */
export const TASK_EXECUTION_STORAGE_SETTABLE_FIELDS = [
  'executorId',
  'status',
  'isFinished',
  'runOutput',
  'output',
  'error',
  'retryAttempts',
  'startAt',
  'startedAt',
  'expiresAt',
  'waitingForChildrenStartedAt',
  'waitingForFinalizeStartedAt',
  'finishedAt',
  'children',
  'activeChildrenCount',
  'onChildrenFinishedProcessingStatus',
  'onChildrenFinishedProcessingExpiresAt',
  'onChildrenFinishedProcessingFinishedAt',
  'finalize',
  'closeStatus',
  'closeExpiresAt',
  'closedAt',
  'needsPromiseCancellation',
  'leaseToken',
  'updatedAt',
] as const satisfies ReadonlyArray<TaskExecutionStorageSettableField>

/** Every field an update's `unset` may clear, in a fixed order (spec 2.2). */
export const TASK_EXECUTION_STORAGE_UNSETTABLE_FIELDS = [
  'executorId',
  'runOutput',
  'error',
  'startedAt',
  'expiresAt',
  'onChildrenFinishedProcessingExpiresAt',
  'closeExpiresAt',
] as const satisfies ReadonlyArray<keyof TaskExecutionStorageUnset>

function copyUpdateFieldValue(
  field: TaskExecutionStorageSettableField,
  fieldValue: unknown,
): unknown {
  if (field === 'children') {
    return (fieldValue as Array<TaskExecutionSummary>).map(copySummary)
  }
  if (field === 'finalize') return copySummary(fieldValue as TaskExecutionSummary)
  if (field === 'error') return { ...(fieldValue as object) }
  return fieldValue
}

/**
 * Applies a raw storage update to a value and returns the result as a new object; `value` and
 * `update` are never mutated, and nested objects taken from the update are copied.
 *
 * Keys holding `undefined` (or `null`) are ignored. Each `unset` key set to `true` removes that
 * field, and wins over a value given for the same field in the same update (spec 2.2, our choice).
 * When `updateExpiresAtWithStartedAt` is given (truthy), `expiresAt` becomes
 * `updateExpiresAtWithStartedAt + value.timeoutMs`, unless `unset.expiresAt` is set.
 */
export function applyTaskExecutionStorageUpdate(
  value: TaskExecutionStorageValue,
  update: TaskExecutionStorageUpdate,
  updateExpiresAtWithStartedAt?: number,
): TaskExecutionStorageValue {
  const result = cloneTaskExecutionStorageValue(value)
  const target = result as Record<string, unknown>
  const source = update as Record<string, unknown>
  for (const field of TASK_EXECUTION_STORAGE_SETTABLE_FIELDS) {
    const fieldValue = source[field]
    if (fieldValue == null) continue
    target[field] = copyUpdateFieldValue(field, fieldValue)
  }
  if (updateExpiresAtWithStartedAt) {
    result.expiresAt = updateExpiresAtWithStartedAt + value.timeoutMs
  }
  const unset = update.unset
  if (unset) {
    for (const field of TASK_EXECUTION_STORAGE_UNSETTABLE_FIELDS) {
      if (unset[field] === true) delete target[field]
    }
  }
  return result
}

/**
 * Whether `value` satisfies every defined key of `filters` (spec 2.2). `undefined` keys are
 * ignored; missing or empty filters match any value.
 */
export function matchesGetByIdFilters(
  value: TaskExecutionStorageValue,
  filters?: TaskExecutionStorageGetByIdFilters,
): boolean {
  if (!filters) return true
  if (filters.isSleepingTask !== undefined && value.isSleepingTask !== filters.isSleepingTask) {
    return false
  }
  if (filters.status !== undefined && value.status !== filters.status) return false
  if (filters.isFinished !== undefined && value.isFinished !== filters.isFinished) return false
  if (filters.leaseToken !== undefined && value.leaseToken !== filters.leaseToken) return false
  return true
}

/**
 * A deep copy of a value that shares no object with it. Keys holding `undefined` or `null` are
 * dropped, so absent fields are really absent in the copy; keys that are not storage fields are
 * not copied.
 */
export function cloneTaskExecutionStorageValue(
  value: TaskExecutionStorageValue,
): TaskExecutionStorageValue {
  // Field by field rather than a generic walk: storages copy every row they hand out, and this is
  // several times faster than iterating `Object.entries`.
  const copy: TaskExecutionStorageValue = {
    taskId: value.taskId,
    executionId: value.executionId,
    isSleepingTask: value.isSleepingTask,
    retryOptions: { ...value.retryOptions },
    sleepMsBeforeRun: value.sleepMsBeforeRun,
    timeoutMs: value.timeoutMs,
    areChildrenSequential: value.areChildrenSequential,
    input: value.input,
    status: value.status,
    isFinished: value.isFinished,
    retryAttempts: value.retryAttempts,
    startAt: value.startAt,
    activeChildrenCount: value.activeChildrenCount,
    onChildrenFinishedProcessingStatus: value.onChildrenFinishedProcessingStatus,
    closeStatus: value.closeStatus,
    needsPromiseCancellation: value.needsPromiseCancellation,
    createdAt: value.createdAt,
    updatedAt: value.updatedAt,
  }
  if (value.root != null) copy.root = copySummary(value.root)
  if (value.parent != null) copy.parent = { ...value.parent }
  if (value.sleepingTaskUniqueId != null) copy.sleepingTaskUniqueId = value.sleepingTaskUniqueId
  if (value.executorId != null) copy.executorId = value.executorId
  if (value.runOutput != null) copy.runOutput = value.runOutput
  if (value.output != null) copy.output = value.output
  if (value.error != null) copy.error = { ...value.error }
  if (value.startedAt != null) copy.startedAt = value.startedAt
  if (value.expiresAt != null) copy.expiresAt = value.expiresAt
  if (value.waitingForChildrenStartedAt != null) {
    copy.waitingForChildrenStartedAt = value.waitingForChildrenStartedAt
  }
  if (value.waitingForFinalizeStartedAt != null) {
    copy.waitingForFinalizeStartedAt = value.waitingForFinalizeStartedAt
  }
  if (value.finishedAt != null) copy.finishedAt = value.finishedAt
  if (value.children != null) copy.children = value.children.map(copySummary)
  if (value.onChildrenFinishedProcessingExpiresAt != null) {
    copy.onChildrenFinishedProcessingExpiresAt = value.onChildrenFinishedProcessingExpiresAt
  }
  if (value.onChildrenFinishedProcessingFinishedAt != null) {
    copy.onChildrenFinishedProcessingFinishedAt = value.onChildrenFinishedProcessingFinishedAt
  }
  if (value.finalize != null) copy.finalize = copySummary(value.finalize)
  if (value.closeExpiresAt != null) copy.closeExpiresAt = value.closeExpiresAt
  if (value.closedAt != null) copy.closedAt = value.closedAt
  if (value.leaseToken != null) copy.leaseToken = value.leaseToken
  // Absent means 0, so a row that never expired reads back exactly as it was inserted.
  if (value.expiryCount != null && value.expiryCount !== 0) copy.expiryCount = value.expiryCount
  return copy
}
