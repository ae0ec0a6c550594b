/**
 * The shape every dialect's task-executions table shares (spec 3.2, 3.3): the row as drizzle
 * reads and writes it, the column keys, and the index list. Dialect files declare column types;
 * names, nullability and indexes come from here so they are written once.
 */
import { sql, type Column, type SQL, type SQLChunk } from 'drizzle-orm'
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

/** One term of a partial index's predicate: the column equals a value, is true, or is not NULL. */
export type TaskExecutionsIndexTerm = {
  readonly column: TaskExecutionsColumnKey
  readonly is: { readonly equals: string } | 'true' | 'not null'
}

/**
 * An index of the task-executions table (spec 3.3): name suffix, uniqueness, columns in order, and
 * the rows it holds where the dialect has partial indexes its queries use (PostgreSQL: a row
 * enters only the indexes whose terms it meets, so a write touches a few indexes, not all twelve).
 */
export type TaskExecutionsIndexSpec = {
  readonly suffix: string
  readonly unique: boolean
  readonly columns: ReadonlyArray<TaskExecutionsColumnKey>
  /** The rows the index holds on dialects with partial indexes: those meeting every term. */
  readonly onlyWhere?: ReadonlyArray<TaskExecutionsIndexTerm>
}

/**
 * The predicate of a partial index, each column rendered by `column` (a drizzle column in table
 * declarations, a bare name in runtime DDL); values are inlined, as DDL takes no parameters.
 */
export function partialIndexPredicate(terms: ReadonlyArray<TaskExecutionsIndexTerm>, column: (key: TaskExecutionsColumnKey) => SQLChunk): SQL {
  return sql.join(
    terms.map(({ column: key, is }) => {
      if (is === 'true') return sql`${column(key)}`
      if (is === 'not null') return sql`${column(key)} is not null`
      return sql`${column(key)} = ${is.equals}`.inlineParams()
    }),
    sql` and `,
  )
}

/** Every index of the table; its name is `ix_<table>_<suffix>`. */
export const TASK_EXECUTIONS_INDEXES: ReadonlyArray<TaskExecutionsIndexSpec> = [
  { suffix: 'execution_id', unique: true, columns: ['executionId'] },
  { suffix: 'sleeping_task_unique_id', unique: true, columns: ['sleepingTaskUniqueId'] },
  // Claims and sweeps look for ready rows only.
  { suffix: 'status_start_at', unique: false, columns: ['status', 'startAt'], onlyWhere: [{ column: 'status', is: { equals: 'ready' } }] },
  {
    suffix: 'status_ocfp_status_acc_updated_at',
    unique: false,
    columns: ['status', 'onChildrenFinishedProcessingStatus', 'activeChildrenCount', 'updatedAt'],
    onlyWhere: [{ column: 'status', is: { equals: 'waiting_for_children' } }],
  },
  { suffix: 'close_status_updated_at', unique: false, columns: ['closeStatus', 'updatedAt'], onlyWhere: [{ column: 'closeStatus', is: { equals: 'ready' } }] },
  {
    suffix: 'status_is_sleeping_task_expires_at',
    unique: false,
    columns: ['status', 'isSleepingTask', 'expiresAt'],
    onlyWhere: [{ column: 'status', is: { equals: 'running' } }],
  },
  {
    suffix: 'on_ocfp_expires_at',
    unique: false,
    columns: ['onChildrenFinishedProcessingExpiresAt'],
    onlyWhere: [{ column: 'onChildrenFinishedProcessingExpiresAt', is: 'not null' }],
  },
  { suffix: 'close_expires_at', unique: false, columns: ['closeExpiresAt'], onlyWhere: [{ column: 'closeExpiresAt', is: 'not null' }] },
  {
    suffix: 'executor_id_npc_updated_at',
    unique: false,
    columns: ['executorId', 'needsPromiseCancellation', 'updatedAt'],
    onlyWhere: [{ column: 'needsPromiseCancellation', is: 'true' }],
  },
  {
    suffix: 'parent_execution_id_is_finished',
    unique: false,
    columns: ['parentExecutionId', 'isFinished'],
    onlyWhere: [{ column: 'parentExecutionId', is: 'not null' }],
  },
  {
    suffix: 'is_finished_close_status_updated_at',
    unique: false,
    columns: ['isFinished', 'closeStatus', 'updatedAt'],
    onlyWhere: [
      { column: 'isFinished', is: 'true' },
      { column: 'closeStatus', is: { equals: 'idle' } },
    ],
  },
]

/** The longest index-name suffix: it bounds the length of a table name. */
export const LONGEST_INDEX_SUFFIX_LENGTH = Math.max(
  ...TASK_EXECUTIONS_INDEXES.map((spec) => spec.suffix.length),
)

/** The spec of the index with this suffix; throws for a suffix no index has (a programming error). */
export function taskExecutionsIndexSpec(suffix: string): TaskExecutionsIndexSpec {
  const spec = TASK_EXECUTIONS_INDEXES.find((candidate) => candidate.suffix === suffix)
  if (spec === undefined) throw new RangeError(`No task-executions index has the suffix ${suffix}`)
  return spec
}

/** The name of one index of a table (without schema). */
export function taskExecutionsIndexName(tableName: string, spec: TaskExecutionsIndexSpec): string {
  return `ix_${tableName}_${spec.suffix}`
}

/** A dialect's index builder: `index(name).on(...columns)` or `uniqueIndex(name).on(...columns)`. */
export type IndexBuilderFn<TColumn, TIndex> = (name: string) => {
  /** The indexed columns, in order. */
  on: (...columns: [TColumn, ...Array<TColumn>]) => TIndex
}

/**
 * The indexes of spec 3.3 built with a dialect's index builders, for its table's extra config;
 * `partial`, for a dialect whose queries use partial indexes, restricts an index to its rows.
 */
export function declareTaskExecutionsIndexes<TColumn, TIndex>(
  tableName: string,
  columns: { readonly [K in TaskExecutionsColumnKey]: TColumn },
  builders: {
    index: IndexBuilderFn<TColumn, TIndex>
    uniqueIndex: IndexBuilderFn<TColumn, TIndex>
    partial?: (index: TIndex, predicate: SQL) => TIndex
  },
): Array<TIndex> {
  const { partial } = builders
  // A dialect's columns are drizzle columns, which SQL templates render.
  const column = (key: TaskExecutionsColumnKey) => columns[key] as SQLChunk
  return TASK_EXECUTIONS_INDEXES.map((spec) => {
    const [first, ...rest] = spec.columns.map((key) => columns[key])
    const build = spec.unique ? builders.uniqueIndex : builders.index
    const index = build(taskExecutionsIndexName(tableName, spec)).on(first!, ...rest)
    return partial && spec.onlyWhere ? partial(index, partialIndexPredicate(spec.onlyWhere, column)) : index
  })
}

/**
 * Columns added after the first release of the table: the runtime DDL adds them to a table it
 * created earlier (the shipped migrations do the same with `ALTER TABLE`).
 */
export const TASK_EXECUTIONS_COLUMNS_ADDED_LATER: ReadonlyArray<TaskExecutionsColumnKey> = ['leaseToken', 'expiryCount']
