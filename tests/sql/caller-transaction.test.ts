/**
 * Enqueue inside the caller's own transaction (spec 4.5 `taskExecutionsStorageTransaction`): the
 * insert bound to a drizzle transaction the caller holds commits and rolls back with it. Not for
 * better-sqlite3, whose drizzle transactions cannot await.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTaskExecutionRow } from '../../src/testing/index.js'
import { uniqueTableName, type OpenedBackend } from './backends.js'
import { availableBackends } from './available-backends.js'

/** The drizzle `transaction` every asynchronous dialect shares. */
type TransactionalDatabase = {
  transaction: <T>(fn: (tx: unknown) => Promise<T>) => Promise<T>
}

class RollBackOnPurpose extends Error {}

const { backends, shutdown } = await availableBackends()
afterAll(shutdown)

for (const backend of backends.filter((candidate) => !candidate.name.includes('better-sqlite3'))) {
  describe(`inserts in the caller's transaction on ${backend.name}`, () => {
    let opened: OpenedBackend<unknown>
    beforeAll(async () => {
      opened = await backend.open(uniqueTableName('te_tx'))
    })
    afterAll(async () => {
      await opened.close()
    })

    it('leaves no execution when the caller rolls back', async () => {
      const row = buildTaskExecutionRow()
      const db = opened.db as TransactionalDatabase
      await expect(
        db.transaction(async (tx) => {
          await opened.storage.bindToTransaction(tx).insertMany([row])
          throw new RollBackOnPurpose()
        }),
      ).rejects.toBeInstanceOf(RollBackOnPurpose)
      expect(await opened.storage.getManyById([{ executionId: row.executionId }])).toEqual([undefined])
    })

    it('keeps the execution when the caller commits', async () => {
      const row = buildTaskExecutionRow()
      const db = opened.db as TransactionalDatabase
      await db.transaction(async (tx) => {
        await opened.storage.bindToTransaction(tx).insertMany([row])
      })
      expect(await opened.storage.getManyById([{ executionId: row.executionId }])).toEqual([row])
    })
  })
}
