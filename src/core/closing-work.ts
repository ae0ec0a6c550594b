/**
 * Which finished executions have closing work (spec 4.8): a finalize child hands its result to its
 * parent (T16); an execution that did not complete cancels its children and finalize (T14). Every
 * other execution's close only marks it `closed`, which the close-ready sweep may do at once.
 */
import type { TaskExecutionStorageValue } from './storage.js'

/** T16 applies: `row` is a finalize child whose parent takes its result. */
export const handsResultToParent = (row: TaskExecutionStorageValue): boolean => row.parent?.isFinalizeOfParent === true

/** T14 applies: `row` did not complete and has children or a finalize that may still run. */
export const cancelsChildren = (row: TaskExecutionStorageValue): boolean =>
  row.status !== 'completed' && ((row.children?.length ?? 0) > 0 || row.finalize !== undefined)

/** Whether closing `row` does more than mark it closed: tell a finalize's parent, or cancel children. */
export function hasClosingWork(row: TaskExecutionStorageValue): boolean {
  return handsResultToParent(row) || cancelsChildren(row)
}
