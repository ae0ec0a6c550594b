/** The pure storage-value helpers: initial record (spec 1.4), updates and filters (spec 2.2). */
import { describe, expect, it } from 'vitest'

import {
  applyTaskExecutionStorageUpdate,
  cloneTaskExecutionStorageValue,
  createTaskExecutionStorageValue,
  matchesGetByIdFilters,
} from '../../src/core/storage-value.js'
import type { TaskExecutionStorageValue } from '../../src/core/storage.js'

const NOW = 1_700_000_000_000

const baseParams = {
  now: NOW,
  taskId: 'task',
  executionId: 'te_1',
  retryOptions: { maxAttempts: 2, baseDelayMs: 10 },
  sleepMsBeforeRun: 250,
  timeoutMs: 1000,
  input: 'serialized_input',
}

function readyRow(): TaskExecutionStorageValue {
  return createTaskExecutionStorageValue(baseParams)
}

describe('createTaskExecutionStorageValue', () => {
  it('builds a ready record with the defaults of spec 1.4 and no optional keys', () => {
    expect(readyRow()).toStrictEqual({
      taskId: 'task',
      executionId: 'te_1',
      isSleepingTask: false,
      retryOptions: { maxAttempts: 2, baseDelayMs: 10 },
      sleepMsBeforeRun: 250,
      timeoutMs: 1000,
      areChildrenSequential: false,
      input: 'serialized_input',
      status: 'ready',
      isFinished: false,
      retryAttempts: 0,
      startAt: NOW + 250,
      activeChildrenCount: 0,
      onChildrenFinishedProcessingStatus: 'idle',
      closeStatus: 'idle',
      needsPromiseCancellation: false,
      createdAt: NOW,
      updatedAt: NOW,
    })
  })

  it('builds a running sleeping-task record with startedAt and expiresAt but no executorId', () => {
    const row = createTaskExecutionStorageValue({
      ...baseParams,
      sleepMsBeforeRun: 0,
      sleepingTaskUniqueId: 'unique',
    })
    expect(row).toMatchObject({
      isSleepingTask: true,
      sleepingTaskUniqueId: 'unique',
      status: 'running',
      startAt: NOW,
      startedAt: NOW,
      expiresAt: NOW + 1000,
    })
    expect('executorId' in row).toBe(false)
  })

  it('copies root and parent with exactly their keys, and keeps areChildrenSequential', () => {
    const root = { taskId: 'root', executionId: 'te_root', extra: 'dropped' }
    const parent = {
      taskId: 'parent',
      executionId: 'te_parent',
      indexInParentChildren: 2,
      isOnlyChildOfParent: false,
      isFinalizeOfParent: true,
      extra: 'dropped',
    }
    const row = createTaskExecutionStorageValue({
      ...baseParams,
      root,
      parent,
      areChildrenSequential: true,
    })
    expect(row.root).toStrictEqual({ taskId: 'root', executionId: 'te_root' })
    expect(row.parent).toStrictEqual({
      taskId: 'parent',
      executionId: 'te_parent',
      indexInParentChildren: 2,
      isOnlyChildOfParent: false,
      isFinalizeOfParent: true,
    })
    expect(row.root).not.toBe(root)
    expect(row.areChildrenSequential).toBe(true)
  })
})

describe('applyTaskExecutionStorageUpdate', () => {
  it('returns a new object and leaves the value and the update unchanged', () => {
    const row = readyRow()
    const before = structuredClone(row)
    const update = {
      status: 'running' as const,
      children: [{ taskId: 'c', executionId: 'te_c' }],
      updatedAt: NOW + 1,
    }
    const updateBefore = structuredClone(update)
    const updated = applyTaskExecutionStorageUpdate(row, update)
    expect(updated).not.toBe(row)
    expect(row).toStrictEqual(before)
    expect(update).toStrictEqual(updateBefore)
    expect(updated.children).toStrictEqual(update.children)
    expect(updated.children).not.toBe(update.children)
    expect(updated.retryOptions).not.toBe(row.retryOptions)
  })

  it('ignores keys holding undefined and stray keys that are not storage fields', () => {
    const row = { ...readyRow(), executorId: 'de_1' }
    const updated = applyTaskExecutionStorageUpdate(row, {
      executorId: undefined,
      status: undefined,
      updatedAt: NOW + 1,
      ...({ taskId: 'hijacked', unknownField: 1 } as object),
    })
    expect(updated).toStrictEqual({ ...row, updatedAt: NOW + 1 })
  })

  it('lets unset win over a value for the same field, and ignores unset keys that are false', () => {
    const row = { ...readyRow(), executorId: 'de_1', runOutput: 'kept' }
    const updated = applyTaskExecutionStorageUpdate(row, {
      executorId: 'de_2',
      error: { errorType: 'generic', message: 'm', isRetryable: true, isInternal: false },
      updatedAt: NOW + 1,
      unset: { executorId: true, error: true, runOutput: false },
    })
    expect(updated).toStrictEqual({
      ...readyRow(),
      runOutput: 'kept',
      updatedAt: NOW + 1,
    })
    expect('executorId' in updated).toBe(false)
    expect('error' in updated).toBe(false)
  })

  it('can clear each of the seven unsettable fields', () => {
    const row: TaskExecutionStorageValue = {
      ...readyRow(),
      executorId: 'de_1',
      runOutput: 'r',
      error: { errorType: 'generic', message: 'm', isRetryable: true, isInternal: false },
      startedAt: NOW,
      expiresAt: NOW,
      onChildrenFinishedProcessingExpiresAt: NOW,
      closeExpiresAt: NOW,
    }
    const updated = applyTaskExecutionStorageUpdate(row, {
      updatedAt: NOW + 1,
      unset: {
        executorId: true,
        runOutput: true,
        error: true,
        startedAt: true,
        expiresAt: true,
        onChildrenFinishedProcessingExpiresAt: true,
        closeExpiresAt: true,
      },
    })
    expect(updated).toStrictEqual({ ...readyRow(), updatedAt: NOW + 1 })
  })

  it('sets expiresAt from the third argument plus the row timeout', () => {
    const updated = applyTaskExecutionStorageUpdate(
      readyRow(),
      { status: 'running', expiresAt: 5, updatedAt: NOW + 1 },
      NOW + 300_000,
    )
    expect(updated.expiresAt).toBe(NOW + 300_000 + 1000)
    expect(applyTaskExecutionStorageUpdate(readyRow(), { updatedAt: NOW }).expiresAt).toBe(
      undefined,
    )
  })

  it('lets unset.expiresAt win over the third argument', () => {
    const updated = applyTaskExecutionStorageUpdate(
      readyRow(),
      { updatedAt: NOW + 1, unset: { expiresAt: true } },
      NOW,
    )
    expect('expiresAt' in updated).toBe(false)
  })
})

describe('matchesGetByIdFilters', () => {
  const row = readyRow()

  it('matches missing, empty and undefined-valued filters', () => {
    expect(matchesGetByIdFilters(row)).toBe(true)
    expect(matchesGetByIdFilters(row, {})).toBe(true)
    expect(matchesGetByIdFilters(row, { status: undefined, isFinished: undefined })).toBe(true)
  })

  it('requires every given key to be equal', () => {
    expect(
      matchesGetByIdFilters(row, { status: 'ready', isSleepingTask: false, isFinished: false }),
    ).toBe(true)
    expect(matchesGetByIdFilters(row, { status: 'ready', isFinished: true })).toBe(false)
    expect(matchesGetByIdFilters(row, { isSleepingTask: true })).toBe(false)
    expect(matchesGetByIdFilters(row, { status: 'running' })).toBe(false)
  })
})

describe('cloneTaskExecutionStorageValue', () => {
  it('copies every nested object and drops keys holding null or undefined', () => {
    const row = {
      ...readyRow(),
      root: { taskId: 'r', executionId: 'te_r' },
      error: { errorType: 'generic' as const, message: 'm', isRetryable: true, isInternal: false },
      finalize: { taskId: 'f', executionId: 'te_f' },
      executorId: undefined,
      runOutput: null as unknown as string,
    }
    const copy = cloneTaskExecutionStorageValue(row)
    expect(copy).toStrictEqual({
      ...readyRow(),
      root: row.root,
      error: row.error,
      finalize: row.finalize,
    })
    expect(copy.root).not.toBe(row.root)
    expect(copy.error).not.toBe(row.error)
    expect(copy.finalize).not.toBe(row.finalize)
    expect(copy.retryOptions).not.toBe(row.retryOptions)
  })
})
