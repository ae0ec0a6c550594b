/**
 * Row <-> value mapping (spec 3.4): `root` and `parent` are flattened into columns, absent values
 * are SQL `NULL` and come back as missing properties (tested with `!= null`, so `0` and `''`
 * survive), and JSON columns are decoded defensively because MariaDB returns them as strings.
 */
import type { Column } from 'drizzle-orm'
import type { TaskExecutionChildResult, TaskExecutionStorageValue } from '../core/index.js'
import type { TaskExecutionsColumnKey, TaskExecutionsColumns, TaskExecutionsInsertRow, TaskExecutionsRow } from './columns.js'

/** The row to insert for a value. */
export function taskExecutionValueToInsertRow(value: TaskExecutionStorageValue): TaskExecutionsInsertRow {
  return {
    rootTaskId: value.root?.taskId,
    rootExecutionId: value.root?.executionId,
    parentTaskId: value.parent?.taskId,
    parentExecutionId: value.parent?.executionId,
    indexInParentChildren: value.parent?.indexInParentChildren,
    isOnlyChildOfParent: value.parent?.isOnlyChildOfParent,
    isFinalizeOfParent: value.parent?.isFinalizeOfParent,
    taskId: value.taskId,
    executionId: value.executionId,
    isSleepingTask: value.isSleepingTask,
    sleepingTaskUniqueId: value.sleepingTaskUniqueId,
    retryOptions: value.retryOptions,
    sleepMsBeforeRun: value.sleepMsBeforeRun,
    timeoutMs: value.timeoutMs,
    areChildrenSequential: value.areChildrenSequential,
    input: value.input,
    executorId: value.executorId,
    status: value.status,
    isFinished: value.isFinished,
    runOutput: value.runOutput,
    output: value.output,
    error: value.error,
    retryAttempts: value.retryAttempts,
    startAt: value.startAt,
    startedAt: value.startedAt,
    expiresAt: value.expiresAt,
    waitingForChildrenStartedAt: value.waitingForChildrenStartedAt,
    waitingForFinalizeStartedAt: value.waitingForFinalizeStartedAt,
    finishedAt: value.finishedAt,
    children: value.children,
    activeChildrenCount: value.activeChildrenCount,
    onChildrenFinishedProcessingStatus: value.onChildrenFinishedProcessingStatus,
    onChildrenFinishedProcessingExpiresAt: value.onChildrenFinishedProcessingExpiresAt,
    onChildrenFinishedProcessingFinishedAt: value.onChildrenFinishedProcessingFinishedAt,
    finalize: value.finalize,
    closeStatus: value.closeStatus,
    closeExpiresAt: value.closeExpiresAt,
    closedAt: value.closedAt,
    needsPromiseCancellation: value.needsPromiseCancellation,
    createdAt: value.createdAt,
    updatedAt: value.updatedAt,
    leaseToken: value.leaseToken,
    expiryCount: value.expiryCount ?? 0,
  }
}

/**
 * Parses a JSON column value that a driver handed back as text (MariaDB); objects pass through.
 * JSON columns hold only objects and arrays (the storage checks refuse anything else before it is
 * written), so a string here is always undecoded text and is parsed exactly once.
 */
export function decodeJsonColumn<T>(value: T | string): T {
  return typeof value === 'string' ? (JSON.parse(value) as T) : value
}

/** The storage value of a row; a fresh object that shares nothing with the row. */
export function taskExecutionRowToValue(row: TaskExecutionsRow): TaskExecutionStorageValue {
  // Absent fields are never set (not set to undefined and deleted: a deleted property slows
  // every later read of the object).
  const value: TaskExecutionStorageValue = {
    taskId: row.taskId,
    executionId: row.executionId,
    isSleepingTask: Boolean(row.isSleepingTask),
    retryOptions: { ...decodeJsonColumn(row.retryOptions) },
    sleepMsBeforeRun: Number(row.sleepMsBeforeRun),
    timeoutMs: Number(row.timeoutMs),
    areChildrenSequential: Boolean(row.areChildrenSequential),
    input: row.input,
    status: row.status,
    isFinished: Boolean(row.isFinished),
    retryAttempts: Number(row.retryAttempts),
    startAt: Number(row.startAt),
    activeChildrenCount: Number(row.activeChildrenCount),
    onChildrenFinishedProcessingStatus: row.onChildrenFinishedProcessingStatus,
    closeStatus: row.closeStatus,
    needsPromiseCancellation: Boolean(row.needsPromiseCancellation),
    createdAt: Number(row.createdAt),
    updatedAt: Number(row.updatedAt),
  }
  if (row.rootTaskId != null && row.rootExecutionId != null) value.root = { taskId: row.rootTaskId, executionId: row.rootExecutionId }
  if (row.parentTaskId != null && row.parentExecutionId != null) {
    value.parent = {
      taskId: row.parentTaskId,
      executionId: row.parentExecutionId,
      indexInParentChildren: row.indexInParentChildren ?? 0,
      isOnlyChildOfParent: row.isOnlyChildOfParent ?? false,
      isFinalizeOfParent: row.isFinalizeOfParent ?? false,
    }
  }
  if (row.sleepingTaskUniqueId != null) value.sleepingTaskUniqueId = row.sleepingTaskUniqueId
  if (row.executorId != null) value.executorId = row.executorId
  if (row.runOutput != null) value.runOutput = row.runOutput
  if (row.output != null) value.output = row.output
  if (row.error != null) value.error = { ...decodeJsonColumn(row.error) }
  if (row.startedAt != null) value.startedAt = Number(row.startedAt)
  if (row.expiresAt != null) value.expiresAt = Number(row.expiresAt)
  if (row.waitingForChildrenStartedAt != null) value.waitingForChildrenStartedAt = Number(row.waitingForChildrenStartedAt)
  if (row.waitingForFinalizeStartedAt != null) value.waitingForFinalizeStartedAt = Number(row.waitingForFinalizeStartedAt)
  if (row.finishedAt != null) value.finishedAt = Number(row.finishedAt)
  if (row.children != null) value.children = decodeJsonColumn(row.children).map((child) => ({ ...child }))
  if (row.onChildrenFinishedProcessingExpiresAt != null) {
    value.onChildrenFinishedProcessingExpiresAt = Number(row.onChildrenFinishedProcessingExpiresAt)
  }
  if (row.onChildrenFinishedProcessingFinishedAt != null) {
    value.onChildrenFinishedProcessingFinishedAt = Number(row.onChildrenFinishedProcessingFinishedAt)
  }
  if (row.finalize != null) value.finalize = { ...decodeJsonColumn(row.finalize) }
  if (row.closeExpiresAt != null) value.closeExpiresAt = Number(row.closeExpiresAt)
  if (row.closedAt != null) value.closedAt = Number(row.closedAt)
  if (row.leaseToken != null) value.leaseToken = row.leaseToken
  // Absent means 0, so a row that never expired reads back exactly as it was inserted.
  if (Number(row.expiryCount) > 0) value.expiryCount = Number(row.expiryCount)
  return value
}

/**
 * A hand-written reader of raw driver rows (keyed by column name) holding every column, into
 * rows keyed by column key: each column decoded by its own driver mapping, as drizzle's select
 * would, without drizzle's per-row walk over a selection. `NULL` stays `null`.
 */
export function createRowReader(fields: Readonly<Record<string, Column>>): (raw: Record<string, unknown>) => TaskExecutionsRow {
  const keys = Object.keys(fields)
  const names = keys.map((key) => fields[key]!.name)
  // A column whose class keeps drizzle's identity mapping (text, varchar) is not called per row.
  const decoders = keys.map((key) => (hasIdentityMapping(fields[key]!) ? undefined : fields[key]!))
  return (raw) => {
    const row: Record<string, unknown> = {}
    for (let position = 0; position < keys.length; position++) {
      const value = raw[names[position]!]
      const decoder = decoders[position]
      row[keys[position]!] = value == null ? null : decoder === undefined ? value : decoder.mapFromDriverValue(value)
    }
    return row as TaskExecutionsRow
  }
}

/** Whether `column` maps driver values as drizzle's base `Column` does: not at all. */
function hasIdentityMapping(column: Column): boolean {
  let prototype: unknown = Object.getPrototypeOf(column)
  while (prototype !== null && !Object.prototype.hasOwnProperty.call(prototype, 'mapFromDriverValue')) prototype = Object.getPrototypeOf(prototype)
  // The first class that defines it is the root of the chain (drizzle's Column), whose mapping returns its value.
  return prototype !== null && Object.getPrototypeOf(prototype) === Object.prototype
}

/**
 * The columns a run reads of a row it claimed from `ready` (see {@link createRunValueReader}): the
 * fields every status holds, the previous attempt's `error`, and what the claim writes.
 */
export const RUN_COLUMN_KEYS = [
  'rootTaskId',
  'rootExecutionId',
  'parentTaskId',
  'parentExecutionId',
  'indexInParentChildren',
  'isOnlyChildOfParent',
  'isFinalizeOfParent',
  'taskId',
  'executionId',
  'isSleepingTask',
  'sleepingTaskUniqueId',
  'retryOptions',
  'sleepMsBeforeRun',
  'timeoutMs',
  'areChildrenSequential',
  'input',
  'executorId',
  'status',
  'error',
  'retryAttempts',
  'startAt',
  'startedAt',
  'expiresAt',
  'createdAt',
  'updatedAt',
  'leaseToken',
  'expiryCount',
] as const satisfies ReadonlyArray<TaskExecutionsColumnKey>

/**
 * A hand-written reader of raw driver rows (keyed by column name) holding the
 * {@link RUN_COLUMN_KEYS} of rows claimed from `ready`, into storage values: each column decoded
 * once by its own driver mapping, without drizzle's per-row walk over a selection. A `ready` row
 * holds nothing else (spec 1.6.1, 1.7: output, children, finalize, the waiting, finishing and closing
 * fields are written only once a run has ended), so every other field is what a `ready` row holds.
 */
export function createRunValueReader(columns: TaskExecutionsColumns): (row: Record<string, unknown>) => TaskExecutionStorageValue {
  const read = createColumnReader(columns, RUN_COLUMN_KEYS)
  const text = (row: Record<string, unknown>, key: RunColumnKey) => read(row, key) as string | undefined
  const number = (row: Record<string, unknown>, key: RunColumnKey) => {
    const value = read(row, key)
    return value === undefined ? undefined : Number(value)
  }
  return (row) => {
    const value: TaskExecutionStorageValue = {
      taskId: text(row, 'taskId')!,
      executionId: text(row, 'executionId')!,
      isSleepingTask: Boolean(read(row, 'isSleepingTask')),
      retryOptions: { ...decodeJsonColumn(read(row, 'retryOptions') as TaskExecutionStorageValue['retryOptions']) },
      sleepMsBeforeRun: number(row, 'sleepMsBeforeRun')!,
      timeoutMs: number(row, 'timeoutMs')!,
      areChildrenSequential: Boolean(read(row, 'areChildrenSequential')),
      input: text(row, 'input')!,
      status: text(row, 'status') as TaskExecutionStorageValue['status'],
      isFinished: false,
      retryAttempts: number(row, 'retryAttempts')!,
      startAt: number(row, 'startAt')!,
      activeChildrenCount: 0,
      onChildrenFinishedProcessingStatus: 'idle',
      closeStatus: 'idle',
      needsPromiseCancellation: false,
      createdAt: number(row, 'createdAt')!,
      updatedAt: number(row, 'updatedAt')!,
    }
    const rootTaskId = text(row, 'rootTaskId')
    const rootExecutionId = text(row, 'rootExecutionId')
    if (rootTaskId !== undefined && rootExecutionId !== undefined) value.root = { taskId: rootTaskId, executionId: rootExecutionId }
    const parentTaskId = text(row, 'parentTaskId')
    const parentExecutionId = text(row, 'parentExecutionId')
    if (parentTaskId !== undefined && parentExecutionId !== undefined) {
      value.parent = {
        taskId: parentTaskId,
        executionId: parentExecutionId,
        indexInParentChildren: number(row, 'indexInParentChildren') ?? 0,
        isOnlyChildOfParent: Boolean(read(row, 'isOnlyChildOfParent') ?? false),
        isFinalizeOfParent: Boolean(read(row, 'isFinalizeOfParent') ?? false),
      }
    }
    const sleepingTaskUniqueId = text(row, 'sleepingTaskUniqueId')
    if (sleepingTaskUniqueId !== undefined) value.sleepingTaskUniqueId = sleepingTaskUniqueId
    const executorId = text(row, 'executorId')
    if (executorId !== undefined) value.executorId = executorId
    const error = read(row, 'error')
    if (error !== undefined) value.error = { ...decodeJsonColumn(error as NonNullable<TaskExecutionStorageValue['error']>) }
    const startedAt = number(row, 'startedAt')
    if (startedAt !== undefined) value.startedAt = startedAt
    const expiresAt = number(row, 'expiresAt')
    if (expiresAt !== undefined) value.expiresAt = expiresAt
    const leaseToken = text(row, 'leaseToken')
    if (leaseToken !== undefined) value.leaseToken = leaseToken
    const expiryCount = number(row, 'expiryCount') ?? 0
    // Absent means 0, as in taskExecutionRowToValue.
    if (expiryCount > 0) value.expiryCount = expiryCount
    return value
  }
}

/** One of {@link RUN_COLUMN_KEYS}. */
type RunColumnKey = (typeof RUN_COLUMN_KEYS)[number]

/**
 * A reader of one of `keys`' columns from a raw driver row (keyed by column name): `null` stays
 * absent (`undefined`), anything else is decoded by its column, as drizzle would.
 */
function createColumnReader<TKey extends TaskExecutionsColumnKey>(
  columns: TaskExecutionsColumns,
  keys: ReadonlyArray<TKey>,
): (row: Record<string, unknown>, key: TKey) => unknown {
  const name = Object.fromEntries(keys.map((key) => [key, columns[key].name])) as Record<TKey, string>
  return (row, key) => {
    const raw = row[name[key]]
    return raw == null ? undefined : columns[key].mapFromDriverValue(raw)
  }
}

/** The columns {@link createChildResultReader} reads: a child's result and its parent's id. */
export const CHILD_RESULT_COLUMN_KEYS = ['parentExecutionId', 'taskId', 'executionId', 'status', 'output', 'error'] as const satisfies ReadonlyArray<TaskExecutionsColumnKey>

/**
 * A reader of raw driver rows (keyed by column name) holding the {@link CHILD_RESULT_COLUMN_KEYS}
 * into child results with their parent's id, each column decoded as {@link taskExecutionRowToValue}
 * decodes it.
 */
export function createChildResultReader(
  columns: TaskExecutionsColumns,
): (raw: Record<string, unknown>) => { parentExecutionId: unknown; result: TaskExecutionChildResult } {
  const read = createColumnReader(columns, CHILD_RESULT_COLUMN_KEYS)
  return (raw) => {
    const result: TaskExecutionChildResult = {
      taskId: read(raw, 'taskId') as string,
      executionId: read(raw, 'executionId') as string,
      status: read(raw, 'status') as TaskExecutionChildResult['status'],
    }
    const output = read(raw, 'output') as string | undefined
    if (output !== undefined) result.output = output
    const error = read(raw, 'error') as TaskExecutionStorageValue['error'] | string | undefined
    if (error !== undefined) result.error = { ...decodeJsonColumn(error) }
    return { parentExecutionId: read(raw, 'parentExecutionId'), result }
  }
}
