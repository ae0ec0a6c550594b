/**
 * Where-builders and the update -> SET mapping (spec 2.2, 3.4), written once for every dialect
 * with drizzle's operators, so values are always bound parameters encoded by their column.
 */
import { and, eq, type SQL } from 'drizzle-orm'
import {
  TASK_EXECUTION_STORAGE_SETTABLE_FIELDS,
  TASK_EXECUTION_STORAGE_UNSETTABLE_FIELDS,
  type TaskExecutionStorageGetByIdFilters,
  type TaskExecutionStorageUpdate,
} from '../core/index.js'
import type { TaskExecutionsColumnKey, TaskExecutionsColumns, TaskExecutionsSet } from './columns.js'

const FILTER_KEYS = ['isSleepingTask', 'status', 'isFinished', 'leaseToken'] as const satisfies ReadonlyArray<
  keyof TaskExecutionStorageGetByIdFilters & TaskExecutionsColumnKey
>

/** The columns a storage update may write, in the core's fixed order (spec 2.2). */
export const UPDATABLE_KEYS = TASK_EXECUTION_STORAGE_SETTABLE_FIELDS satisfies ReadonlyArray<TaskExecutionsColumnKey>

/** A column key a storage update may write. */
export type UpdatableKey = (typeof UPDATABLE_KEYS)[number]

const UNSETTABLE_KEYS = TASK_EXECUTION_STORAGE_UNSETTABLE_FIELDS satisfies ReadonlyArray<UpdatableKey>

/** The defined filters as `[key, value]` pairs, in a fixed order. */
export function definedFilterEntries(
  filters: TaskExecutionStorageGetByIdFilters | undefined,
): Array<readonly [(typeof FILTER_KEYS)[number], boolean | string]> {
  const entries: Array<readonly [(typeof FILTER_KEYS)[number], boolean | string]> = []
  if (!filters) return entries
  for (const key of FILTER_KEYS) {
    const value = filters[key]
    if (value !== undefined) entries.push([key, value])
  }
  return entries
}

/** The condition of the defined filters, or `undefined` when none is defined. */
export function filtersCondition(
  columns: TaskExecutionsColumns,
  filters: TaskExecutionStorageGetByIdFilters | undefined,
): SQL | undefined {
  return and(...definedFilterEntries(filters).map(([key, value]) => eq(columns[key], value)))
}

/**
 * What an update writes, column by column: `null` for each field named in `unset` (unset wins),
 * the value for every other defined key; keys holding `undefined` are dropped (spec 2.2).
 */
export function updateToColumnValues(update: TaskExecutionStorageUpdate): Map<UpdatableKey, unknown> {
  const values = new Map<UpdatableKey, unknown>()
  for (const key of UPDATABLE_KEYS) {
    const value = update[key]
    if (value !== undefined && value !== null) values.set(key, value)
  }
  const unset = update.unset
  if (unset != null) {
    for (const key of UNSETTABLE_KEYS) if (unset[key] === true) values.set(key, null)
  }
  return values
}

/** The SET map of one update. */
export function updateToSet(update: TaskExecutionStorageUpdate): TaskExecutionsSet {
  return Object.fromEntries(updateToColumnValues(update))
}
