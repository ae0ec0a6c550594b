/**
 * Assertions shared by the storage conformance cases. Rows are compared strictly (nested `root`,
 * `parent`, `error`, `children` must hold exactly the expected keys); an absent field may be a
 * missing key or a key holding `undefined` (spec conventions), never `null`.
 */
import { expect } from 'vitest'

import type {
  TaskExecutionsStorage,
  TaskExecutionStorageGetByIdFilters,
  TaskExecutionStorageValue,
} from '../../core/storage.js'

/** How far apart two timestamps may be and still count as the same moment (spec 5.1 B). */
export const TIMESTAMP_TOLERANCE_MS = 1500

/** Asserts `actual` is a number within {@link TIMESTAMP_TOLERANCE_MS} of `expected`. */
export function expectTimestampNear(actual: number | undefined, expected: number): void {
  expect(actual).toBeTypeOf('number')
  expect(Math.abs(actual! - expected)).toBeLessThanOrEqual(TIMESTAMP_TOLERANCE_MS)
}

function withoutUndefinedFields(row: TaskExecutionStorageValue): Record<string, unknown> {
  const copy: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(row)) {
    if (value !== undefined) copy[key] = value
  }
  return copy
}

/** Asserts no top-level field of the row holds `null` (absent fields must be `undefined`). */
export function expectNoNullFields(row: TaskExecutionStorageValue): void {
  const nullFields = Object.entries(row)
    .filter(([, value]) => value === null)
    .map(([key]) => key)
  expect(nullFields, `fields read back as null instead of undefined`).toStrictEqual([])
}

/** Asserts `actual` is a row equal to `expected`, field by field and strictly, with no `null`. */
export function expectRowEqual(
  actual: TaskExecutionStorageValue | undefined,
  expected: TaskExecutionStorageValue,
): void {
  expect(actual, `row ${expected.executionId} is missing`).toBeDefined()
  expectNoNullFields(actual!)
  expect(withoutUndefinedFields(actual!)).toStrictEqual(withoutUndefinedFields(expected))
}

/** Reads one row by id (no filters). */
export async function readRow(
  storage: TaskExecutionsStorage,
  executionId: string,
  filters?: TaskExecutionStorageGetByIdFilters,
): Promise<TaskExecutionStorageValue | undefined> {
  const results = await storage.getManyById([{ executionId, filters }])
  expect(results).toHaveLength(1)
  return results[0]
}

/** Asserts each row is stored exactly as given: the call under test left it alone. */
export async function expectRowsUntouched(
  storage: TaskExecutionsStorage,
  rows: ReadonlyArray<TaskExecutionStorageValue>,
): Promise<void> {
  const stored = await storage.getManyById(rows.map((row) => ({ executionId: row.executionId })))
  expect(stored).toHaveLength(rows.length)
  rows.forEach((row, index) => expectRowEqual(stored[index], row))
}

/** Asserts none of the rows exists in the storage. */
export async function expectRowsAbsent(
  storage: TaskExecutionsStorage,
  executionIds: ReadonlyArray<string>,
): Promise<void> {
  const stored = await storage.getManyById(executionIds.map((executionId) => ({ executionId })))
  expect(stored).toStrictEqual(executionIds.map(() => undefined))
}

/** Asserts the claimed rows are exactly `expectedIds`, in that order. */
export function expectExecutionIds(
  rows: ReadonlyArray<TaskExecutionStorageValue>,
  expectedIds: ReadonlyArray<string>,
): void {
  expect(rows.map((row) => row.executionId)).toStrictEqual(expectedIds)
}
