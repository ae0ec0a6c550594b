/**
 * By-id filter combinations for a given row: the eight that match it (every subset of the three
 * filter keys with the row's values) and the ones that must not (each non-empty subset with one
 * key holding a wrong value), so AND-semantics is checked key by key.
 */
import type {
  TaskExecutionStorageGetByIdFilters,
  TaskExecutionStorageValue,
} from '../../core/storage.js'

type FilterKey = 'status' | 'isSleepingTask' | 'isFinished'

const FILTER_KEYS: ReadonlyArray<FilterKey> = ['status', 'isSleepingTask', 'isFinished']

function subsetsOfFilterKeys(): Array<Array<FilterKey>> {
  const subsets: Array<Array<FilterKey>> = []
  for (let mask = 0; mask < 1 << FILTER_KEYS.length; mask++) {
    subsets.push(FILTER_KEYS.filter((_, index) => (mask & (1 << index)) !== 0))
  }
  return subsets
}

function rightFilters(
  row: TaskExecutionStorageValue,
  keys: ReadonlyArray<FilterKey>,
): TaskExecutionStorageGetByIdFilters {
  const filters: TaskExecutionStorageGetByIdFilters = {}
  for (const key of keys) {
    if (key === 'status') filters.status = row.status
    else filters[key] = row[key]
  }
  return filters
}

/** The eight filter sets that match `row`, from `{}` to all three keys. */
export function matchingFilters(
  row: TaskExecutionStorageValue,
): Array<TaskExecutionStorageGetByIdFilters> {
  return subsetsOfFilterKeys().map((keys) => rightFilters(row, keys))
}

/** Filter sets that must not match `row`: each non-empty subset with exactly one wrong key. */
export function nonMatchingFilters(
  row: TaskExecutionStorageValue,
): Array<TaskExecutionStorageGetByIdFilters> {
  const combinations: Array<TaskExecutionStorageGetByIdFilters> = []
  for (const keys of subsetsOfFilterKeys()) {
    for (const wrongKey of keys) {
      const filters = rightFilters(row, keys)
      if (wrongKey === 'status') filters.status = row.status === 'running' ? 'ready' : 'running'
      else filters[wrongKey] = !row[wrongKey]
      combinations.push(filters)
    }
  }
  return combinations
}
