/**
 * Merging conditional updates (design.md "Batching", spec 2.7). Requests whose filters and
 * written columns have the same shape become one UPDATE keyed by an id column, with per-row
 * values as `CASE <key> WHEN … THEN … END`; a value shared by all rows is bound once. A key that
 * appears twice goes to a later round, so two updates of one row keep their order.
 */
import { and, eq, inArray, sql, type SQL } from 'drizzle-orm'
import type { TaskExecutionStorageUpdate } from '../core/index.js'
import type { TaskExecutionsColumnKey, TaskExecutionsColumns, TaskExecutionsSet } from './columns.js'
import { updateToColumnValues, type UpdatableKey } from './conditions.js'
import { chunkItems, estimateValueBytes, type ChunkLimits } from '../sql/chunks.js'

/** One request to merge: the row key, the equality filters shared by its shape, the update. */
export type MergeableUpdate = {
  readonly key: string
  readonly filters: ReadonlyArray<readonly [TaskExecutionsColumnKey, unknown]>
  readonly update: TaskExecutionStorageUpdate
}

/** Requests (by index) that one statement may update together. */
export type MergeGroup = ReadonlyArray<number>

function shapeOf(request: MergeableUpdate): string {
  const written = [...updateToColumnValues(request.update)].map(([key, value]) =>
    value === null ? `${key}=null` : key,
  )
  return JSON.stringify([request.filters, written])
}

/**
 * Rounds of groups: every key appears at most once per round, rounds run one after another, and
 * the requests of one group share a shape. A request that `canMerge` rejects gets a group alone.
 */
export function planMergedUpdates(
  requests: ReadonlyArray<MergeableUpdate>,
  canMerge: (index: number) => boolean = () => true,
): Array<Array<MergeGroup>> {
  const rounds: Array<Map<string, Array<number>>> = []
  const occurrences = new Map<string, number>()
  requests.forEach((request, index) => {
    const round = occurrences.get(request.key) ?? 0
    occurrences.set(request.key, round + 1)
    const groups = (rounds[round] ??= new Map())
    const shape = canMerge(index) ? shapeOf(request) : `alone:${index}`
    groups.set(shape, [...(groups.get(shape) ?? []), index])
  })
  return rounds.map((groups) => [...groups.values()])
}

/** Chunks of one group, each within the statement limits. */
export function chunkMergeGroup(
  requests: ReadonlyArray<MergeableUpdate>,
  group: MergeGroup,
  limits: { readonly boundParameters: number; readonly statementBytes: number },
): Array<Array<number>> {
  const first = requests[group[0] ?? -1]
  const parametersPerRequest = 2 + (first ? updateToColumnValues(first.update).size : 0)
  const chunkLimits: ChunkLimits = {
    maxItems: Math.floor((limits.boundParameters - 64) / parametersPerRequest),
    maxBytes: limits.statementBytes,
  }
  return chunkItems(group, chunkLimits, (index) => estimateValueBytes(requests[index]?.update))
}

function sameValue(left: unknown, right: unknown): boolean {
  if (left === right) return true
  return typeof left === 'object' && JSON.stringify(left) === JSON.stringify(right)
}

/** The SET map and WHERE condition of one merged statement over requests of one shape. */
export function buildMergedUpdate(
  columns: TaskExecutionsColumns,
  typedParameter: (value: unknown, column: TaskExecutionsColumns[TaskExecutionsColumnKey]) => SQL,
  keyColumn: TaskExecutionsColumnKey,
  requests: ReadonlyArray<MergeableUpdate>,
): { set: TaskExecutionsSet; where: SQL } {
  const [first] = requests
  if (!first) throw new RangeError('buildMergedUpdate needs at least one request')
  const perRequest = requests.map((request) => updateToColumnValues(request.update))
  const set: TaskExecutionsSet = {}
  for (const column of perRequest[0]?.keys() ?? []) {
    const values = perRequest.map((columnValues) => columnValues.get(column))
    ;(set as Record<string, unknown>)[column] = values.every((value) => sameValue(value, values[0]))
      ? values[0]
      : caseByKey(columns, typedParameter, keyColumn, column, requests, values)
  }
  const where = and(
    inArray(columns[keyColumn], requests.map((request) => request.key)),
    ...first.filters.map(([column, value]) => eq(columns[column], value)),
  )
  return { set, where: where ?? sql`false` }
}

function caseByKey(
  columns: TaskExecutionsColumns,
  typedParameter: (value: unknown, column: TaskExecutionsColumns[TaskExecutionsColumnKey]) => SQL,
  keyColumn: TaskExecutionsColumnKey,
  column: UpdatableKey,
  requests: ReadonlyArray<MergeableUpdate>,
  values: ReadonlyArray<unknown>,
): SQL {
  const branches = requests.map(
    (request, index) => sql`when ${request.key} then ${typedParameter(values[index], columns[column])}`,
  )
  return sql`(case ${columns[keyColumn]} ${sql.join(branches, sql` `)} end)`
}
