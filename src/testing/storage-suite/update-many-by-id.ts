/** Conformance cases of `updateManyById` and of update semantics (spec 2.2; 5.1 B case 16). */
import { expect } from 'vitest'

import type {
  TaskExecutionStorageUnset,
  TaskExecutionStorageUpdate,
  TaskExecutionStorageValue,
} from '../../core/storage.js'
import { expectRowEqual, expectRowsUntouched, readRow } from './assertions.js'
import type { StorageSuiteCase } from './case.js'
import { matchingFilters, nonMatchingFilters } from './filters.js'
import {
  buildTaskExecutionRow,
  randomExecutionId,
  randomExecutorId,
  randomTaskId,
} from './row-builder.js'

const group = 'updateManyById'

/** Every settable field at once, without cross-field consistency (`running` yet finished). */
function updateOfEverySettableField(now: number): Omit<TaskExecutionStorageUpdate, 'unset'> {
  return {
    executorId: randomExecutorId(),
    status: 'running',
    isFinished: true,
    runOutput: 'run_output',
    output: 'output',
    error: { errorType: 'generic', message: 'error_message', isRetryable: true, isInternal: false },
    retryAttempts: 2,
    startAt: now + 1,
    startedAt: now + 2,
    expiresAt: now + 3,
    waitingForChildrenStartedAt: now + 4,
    waitingForFinalizeStartedAt: now + 5,
    finishedAt: now + 6,
    children: [
      { taskId: randomTaskId(), executionId: randomExecutionId() },
      { taskId: randomTaskId(), executionId: randomExecutionId() },
    ],
    activeChildrenCount: 2,
    onChildrenFinishedProcessingStatus: 'processing',
    onChildrenFinishedProcessingExpiresAt: now + 7,
    onChildrenFinishedProcessingFinishedAt: now + 8,
    finalize: { taskId: randomTaskId(), executionId: randomExecutionId() },
    closeStatus: 'closing',
    closeExpiresAt: now + 9,
    closedAt: now + 10,
    needsPromiseCancellation: true,
    updatedAt: now + 11,
  }
}

const EVERY_UNSET: Required<TaskExecutionStorageUnset> = {
  executorId: true,
  runOutput: true,
  error: true,
  startedAt: true,
  expiresAt: true,
  onChildrenFinishedProcessingExpiresAt: true,
  closeExpiresAt: true,
}

function withoutFields(
  row: TaskExecutionStorageValue,
  fields: ReadonlyArray<keyof TaskExecutionStorageValue>,
): TaskExecutionStorageValue {
  const copy = { ...row }
  for (const field of fields) delete copy[field]
  return copy
}

/** The `updateManyById` cases, in run order. */
export const updateManyByIdCases: ReadonlyArray<StorageSuiteCase> = [
  {
    group,
    specCase: 16,
    behaviour: 'writes and unsets fields for every matching filter set, leaving other rows alone',
    run: async (storage) => {
      const now = Date.now()
      const bystander = buildTaskExecutionRow({ now })
      await storage.insertMany([bystander])
      const template = buildTaskExecutionRow({ now })
      for (const filters of matchingFilters(template)) {
        const row = buildTaskExecutionRow({ now })
        await storage.insertMany([row])
        const update = updateOfEverySettableField(now)
        await storage.updateManyById([{ executionId: row.executionId, filters, update }])
        const updated: TaskExecutionStorageValue = { ...row, ...update }
        expectRowEqual(await readRow(storage, row.executionId), updated)

        await storage.updateManyById([
          {
            executionId: row.executionId,
            update: { needsPromiseCancellation: false, updatedAt: now + 12, unset: EVERY_UNSET },
          },
        ])
        const unsetFields = Object.keys(EVERY_UNSET) as Array<keyof TaskExecutionStorageUnset>
        const cleared = {
          ...withoutFields(updated, unsetFields),
          needsPromiseCancellation: false,
          updatedAt: now + 12,
        }
        const read = await readRow(storage, row.executionId)
        expectRowEqual(read, cleared)
        for (const field of unsetFields) expect(read![field], field).toBeUndefined()
      }

      const first = buildTaskExecutionRow({ now })
      const second = buildTaskExecutionRow({ now })
      const filteredOut = buildTaskExecutionRow({ now })
      await storage.insertMany([first, second, filteredOut])
      const cancel: TaskExecutionStorageUpdate = {
        status: 'cancelled',
        isFinished: true,
        finishedAt: now + 1,
        updatedAt: now + 1,
      }
      await storage.updateManyById([
        { executionId: first.executionId, filters: { status: 'ready' }, update: cancel },
        { executionId: filteredOut.executionId, filters: { status: 'running' }, update: cancel },
        { executionId: second.executionId, update: cancel },
      ])
      const { unset: _unset, ...cancelFields } = cancel
      expectRowEqual(await readRow(storage, first.executionId), { ...first, ...cancelFields })
      expectRowEqual(await readRow(storage, second.executionId), { ...second, ...cancelFields })
      await expectRowsUntouched(storage, [filteredOut, bystander])
    },
  },
  {
    group,
    behaviour: 'leaves the row alone when the filters do not match or the id is unknown',
    run: async (storage) => {
      const now = Date.now()
      const row = buildTaskExecutionRow({ now })
      await storage.insertMany([row])
      for (const filters of nonMatchingFilters(row)) {
        await storage.updateManyById([
          { executionId: row.executionId, filters, update: updateOfEverySettableField(now) },
        ])
      }
      await storage.updateManyById([
        { executionId: randomExecutionId(), update: updateOfEverySettableField(now) },
      ])
      await storage.updateManyById([])
      await expectRowsUntouched(storage, [row])
      expect(await storage.getManyById([{ executionId: randomExecutionId() }])).toStrictEqual([
        undefined,
      ])
    },
  },
  {
    group,
    behaviour: 'lets unset win over a value given for the same field',
    run: async (storage) => {
      const now = Date.now()
      const row = buildTaskExecutionRow({ now, executorId: randomExecutorId(), expiresAt: now })
      await storage.insertMany([row])
      await storage.updateManyById([
        {
          executionId: row.executionId,
          update: {
            executorId: randomExecutorId(),
            expiresAt: now + 1000,
            error: { errorType: 'generic', message: 'm', isRetryable: false, isInternal: false },
            updatedAt: now + 1,
            unset: { executorId: true, expiresAt: true, error: true },
          },
        },
      ])
      expectRowEqual(await readRow(storage, row.executionId), {
        ...withoutFields(row, ['executorId', 'expiresAt']),
        updatedAt: now + 1,
      })
    },
  },
  {
    group,
    behaviour: 'ignores update keys holding undefined and unset keys holding false',
    run: async (storage) => {
      const now = Date.now()
      const row = buildTaskExecutionRow({
        now,
        executorId: randomExecutorId(),
        runOutput: 'run_output',
        expiresAt: now + 5000,
      })
      await storage.insertMany([row])
      await storage.updateManyById([
        {
          executionId: row.executionId,
          update: {
            executorId: undefined,
            runOutput: undefined,
            status: undefined,
            expiresAt: undefined,
            updatedAt: now + 1,
            unset: { executorId: false, runOutput: undefined, expiresAt: false },
          },
        },
      ])
      expectRowEqual(await readRow(storage, row.executionId), { ...row, updatedAt: now + 1 })
    },
  },
]
