/**
 * Merging conditional updates (design.md "Batching", spec 2.7). Requests that filter on the same
 * columns and write the same columns become one UPDATE keyed by an id column, with per-row
 * values as `CASE <key> WHEN … THEN … END`, in SET and in WHERE alike (each run's write filters on
 * its own lease token); a value shared by all rows is bound once. A key that appears twice goes to
 * a later round, so two updates of one row keep their order.
 */
import { and, eq, sql, type SQL, type SQLChunk } from 'drizzle-orm'
import type { TaskExecutionStorageUpdate } from '../core/index.js'
import type { TaskExecutionsColumnKey, TaskExecutionsColumns, TaskExecutionsSet } from './columns.js'
import { updateToColumnValues, type UpdatableKey } from './conditions.js'
import { chunkItems, estimateValueBytes, type ChunkLimits } from '../sql/chunks.js'
import { caseByKeyExpression } from '../sql/flat-statements.js'

/**
 * One request to merge: the row key, the equality filters shared by its shape, the update, and
 * what the update writes column by column when the caller listed it already ({@link toMergeable}):
 * planning, chunking and building each read it, and listing it once per request saves the rest.
 */
export type MergeableUpdate = {
  readonly key: string
  readonly filters: ReadonlyArray<readonly [TaskExecutionsColumnKey, unknown]>
  readonly update: TaskExecutionStorageUpdate
  readonly columnValues?: ReadonlyMap<UpdatableKey, unknown>
}

/** A request to merge, with its column values listed once. */
export function toMergeable(
  key: string,
  filters: ReadonlyArray<readonly [TaskExecutionsColumnKey, unknown]>,
  update: TaskExecutionStorageUpdate,
): MergeableUpdate {
  return { key, filters, update, columnValues: updateToColumnValues(update) }
}

function columnValuesOf(request: MergeableUpdate): ReadonlyMap<UpdatableKey, unknown> {
  return request.columnValues ?? updateToColumnValues(request.update)
}

/** Requests (by index) that one statement may update together. */
export type MergeGroup = ReadonlyArray<number>

/** The filtered and written columns (and which are written NULL), as text: column keys hold none of `,|=`. */
function shapeOf(request: MergeableUpdate): string {
  let shape = ''
  for (const [key] of request.filters) shape += `${key},`
  shape += '|'
  for (const [key, value] of columnValuesOf(request)) shape += value === null ? `${key}=null,` : `${key},`
  return shape
}

/** The group of a round that holds the requests `canMerge` rejects (run together, not merged). */
const UNMERGEABLE = '(unmergeable)'

/**
 * Rounds of groups: every key appears at most once per round, rounds run one after another, and
 * the requests of one group share a shape. The requests that `canMerge` rejects form one group
 * per round of their own, which the caller runs without merging them.
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
    const shape = canMerge(index) ? shapeOf(request) : UNMERGEABLE
    const group = groups.get(shape)
    if (group === undefined) groups.set(shape, [index])
    else group.push(index)
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
  const parametersPerRequest = 2 + (first ? columnValuesOf(first).size : 0)
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
  typedValue: (value: unknown, column: TaskExecutionsColumns[TaskExecutionsColumnKey]) => ReadonlyArray<SQLChunk>,
  keyColumn: TaskExecutionsColumnKey,
  requests: ReadonlyArray<MergeableUpdate>,
): { set: TaskExecutionsSet; where: SQL } {
  const [first] = requests
  if (!first) throw new RangeError('buildMergedUpdate needs at least one request')
  const perRequest = requests.map(columnValuesOf)
  const set: TaskExecutionsSet = {}
  for (const column of perRequest[0]?.keys() ?? []) {
    const values = perRequest.map((columnValues) => columnValues.get(column))
    ;(set as Record<string, unknown>)[column] = values.every((value) => sameValue(value, values[0]))
      ? values[0]
      : caseByKey(columns, typedValue, keyColumn, column, requests, values)
  }
  const filterConditions = first.filters.map(([column], position) => {
    const values = requests.map((request) => request.filters[position]?.[1])
    return values.every((value) => sameValue(value, values[0]))
      ? eq(columns[column], values[0])
      : // Each row keeps its own condition: `column = CASE key WHEN k1 THEN v1 … END`.
        sql`${columns[column]} = ${caseByKeyExpression(
          columns[keyColumn],
          requests.map((request, index) => [request.key, typedValue(values[index], columns[column])]),
        )}`
  })
  const where = and(sql`${columns[keyColumn]} in ${requests.map((request) => request.key)}`, ...filterConditions)
  return { set, where: where ?? sql`false` }
}

function caseByKey(
  columns: TaskExecutionsColumns,
  typedValue: (value: unknown, column: TaskExecutionsColumns[TaskExecutionsColumnKey]) => ReadonlyArray<SQLChunk>,
  keyColumn: TaskExecutionsColumnKey,
  column: UpdatableKey,
  requests: ReadonlyArray<MergeableUpdate>,
  values: ReadonlyArray<unknown>,
): SQL {
  return caseByKeyExpression(
    columns[keyColumn],
    requests.map((request, index) => [request.key, typedValue(values[index], columns[column])]),
  )
}
