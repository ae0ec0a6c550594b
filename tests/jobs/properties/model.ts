/**
 * The reference model of the job-repository properties: what the workflows, idempotency keys and
 * steps hold, and what a filter, an ordering and a state-machine move must give. Written from the
 * rules (SQL's three-valued comparisons, NULLs first in ascending order, strings by code point),
 * not from the code under test.
 */
import type { WorkflowRow, WorkflowStatus } from '../../../src/jobs/index.js'
import type { Condition } from './arbitraries.js'

/** A workflow row as the model keeps it (`id` is the backend's own id). */
export type ModelWorkflow = WorkflowRow

/** What a payload reads back as: JSON's own round trip (`undefined` is stored as null). */
export const asStored = (payload: unknown): unknown => (payload === undefined ? null : (JSON.parse(JSON.stringify(payload)) as unknown))

/** Which statuses may move to each status (the README's state machine of workflows). */
export const WORKFLOW_MOVES: Readonly<Record<string, ReadonlyArray<WorkflowStatus>>> = {
  running: ['pending', 'failed'],
  completed: ['running'],
  failed: ['running'],
  paused: ['pending', 'running'],
  pending: ['paused'],
}

/** Numbers numerically, strings by Unicode code point (byte order of UTF-8). */
export function compareScalars(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a === b ? 0 : a < b ? -1 : 1
  const left = [...String(a)]
  const right = [...String(b)]
  for (let index = 0; index < Math.min(left.length, right.length); index++) {
    const difference = left[index]!.codePointAt(0)! - right[index]!.codePointAt(0)!
    if (difference !== 0) return difference < 0 ? -1 : 1
  }
  return left.length === right.length ? 0 : left.length < right.length ? -1 : 1
}

/** SQL's answer for one condition on one value (a comparison with NULL is never true). */
export function conditionHolds(value: unknown, condition: Condition): boolean {
  const equal = (operand: unknown) => value !== null && compareScalars(value, operand) === 0
  switch (condition.op) {
    case 'none':
      return true
    case 'isNull':
      return (value === null) === condition.isNull
    case 'eq':
      return equal(condition.operand)
    case 'ne':
      return value !== null && !equal(condition.operand)
    case 'gt':
      return value !== null && compareScalars(value, condition.operand) > 0
    case 'gte':
      return value !== null && compareScalars(value, condition.operand) >= 0
    case 'lt':
      return value !== null && compareScalars(value, condition.operand) < 0
    case 'lte':
      return value !== null && compareScalars(value, condition.operand) <= 0
    case 'in':
      return condition.list.some(equal)
    case 'notIn':
      return condition.list.length === 0 || (value !== null && !condition.list.some(equal))
  }
}

/** The rows a filter keeps (live ones unless `includeDeleted`). */
export function matchingRows(
  rows: ReadonlyArray<ModelWorkflow>,
  conditions: ReadonlyArray<readonly [string, Condition]>,
  includeDeleted: boolean,
): Array<ModelWorkflow> {
  return rows.filter(
    (row) =>
      (includeDeleted || row.deletedAt === null) &&
      conditions.every(([key, condition]) => conditionHolds(row[key as keyof ModelWorkflow], condition)),
  )
}

/** Rows in `terms` order: NULLs first ascending, last descending. */
export function sortRows(rows: Array<ModelWorkflow>, terms: ReadonlyArray<readonly [string, 'asc' | 'desc']>): Array<ModelWorkflow> {
  return rows.sort((a, b) => {
    for (const [key, direction] of terms) {
      const left = a[key as keyof ModelWorkflow]
      const right = b[key as keyof ModelWorkflow]
      const order = left === null || right === null ? (left === right ? 0 : left === null ? -1 : 1) : compareScalars(left, right)
      if (order !== 0) return direction === 'asc' ? order : -order
    }
    return 0
  })
}
