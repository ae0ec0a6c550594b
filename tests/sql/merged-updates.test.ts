/**
 * Merged updates keep each request's meaning: two updates of one row apply in order, a request the
 * database rejects fails alone while the others of its statement take effect, and updates of
 * several parents' children share one statement with per-parent values.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TaskExecutionsStorageRequestsError } from '../../src/core/index.js'
import { buildTaskExecutionRow, parentLinkTo } from '../../src/testing/index.js'
import { rejectRetryAttemptsValue, RETRY_ATTEMPTS_THE_DATABASE_REFUSES, uniqueTableName, type OpenedBackend } from './backends.js'
import { availableBackends } from './available-backends.js'

const { backends, shutdown } = await availableBackends()
afterAll(shutdown)

for (const backend of backends) {
  describe(`merged updates on ${backend.name}`, () => {
    let tableName: string
    let opened: OpenedBackend<unknown>
    beforeAll(async () => {
      tableName = uniqueTableName('te_merge')
      opened = await backend.open(tableName)
      if (backend.dialect !== 'sqlite') await rejectRetryAttemptsValue(opened, tableName)
    })
    afterAll(async () => {
      await opened.close()
    })

    it('applies two updates of the same row in the order given', async () => {
      const row = buildTaskExecutionRow()
      await opened.storage.insertMany([row])
      await opened.storage.updateManyById([
        { executionId: row.executionId, update: { status: 'running', updatedAt: row.updatedAt + 1 } },
        { executionId: row.executionId, filters: { status: 'running' }, update: { status: 'completed', updatedAt: row.updatedAt + 2 } },
      ])
      const [after] = await opened.storage.getManyById([{ executionId: row.executionId }])
      expect([after?.status, after?.updatedAt]).toEqual(['completed', row.updatedAt + 2])
    })

    it("updates several parents' children in one statement, each with its parent's values", async () => {
      const parents = [buildTaskExecutionRow(), buildTaskExecutionRow()]
      const children = parents.flatMap((parent) => [0, 1].map((index) => buildTaskExecutionRow({ parent: parentLinkTo(parent, { indexInParentChildren: index }) })))
      await opened.storage.insertMany([...parents, ...children])
      opened.statements.reset()
      await opened.storage.updateManyByParentExecutionIdAndIsFinished(
        parents.map((parent) => ({
          parentExecutionId: parent.executionId,
          isFinished: false,
          update: {
            status: 'cancelled',
            isFinished: true,
            error: { errorType: 'cancelled', message: `parent ${parent.executionId} cancelled`, isRetryable: false, isInternal: false },
            updatedAt: parent.updatedAt + 1,
          },
        })),
      )
      expect(opened.statements.count('update')).toBe(1)
      const read = await opened.storage.getManyByParentExecutionId(parents.map((parent) => ({ parentExecutionId: parent.executionId })))
      for (const [index, parent] of parents.entries()) {
        expect(read[index]?.map((child) => [child.status, child.error?.message])).toEqual([
          ['cancelled', `parent ${parent.executionId} cancelled`],
          ['cancelled', `parent ${parent.executionId} cancelled`],
        ])
      }
    })

    it("inserts the children of exactly the batched parents whose conditional update matched, each with its own values", async () => {
      const parents = [0, 1, 2].map(() => buildTaskExecutionRow({ status: 'running' }))
      parents[1] = { ...parents[1]!, status: 'cancelled' }
      await opened.storage.insertMany(parents)
      const childrenOf = parents.map((parent) => [0, 1].map((index) => buildTaskExecutionRow({ parent: parentLinkTo(parent, { indexInParentChildren: index }) })))
      opened.statements.reset()
      await opened.storage.updateManyByIdAndInsertChildrenIfUpdated(
        parents.map((parent, index) => ({
          executionId: parent.executionId,
          filters: { status: 'running' },
          update: { status: 'waiting_for_children', activeChildrenCount: 2, runOutput: `output ${index}`, updatedAt: parent.updatedAt + 1 },
          childrenTaskExecutionsToInsertIfAnyUpdated: childrenOf[index]!,
        })),
      )
      // Dialects with RETURNING merge the three conditional updates into one statement.
      if (backend.dialect !== 'mysql') expect(opened.statements.count('update')).toBe(1)
      const after = await opened.storage.getManyById(parents.map((parent) => ({ executionId: parent.executionId })))
      expect(after.map((value) => [value?.status, value?.runOutput])).toEqual([
        ['waiting_for_children', 'output 0'],
        ['cancelled', undefined],
        ['waiting_for_children', 'output 2'],
      ])
      const inserted = await opened.storage.getManyByParentExecutionId(parents.map((parent) => ({ parentExecutionId: parent.executionId })))
      expect(inserted.map((children) => children.map((child) => child.executionId).sort())).toEqual([
        childrenOf[0]!.map((child) => child.executionId).sort(),
        [],
        childrenOf[2]!.map((child) => child.executionId).sort(),
      ])
    })

    if (backend.dialect !== 'sqlite') {
      it('fails only the request whose value the database rejects; the others take effect', async () => {
        const rows = [0, 1, 2].map(() => buildTaskExecutionRow())
        await opened.storage.insertMany(rows)
        const failure = opened.storage.updateManyById(
          rows.map((row, index) => ({
            executionId: row.executionId,
            update: { retryAttempts: index === 1 ? RETRY_ATTEMPTS_THE_DATABASE_REFUSES : index + 1, updatedAt: row.updatedAt + 1 },
          })),
        )
        await expect(failure).rejects.toBeInstanceOf(TaskExecutionsStorageRequestsError)
        const error = (await failure.catch((caught: unknown) => caught)) as TaskExecutionsStorageRequestsError
        expect(error.requestErrors.map((requestError) => requestError !== undefined)).toEqual([false, true, false])
        expect(error.message).toContain(`[ids=${rows[1]?.executionId}]`)
        const after = await opened.storage.getManyById(rows.map((row) => ({ executionId: row.executionId })))
        expect(after.map((value) => value?.retryAttempts)).toEqual([1, 0, 3])
      })
    }
  })
}
