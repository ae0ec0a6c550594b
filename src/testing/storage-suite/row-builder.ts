/**
 * Test rows for the storage conformance suite: random ids, and rows built by the initial-record
 * rules of spec 1.4 (`retryOptions {maxAttempts: 0}`, `timeoutMs 1000`, input `''`) with any field
 * overridden.
 */
import { generateExecutorId, generateTaskExecutionId } from '../../core/ids.js'
import { createTaskExecutionStorageValue } from '../../core/storage-value.js'
import type {
  ParentTaskExecutionSummary,
  TaskExecutionStorageValue,
  TaskExecutionSummary,
} from '../../core/storage.js'

const LOWERCASE_ALPHANUMERIC = 'abcdefghijklmnopqrstuvwxyz0123456789'

function randomSuffix(length: number): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(length))
  let suffix = ''
  for (const byte of bytes) suffix += LOWERCASE_ALPHANUMERIC[byte % LOWERCASE_ALPHANUMERIC.length]
  return suffix
}

/** A fresh random task id (`t_…`). */
export function randomTaskId(): string {
  return `t_${randomSuffix(16)}`
}

/** A fresh random execution id (`te_…`). */
export function randomExecutionId(): string {
  return generateTaskExecutionId()
}

/** A fresh random executor id (`de_…`). */
export function randomExecutorId(): string {
  return generateExecutorId()
}

/** A fresh random sleeping-task unique id. */
export function randomSleepingTaskUniqueId(): string {
  return `unique_${randomSuffix(20)}`
}

/** Options of {@link buildTaskExecutionRow}: any field of the row, plus the insert time. */
export type BuildTaskExecutionRowOptions = Partial<TaskExecutionStorageValue> & {
  /** Insert time (`createdAt`, `updatedAt`, `startAt`); defaults to `Date.now()`. */
  now?: number
}

/**
 * A new row with random task and execution ids, built by the initial-record rules; a
 * `sleepingTaskUniqueId` makes it a running sleeping-task row. Overrides are applied last; an
 * override holding `undefined` removes that field.
 */
export function buildTaskExecutionRow(
  options: BuildTaskExecutionRowOptions = {},
): TaskExecutionStorageValue {
  const { now = Date.now(), ...overrides } = options
  const base = createTaskExecutionStorageValue({
    now,
    taskId: overrides.taskId ?? randomTaskId(),
    executionId: overrides.executionId ?? randomExecutionId(),
    retryOptions: { maxAttempts: 0 },
    sleepMsBeforeRun: 0,
    timeoutMs: 1000,
    input: '',
    sleepingTaskUniqueId: overrides.sleepingTaskUniqueId,
  })
  const row: Record<string, unknown> = { ...base, ...overrides }
  for (const [key, value] of Object.entries(row)) {
    if (value === undefined) delete row[key]
  }
  return row as TaskExecutionStorageValue
}

/** The summary of a row: exactly `taskId` and `executionId`. */
export function summaryOf(row: TaskExecutionStorageValue): TaskExecutionSummary {
  return { taskId: row.taskId, executionId: row.executionId }
}

/** The `parent` link a child of `parent` carries, as the executor builds it for ordinary children. */
export function parentLinkTo(
  parent: TaskExecutionStorageValue,
  link: Partial<Omit<ParentTaskExecutionSummary, 'taskId' | 'executionId'>> = {},
): ParentTaskExecutionSummary {
  return {
    taskId: parent.taskId,
    executionId: parent.executionId,
    indexInParentChildren: link.indexInParentChildren ?? 0,
    isOnlyChildOfParent: link.isOnlyChildOfParent ?? false,
    isFinalizeOfParent: link.isFinalizeOfParent ?? false,
  }
}

/** A child row of `parent` with `root` and `parent` filled as the executor does (spec 1.1). */
export function buildChildRow(
  parent: TaskExecutionStorageValue,
  options: BuildTaskExecutionRowOptions & {
    link?: Partial<Omit<ParentTaskExecutionSummary, 'taskId' | 'executionId'>>
  } = {},
): TaskExecutionStorageValue {
  const { link, ...rowOptions } = options
  return buildTaskExecutionRow({
    root: parent.root ?? summaryOf(parent),
    parent: parentLinkTo(parent, link),
    ...rowOptions,
  })
}
