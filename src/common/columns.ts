/**
 * The shape every dialect's task-executions table shares (spec 3.2, 3.3): the row as drizzle
 * reads and writes it, the column keys, and the index list. Dialect files declare column types;
 * names, nullability and indexes come from here so they are written once.
 */
import type { Column, SQL } from 'drizzle-orm'
import type { TaskExecutionStorageValue as Value } from '../core/index.js'

/** A task-executions row as drizzle returns it from any dialect (absent values are `null`). */
export type TaskExecutionsRow = {
  id: number
  rootTaskId: string | null
  rootExecutionId: string | null
  parentTaskId: string | null
  parentExecutionId: string | null
  indexInParentChildren: number | null
  isOnlyChildOfParent: boolean | null
  isFinalizeOfParent: boolean | null
  taskId: string
  executionId: string
  isSleepingTask: boolean
  sleepingTaskUniqueId: string | null
  retryOptions: Value['retryOptions']
  sleepMsBeforeRun: number
  timeoutMs: number
  areChildrenSequential: boolean
  input: string
  executorId: string | null
  status: Value['status']
  isFinished: boolean
  runOutput: string | null
  output: string | null
  error: NonNullable<Value['error']> | null
  retryAttempts: number
  startAt: number
  startedAt: number | null
  expiresAt: number | null
  waitingForChildrenStartedAt: number | null
  waitingForFinalizeStartedAt: number | null
  finishedAt: number | null
  children: NonNullable<Value['children']> | null
  activeChildrenCount: number
  onChildrenFinishedProcessingStatus: Value['onChildrenFinishedProcessingStatus']
  onChildrenFinishedProcessingExpiresAt: number | null
  onChildrenFinishedProcessingFinishedAt: number | null
  finalize: NonNullable<Value['finalize']> | null
  closeStatus: Value['closeStatus']
  closeExpiresAt: number | null
  closedAt: number | null
  needsPromiseCancellation: boolean
  createdAt: number
  updatedAt: number
  leaseToken: string | null
  expiryCount: number
}

/** The keys of the columns that may hold `NULL`. */
export type TaskExecutionsNullableColumnKey = {
  [K in keyof TaskExecutionsRow]: null extends TaskExecutionsRow[K] ? K : never
}[keyof TaskExecutionsRow]

/** A row to insert: the database assigns `id`; absent optional values are left out. */
export type TaskExecutionsInsertRow = Omit<TaskExecutionsRow, 'id' | TaskExecutionsNullableColumnKey> &
  Partial<Pick<TaskExecutionsRow, TaskExecutionsNullableColumnKey>>

/** The property key of a task-executions column. */
export type TaskExecutionsColumnKey = keyof TaskExecutionsRow

/** The columns of a task-executions table of any dialect, by property key. */
export type TaskExecutionsColumns = { readonly [K in TaskExecutionsColumnKey]: Column }

/** What a SET clause gives each column: a JavaScript value (encoded by the column) or SQL. */
export type TaskExecutionsSet = {
  [K in Exclude<TaskExecutionsColumnKey, 'id'>]?: TaskExecutionsRow[K] | SQL
}

/** An index of the task-executions table (spec 3.3): name suffix, uniqueness, columns in order. */
export type TaskExecutionsIndexSpec = {
  readonly suffix: string
  readonly unique: boolean
  readonly columns: ReadonlyArray<TaskExecutionsColumnKey>
}

/** Every index of the table; its name is `ix_<table>_<suffix>`. */
export const TASK_EXECUTIONS_INDEXES: ReadonlyArray<TaskExecutionsIndexSpec> = [
  { suffix: 'execution_id', unique: true, columns: ['executionId'] },
  { suffix: 'sleeping_task_unique_id', unique: true, columns: ['sleepingTaskUniqueId'] },
  { suffix: 'status_start_at', unique: false, columns: ['status', 'startAt'] },
  {
    suffix: 'status_ocfp_status_acc_updated_at',
    unique: false,
    columns: ['status', 'onChildrenFinishedProcessingStatus', 'activeChildrenCount', 'updatedAt'],
  },
  { suffix: 'close_status_updated_at', unique: false, columns: ['closeStatus', 'updatedAt'] },
  {
    suffix: 'status_is_sleeping_task_expires_at',
    unique: false,
    columns: ['status', 'isSleepingTask', 'expiresAt'],
  },
  { suffix: 'on_ocfp_expires_at', unique: false, columns: ['onChildrenFinishedProcessingExpiresAt'] },
  { suffix: 'close_expires_at', unique: false, columns: ['closeExpiresAt'] },
  {
    suffix: 'executor_id_npc_updated_at',
    unique: false,
    columns: ['executorId', 'needsPromiseCancellation', 'updatedAt'],
  },
  {
    suffix: 'parent_execution_id_is_finished',
    unique: false,
    columns: ['parentExecutionId', 'isFinished'],
  },
  {
    suffix: 'is_finished_close_status_updated_at',
    unique: false,
    columns: ['isFinished', 'closeStatus', 'updatedAt'],
  },
]

/** The longest index-name suffix: it bounds the length of a table name. */
export const LONGEST_INDEX_SUFFIX_LENGTH = Math.max(
  ...TASK_EXECUTIONS_INDEXES.map((spec) => spec.suffix.length),
)

/** The name of one index of a table (without schema). */
export function taskExecutionsIndexName(tableName: string, spec: TaskExecutionsIndexSpec): string {
  return `ix_${tableName}_${spec.suffix}`
}

/** A dialect's index builder: `index(name).on(...columns)` or `uniqueIndex(name).on(...columns)`. */
export type IndexBuilderFn<TColumn, TIndex> = (name: string) => {
  /** The indexed columns, in order. */
  on: (...columns: [TColumn, ...Array<TColumn>]) => TIndex
}

/** The indexes of spec 3.3 built with a dialect's index builders, for its table's extra config. */
export function declareTaskExecutionsIndexes<TColumn, TIndex>(
  tableName: string,
  columns: { readonly [K in TaskExecutionsColumnKey]: TColumn },
  builders: { index: IndexBuilderFn<TColumn, TIndex>; uniqueIndex: IndexBuilderFn<TColumn, TIndex> },
): Array<TIndex> {
  return TASK_EXECUTIONS_INDEXES.map((spec) => {
    const [first, ...rest] = spec.columns.map((key) => columns[key])
    const build = spec.unique ? builders.uniqueIndex : builders.index
    return build(taskExecutionsIndexName(tableName, spec)).on(first!, ...rest)
  })
}

/**
 * Columns added after the first release of the table: the runtime DDL adds them to a table it
 * created earlier (the shipped migrations do the same with `ALTER TABLE`).
 */
export const TASK_EXECUTIONS_COLUMNS_ADDED_LATER: ReadonlyArray<TaskExecutionsColumnKey> = ['leaseToken', 'expiryCount']
