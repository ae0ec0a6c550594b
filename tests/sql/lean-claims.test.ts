/**
 * The executor's lean claim (`returnsRunFieldsOnly`): it reads back only the columns a run needs,
 * yet every value it returns equals the full row as stored, in the claim's order; without the
 * flag, or for a status other than `ready`, the claim returns full values as before.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TaskExecutionStorageValue } from '../../src/core/index.js'
import { buildChildRow, buildTaskExecutionRow } from '../../src/testing/index.js'
import { uniqueTableName, type OpenedBackend } from './backends.js'
import { availableBackends } from './available-backends.js'

const { backends, shutdown } = await availableBackends()
afterAll(shutdown)

const PAST = 1_700_000_000_000

/** Ready rows holding every field a `ready` row may hold, each due at its own time. */
function readyRows(): Array<TaskExecutionStorageValue> {
  const parent = buildTaskExecutionRow({ now: PAST, status: 'waiting_for_children' })
  return [
    parent,
    buildTaskExecutionRow({ now: PAST + 3, input: '{"json":[1,"two"]}', retryOptions: { maxAttempts: 3, baseDelayMs: 10 } }),
    buildChildRow(parent, { now: PAST + 1, link: { indexInParentChildren: 4, isOnlyChildOfParent: false } }),
    buildChildRow(parent, { now: PAST + 2, link: { isFinalizeOfParent: true } }),
    buildTaskExecutionRow({
      now: PAST + 4,
      retryAttempts: 2,
      expiryCount: 1,
      areChildrenSequential: true,
      sleepMsBeforeRun: 250,
      error: { errorType: 'generic', message: 'Task execution expired', isRetryable: true, isInternal: true },
    }),
  ]
}

for (const backend of backends) {
  describe(`the lean claim on ${backend.name}`, () => {
    let opened: OpenedBackend<unknown>
    beforeAll(async () => {
      opened = await backend.open(uniqueTableName('te_lean'))
    })
    afterAll(async () => {
      await opened.close()
    })

    const claim = (returnsRunFieldsOnly: boolean, limit = 10) =>
      opened.storage.updateByStatusAndStartAtLessThanAndReturn({
        status: 'ready',
        startAtLessThan: PAST + 100,
        update: { executorId: 'executor_lean', status: 'running', leaseToken: 'lease_lean', startedAt: PAST + 50, updatedAt: PAST + 50 },
        updateExpiresAtWithStartedAt: PAST + 60,
        limit,
        returnsRunFieldsOnly,
      })

    it('returns, in the claim order, values equal to the full rows as stored', async () => {
      await opened.storage.deleteAll()
      const rows = readyRows()
      await opened.storage.insertMany(rows)
      opened.statements.reset()
      const claimed = await claim(true)
      // Only the run's columns are read back: no statement of the claim names the output column.
      expect(opened.statements.statements.filter((statement) => /\boutput\b/i.test(statement))).toEqual([])
      const expectedOrder = rows.filter((row) => row.status === 'ready').sort((left, right) => left.startAt - right.startAt)
      expect(claimed.map((row) => row.executionId)).toEqual(expectedOrder.map((row) => row.executionId))
      const stored = await opened.storage.getManyById(claimed.map((row) => ({ executionId: row.executionId })))
      expect(claimed).toStrictEqual(stored)
      expect(claimed[0]).toMatchObject({ status: 'running', executorId: 'executor_lean', leaseToken: 'lease_lean', expiresAt: PAST + 60 + 1000 })
    })

    it('claims no more than the limit, and returns full values without the flag', async () => {
      await opened.storage.deleteAll()
      await opened.storage.insertMany(readyRows())
      const first = await claim(true, 2)
      expect(first).toHaveLength(2)
      opened.statements.reset()
      const rest = await claim(false)
      expect(opened.statements.statements.some((statement) => /\boutput\b/i.test(statement))).toBe(true)
      expect(rest).toHaveLength(2)
      expect(rest).toStrictEqual(await opened.storage.getManyById(rest.map((row) => ({ executionId: row.executionId }))))
    })
  })
}
