/**
 * A batched call that fails through the executor's storage layer fails only the offending caller:
 * the other callers' inserts exist once, and updates the storage already made are not sent again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TaskExecutionsStorage } from '../../src/core/index.js'
import { TaskExecutionsStorageLayer } from '../../src/core/index.js'
import { buildTaskExecutionRow, parentLinkTo } from '../../src/testing/index.js'
import { rejectRetryAttemptsValue, RETRY_ATTEMPTS_THE_DATABASE_REFUSES, uniqueTableName, type OpenedBackend } from './backends.js'
import { availableBackends } from './available-backends.js'

const { backends, shutdown } = await availableBackends()
afterAll(shutdown)

type ArrayMethod = 'insertMany' | 'updateManyById'

/** The storage, recording how many rows or requests each call of the two array methods carried. */
function recordingCallSizes(storage: TaskExecutionsStorage): {
  storage: TaskExecutionsStorage
  sizes: Record<ArrayMethod, Array<number>>
} {
  const sizes: Record<ArrayMethod, Array<number>> = { insertMany: [], updateManyById: [] }
  const recording = new Proxy(storage, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver)
      if (property !== 'insertMany' && property !== 'updateManyById') return value
      const method = value as (argument: ReadonlyArray<unknown>) => unknown
      return (argument: ReadonlyArray<unknown>) => {
        sizes[property].push(argument.length)
        return method.call(target, argument)
      }
    },
  })
  return { storage: recording, sizes }
}

function batchingLayer(storage: TaskExecutionsStorage): TaskExecutionsStorageLayer {
  const layer = new TaskExecutionsStorageLayer(storage, {
    enableBatching: true,
    batchWindowMs: 5,
    maxRetryAttempts: 1,
    enableStats: false,
  })
  layer.start()
  return layer
}

function settle(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'ok',
    (error: unknown) => `failed: ${(error as Error).message}`,
  )
}

for (const backend of backends) {
  describe(`batched failures through the storage layer on ${backend.name}`, () => {
    let tableName: string
    let opened: OpenedBackend<unknown>
    beforeAll(async () => {
      tableName = uniqueTableName('te_bfail')
      opened = await backend.open(tableName)
      if (backend.dialect !== 'sqlite') await rejectRetryAttemptsValue(opened, tableName)
    })
    afterAll(async () => {
      await opened.close()
    })

    it("fails only the enqueue whose row duplicates an existing id; the others' rows exist once", async () => {
      const existing = buildTaskExecutionRow()
      await opened.storage.insertMany([existing])
      const parent = buildTaskExecutionRow()
      const child = (executionId?: string) =>
        buildTaskExecutionRow({ parent: parentLinkTo(parent), ...(executionId ? { executionId } : {}) })
      const firstRows = [child(), child()]
      const lastRow = child()
      const { storage, sizes } = recordingCallSizes(opened.storage)
      const layer = batchingLayer(storage)

      const outcomes = [
        settle(layer.insertMany(firstRows)),
        settle(layer.insertMany([child(existing.executionId)])),
        settle(layer.insertMany([lastRow])),
      ]
      const [first, duplicate, last] = await Promise.all(outcomes)
      await layer.shutdown()

      expect(sizes.insertMany[0]).toBe(4)
      expect([first, last]).toEqual(['ok', 'ok'])
      expect(duplicate).toContain(`already exists [executionIds=${existing.executionId}]`)
      const [children] = await opened.storage.getManyByParentExecutionId([
        { parentExecutionId: parent.executionId },
      ])
      expect(children?.map((row) => row.executionId).sort()).toEqual(
        [...firstRows, lastRow].map((row) => row.executionId).sort(),
      )
      const [existingAfter] = await opened.storage.getManyById([{ executionId: existing.executionId }])
      expect(existingAfter?.parent).toBeUndefined()
    })

    it('fails only the caller whose value the storage refuses before any SQL; the others take effect', async () => {
      const rows = [0, 1, 2].map(() => buildTaskExecutionRow())
      await opened.storage.insertMany(rows)
      const layer = batchingLayer(opened.storage)
      const outcomes = await Promise.all(
        rows.map((row, index) =>
          settle(
            layer.updateById({
              executionId: row.executionId,
              update: { status: index === 1 ? ('COMPLETED' as 'completed') : 'completed', updatedAt: row.updatedAt + 1 },
            }),
          ),
        ),
      )
      await layer.shutdown()
      expect(outcomes[0]).toBe('ok')
      expect(outcomes[1]).toMatch(/^failed: .*update\.status must be one of/)
      expect(outcomes[2]).toBe('ok')
      const after = await opened.storage.getManyById(rows.map((row) => ({ executionId: row.executionId })))
      expect(after.map((value) => value?.status)).toEqual(['completed', 'ready', 'completed'])
    })

    if (backend.dialect !== 'sqlite') {
      it('does not send again the merged updates the storage made when one of them fails', async () => {
        const rows = [0, 1, 2].map(() => buildTaskExecutionRow())
        await opened.storage.insertMany(rows)
        const { storage, sizes } = recordingCallSizes(opened.storage)
        const layer = batchingLayer(storage)

        const outcomes = rows.map((row, index) =>
          settle(
            layer.updateById({
              executionId: row.executionId,
              update: { retryAttempts: index === 1 ? RETRY_ATTEMPTS_THE_DATABASE_REFUSES : index + 1, updatedAt: row.updatedAt + 1 },
            }),
          ),
        )
        const [first, failed, last] = await Promise.all(outcomes)
        await layer.shutdown()

        expect([first, last]).toEqual(['ok', 'ok'])
        expect(failed).toMatch(/^failed: /)
        // The batch only: the requests that took effect are not sent again, and the failed one's
        // error (a check violation) is not retryable.
        expect(sizes.updateManyById).toEqual([3])
        const after = await opened.storage.getManyById(rows.map((row) => ({ executionId: row.executionId })))
        expect(after.map((value) => value?.retryAttempts)).toEqual([1, 0, 3])
      })

      it('still tells each caller whose update took effect whether its row matched when another update of the call fails', async () => {
        const rows = [0, 1, 2].map(() => buildTaskExecutionRow())
        await opened.storage.insertMany(rows)
        const layer = batchingLayer(opened.storage)

        // The last writer's lease is gone (its row is still ready): it must hear that it matched nothing.
        const matches = rows.map((row, index) =>
          layer
            .updateById({
              executionId: row.executionId,
              filters: { status: index === 2 ? 'running' : 'ready' },
              update: { retryAttempts: index === 1 ? RETRY_ATTEMPTS_THE_DATABASE_REFUSES : index + 1, updatedAt: row.updatedAt + 1 },
            })
            .catch((error: unknown) => error),
        )
        const [first, failed, stale] = await Promise.all(matches)
        await layer.shutdown()

        expect(failed).toBeInstanceOf(Error)
        expect([first, stale]).toEqual([true, false])
        const after = await opened.storage.getManyById(rows.map((row) => ({ executionId: row.executionId })))
        expect(after.map((value) => value?.retryAttempts)).toEqual([1, 0, 0])
      })
    }
  })
}
