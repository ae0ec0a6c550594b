import { describe, expect, it } from 'vitest'

import {
  normalizeTaskExecutionStorageInternalUpdate,
  type TaskExecutionStorageInternalUpdate,
} from '../../src/core/internal-update.js'
import type { TaskExecutionStatus } from '../../src/core/status.js'
import type {
  TaskExecutionStorageUnset,
  TaskExecutionStorageUpdate,
  TaskExecutionStorageValue,
} from '../../src/core/storage.js'

const NOW = 1_700_000_000_000
// Short alias: the full name makes every assertion wrap.
const normalize = normalizeTaskExecutionStorageInternalUpdate

type ExpectedRow = {
  derived: Partial<TaskExecutionStorageUpdate>
  unset: Array<keyof TaskExecutionStorageUnset>
}

// Spec 1.5, one row per status, written out independently of the implementation's table.
const STATUS_TABLE: Record<TaskExecutionStatus, ExpectedRow> = {
  ready: { derived: {}, unset: ['executorId', 'runOutput', 'startedAt', 'expiresAt'] },
  running: { derived: { startedAt: NOW }, unset: [] },
  waiting_for_children: {
    derived: { waitingForChildrenStartedAt: NOW },
    unset: ['executorId', 'error', 'expiresAt'],
  },
  waiting_for_finalize: {
    derived: { waitingForFinalizeStartedAt: NOW },
    unset: ['executorId', 'error', 'expiresAt'],
  },
  completed: {
    derived: { isFinished: true, finishedAt: NOW },
    unset: ['executorId', 'runOutput', 'error', 'expiresAt'],
  },
  failed: {
    derived: { isFinished: true, finishedAt: NOW },
    unset: ['executorId', 'runOutput', 'expiresAt'],
  },
  timed_out: {
    derived: { isFinished: true, finishedAt: NOW },
    unset: ['executorId', 'runOutput', 'expiresAt'],
  },
  finalize_failed: {
    derived: { isFinished: true, finishedAt: NOW },
    unset: ['executorId', 'runOutput', 'expiresAt'],
  },
  cancelled: {
    derived: { isFinished: true, finishedAt: NOW },
    unset: ['runOutput', 'expiresAt'],
  },
}

function expectedUpdate(
  base: Partial<TaskExecutionStorageUpdate>,
  row: ExpectedRow,
): TaskExecutionStorageUpdate {
  const expected: TaskExecutionStorageUpdate = { ...base, ...row.derived, updatedAt: NOW }
  if (row.unset.length > 0) {
    expected.unset = Object.fromEntries(row.unset.map((field) => [field, true]))
  }
  return expected
}

function makeRow(overrides: Partial<TaskExecutionStorageValue> = {}): TaskExecutionStorageValue {
  return {
    taskId: 'child',
    executionId: 'te_child',
    isSleepingTask: false,
    retryOptions: { maxAttempts: 0 },
    sleepMsBeforeRun: 0,
    timeoutMs: 1000,
    areChildrenSequential: false,
    input: '{"json":null}',
    status: 'running',
    isFinished: false,
    retryAttempts: 0,
    startAt: NOW - 10,
    activeChildrenCount: 0,
    onChildrenFinishedProcessingStatus: 'idle',
    closeStatus: 'idle',
    needsPromiseCancellation: false,
    createdAt: NOW - 10,
    updatedAt: NOW - 10,
    ...overrides,
  }
}

const finalizeChildRow = makeRow({
  root: { taskId: 'parent', executionId: 'te_parent' },
  parent: {
    taskId: 'parent',
    executionId: 'te_parent',
    indexInParentChildren: 0,
    isOnlyChildOfParent: false,
    isFinalizeOfParent: true,
  },
})

const ordinaryChildRow = makeRow({
  root: { taskId: 'parent', executionId: 'te_parent' },
  parent: {
    taskId: 'parent',
    executionId: 'te_parent',
    indexInParentChildren: 0,
    isOnlyChildOfParent: true,
    isFinalizeOfParent: false,
  },
})

describe('normalizeTaskExecutionStorageInternalUpdate', () => {
  it('only stamps updatedAt when the update carries no status or lifecycle flag', () => {
    expect(normalize({ retryAttempts: 2 }, NOW)).toStrictEqual({
      retryAttempts: 2,
      updatedAt: NOW,
    })
  })

  describe.each(Object.entries(STATUS_TABLE) as Array<[TaskExecutionStatus, ExpectedRow]>)(
    'status %s',
    (status, row) => {
      it('adds the derived fields and unsets of the spec table', () => {
        expect(normalize({ status }, NOW)).toStrictEqual(
          expectedUpdate({ status }, row),
        )
      })

      it('unsets executorId when needsPromiseCancellation is explicitly set to false', () => {
        const result = normalize(
          { status, needsPromiseCancellation: false },
          NOW,
        )
        expect(result.unset?.executorId).toBe(true)
        expect(result.needsPromiseCancellation).toBe(false)
      })

      it('keeps the caller fields it does not derive', () => {
        const error = {
          errorType: 'generic' as const,
          message: 'boom',
          isRetryable: true,
          isInternal: false,
        }
        const result = normalize(
          { status, error, startAt: NOW + 5, retryAttempts: 1 },
          NOW,
        )
        expect(result).toMatchObject({ status, error, startAt: NOW + 5, retryAttempts: 1 })
      })
    },
  )

  it('keeps executorId on cancelled when needsPromiseCancellation is true or not given', () => {
    for (const needsPromiseCancellation of [true, undefined]) {
      const result = normalize(
        { status: 'cancelled', needsPromiseCancellation },
        NOW,
      )
      expect(result.unset?.executorId).toBeUndefined()
    }
  })

  it('does not unset executorId for needsPromiseCancellation = false without a status', () => {
    expect(
      normalize({ needsPromiseCancellation: false }, NOW),
    ).toStrictEqual({ needsPromiseCancellation: false, updatedAt: NOW })
  })

  it('keeps an explicit waitingForChildrenStartedAt written with waiting_for_finalize', () => {
    const result = normalize(
      { status: 'waiting_for_finalize', waitingForChildrenStartedAt: NOW - 1 },
      NOW,
    )
    expect(result.waitingForChildrenStartedAt).toBe(NOW - 1)
    expect(result.waitingForFinalizeStartedAt).toBe(NOW)
  })

  describe('onChildrenFinishedProcessingStatus', () => {
    it('keeps the lease when the flag becomes processing', () => {
      expect(
        normalize(
          {
            onChildrenFinishedProcessingStatus: 'processing',
            onChildrenFinishedProcessingExpiresAt: NOW + 9,
          },
          NOW,
        ),
      ).toStrictEqual({
        onChildrenFinishedProcessingStatus: 'processing',
        onChildrenFinishedProcessingExpiresAt: NOW + 9,
        updatedAt: NOW,
      })
    })

    it('unsets the lease when the flag goes back to idle', () => {
      expect(
        normalize({ onChildrenFinishedProcessingStatus: 'idle' }, NOW),
      ).toStrictEqual({
        onChildrenFinishedProcessingStatus: 'idle',
        updatedAt: NOW,
        unset: { onChildrenFinishedProcessingExpiresAt: true },
      })
    })

    it('unsets the lease and stamps the finish time when the flag becomes processed', () => {
      expect(
        normalize(
          { onChildrenFinishedProcessingStatus: 'processed' },
          NOW,
        ),
      ).toStrictEqual({
        onChildrenFinishedProcessingStatus: 'processed',
        onChildrenFinishedProcessingFinishedAt: NOW,
        updatedAt: NOW,
        unset: { onChildrenFinishedProcessingExpiresAt: true },
      })
    })
  })

  describe('closeStatus', () => {
    it('keeps the lease when the row becomes closing', () => {
      expect(
        normalize(
          { closeStatus: 'closing', closeExpiresAt: NOW + 9 },
          NOW,
        ),
      ).toStrictEqual({ closeStatus: 'closing', closeExpiresAt: NOW + 9, updatedAt: NOW })
    })

    it.each(['idle', 'ready'] as const)('unsets the lease when the row becomes %s', (status) => {
      expect(normalize({ closeStatus: status }, NOW)).toStrictEqual({
        closeStatus: status,
        updatedAt: NOW,
        unset: { closeExpiresAt: true },
      })
    })

    it('unsets the lease and stamps closedAt when the row becomes closed', () => {
      expect(normalize({ closeStatus: 'closed' }, NOW)).toStrictEqual(
        { closeStatus: 'closed', closedAt: NOW, updatedAt: NOW, unset: { closeExpiresAt: true } },
      )
    })
  })

  describe('finalize-child shortcut', () => {
    it.each(['completed', 'failed', 'timed_out', 'finalize_failed', 'cancelled'] as const)(
      'marks a finalize child moving to %s ready to close when the current row is given',
      (status) => {
        const result = normalize({ status }, NOW, finalizeChildRow)
        expect(result.closeStatus).toBe('ready')
        expect(result.unset?.closeExpiresAt).toBe(true)
        expect(result.isFinished).toBe(true)
      },
    )

    it('does nothing without the current row', () => {
      const result = normalize({ status: 'completed' }, NOW)
      expect(result.closeStatus).toBeUndefined()
      expect(result.unset?.closeExpiresAt).toBeUndefined()
    })

    it.each(['ready', 'running', 'waiting_for_children', 'waiting_for_finalize'] as const)(
      'does nothing when a finalize child moves to the active status %s',
      (status) => {
        const result = normalize({ status }, NOW, finalizeChildRow)
        expect(result.closeStatus).toBeUndefined()
      },
    )

    it('does nothing for an ordinary child, which the close-ready sweep releases to its parent', () => {
      const result = normalize({ status: 'failed' }, NOW, ordinaryChildRow)
      expect(result.closeStatus).toBeUndefined()
    })

    it('closes a finishing top-level row with no children and no finalize in the same write', () => {
      const result = normalize({ status: 'completed', output: 'x', children: [] }, NOW, makeRow())
      expect([result.closeStatus, result.closedAt, result.unset?.closeExpiresAt]).toEqual(['closed', NOW, true])
      expect(normalize({ status: 'failed' }, NOW, makeRow()).closeStatus).toBe('closed')
    })

    it('leaves a finishing top-level row with children or a finalize to the close steps', () => {
      const child = { taskId: 'child', executionId: 'te_c' }
      const finalize = { taskId: 'finalize', executionId: 'te_f' }
      expect(normalize({ status: 'failed' }, NOW, makeRow({ children: [child] })).closeStatus).toBeUndefined()
      expect(normalize({ status: 'completed', output: 'x', children: [child] }, NOW, makeRow()).closeStatus).toBeUndefined()
      expect(normalize({ status: 'failed' }, NOW, makeRow({ finalize })).closeStatus).toBeUndefined()
    })

    it('does nothing for a top-level row moving to an active status', () => {
      expect(normalize({ status: 'running' }, NOW, makeRow()).closeStatus).toBeUndefined()
    })
  })

  describe('inputs', () => {
    it('never mutates the update or the current row', () => {
      const update: TaskExecutionStorageInternalUpdate = {
        status: 'completed',
        output: 'x',
        unset: { closeExpiresAt: true },
      }
      const updateCopy = structuredClone(update)
      const rowCopy = structuredClone(finalizeChildRow)
      normalize(update, NOW, finalizeChildRow)
      expect(update).toStrictEqual(updateCopy)
      expect(finalizeChildRow).toStrictEqual(rowCopy)
    })

    it('merges the caller unset flags with the derived ones and drops false flags', () => {
      expect(
        normalize(
          { status: 'running', unset: { error: true, runOutput: false } },
          NOW,
        ),
      ).toStrictEqual({ status: 'running', startedAt: NOW, updatedAt: NOW, unset: { error: true } })
    })

    it('drops derived fields smuggled past the type', () => {
      const smuggled = {
        retryAttempts: 1,
        isFinished: true,
        startedAt: 1,
        finishedAt: 1,
        onChildrenFinishedProcessingFinishedAt: 1,
        closedAt: 1,
        updatedAt: 1,
      } as unknown as TaskExecutionStorageInternalUpdate
      expect(normalize(smuggled, NOW)).toStrictEqual({
        retryAttempts: 1,
        updatedAt: NOW,
      })
    })
  })
})
