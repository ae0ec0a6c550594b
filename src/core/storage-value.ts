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

type SettableField = Exclude<keyof TaskExecutionStorageUpdate, 'unset'>

// Listed explicitly so that stray keys on an update object (from untyped callers) never reach a row.
const SETTABLE_FIELDS = [
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
  'updatedAt',
] as const satisfies ReadonlyArray<SettableField>

const UNSETTABLE_FIELDS = [
  'executorId',
  'runOutput',
  'error',
  'startedAt',
  'expiresAt',
  'onChildrenFinishedProcessingExpiresAt',
  'closeExpiresAt',
] as const satisfies ReadonlyArray<keyof TaskExecutionStorageUnset>

function copyUpdateFieldValue(field: SettableField, fieldValue: unknown): unknown {
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
  for (const field of SETTABLE_FIELDS) {
    const fieldValue = source[field]
    if (fieldValue == null) continue
    target[field] = copyUpdateFieldValue(field, fieldValue)
  }
  if (updateExpiresAtWithStartedAt) {
    result.expiresAt = updateExpiresAtWithStartedAt + value.timeoutMs
  }
  const unset = update.unset
  if (unset) {
    for (const field of UNSETTABLE_FIELDS) {
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
  return true
}

/**
 * A deep copy of a value that shares no object with it. Keys holding `undefined` or `null` are
 * dropped, so absent fields are really absent in the copy.
 */
export function cloneTaskExecutionStorageValue(
  value: TaskExecutionStorageValue,
): TaskExecutionStorageValue {
  const copy: Record<string, unknown> = {}
  for (const [key, fieldValue] of Object.entries(value)) {
    if (fieldValue == null) continue
    copy[key] = fieldValue
  }
  const result = copy as TaskExecutionStorageValue
  if (value.root) result.root = { ...value.root }
  if (value.parent) result.parent = { ...value.parent }
  result.retryOptions = { ...value.retryOptions }
  if (value.error) result.error = { ...value.error }
  if (value.children) result.children = value.children.map((child) => ({ ...child }))
  if (value.finalize) result.finalize = { ...value.finalize }
  return result
}
