/**
 * The storage contract's value rules on every backend (storage-checks.ts): each defect found by
 * calling the storages directly is refused alike, with an InvalidStorageValueError naming the
 * field, and leaves the table as it was; exact values round-trip; on MariaDB a row too large for
 * the server's max_allowed_packet once escaped is refused before it is sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { InvalidStorageValueError, type TaskExecutionStorageValue } from '../../src/core/index.js'
import { buildTaskExecutionRow } from '../../src/testing/index.js'
import { uniqueTableName, type OpenedBackend } from './backends.js'
import { availableBackends } from './available-backends.js'

const { backends, shutdown } = await availableBackends()
afterAll(shutdown)

/** A row with one field replaced by a value of the wrong kind, as an untyped caller would send it. */
const rowWith = (field: string, value: unknown): TaskExecutionStorageValue => ({ ...buildTaskExecutionRow(), [field]: value })

for (const backend of backends) {
  describe(`storage value rules on ${backend.name}`, () => {
    let opened: OpenedBackend<unknown>
    beforeAll(async () => {
      opened = await backend.open(uniqueTableName('te_val'), { enableTestMode: true })
    })
    afterAll(async () => {
      await opened.close()
    })

    /** Inserts a good row and `row`; expects the refusal naming `field`, and neither row written. */
    const refusedInsert = async (row: TaskExecutionStorageValue, field: string) => {
      const good = buildTaskExecutionRow()
      const error = await opened.storage.insertMany([good, row]).catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(InvalidStorageValueError)
      expect((error as InvalidStorageValueError).field).toBe(field)
      expect((error as InvalidStorageValueError).isRetryable).toBe(false)
      expect((error as Error).message).toContain(field)
      expect(await opened.storage.getManyById([{ executionId: good.executionId }])).toEqual([undefined])
    }

    it('refuses a flag that is not a boolean (SQLite stored "bogus" and read back true)', async () => {
      await refusedInsert(rowWith('isFinished', 'bogus'), 'executions[1].isFinished')
    })

    it('refuses a task id that is not a string (SQLite read 0 back as "0.0")', async () => {
      await refusedInsert(rowWith('taskId', 0), 'executions[1].taskId')
    })

    it('refuses a JSON column given a bare string (it was decoded twice and the row could not be read)', async () => {
      await refusedInsert(rowWith('error', ''), 'executions[1].error')
    })

    it('refuses a status in another case (MariaDB accepted "COMPLETED")', async () => {
      await refusedInsert(rowWith('status', 'COMPLETED'), 'executions[1].status')
      const row = buildTaskExecutionRow()
      await opened.storage.insertMany([row])
      const error = await opened.storage
        .updateManyById([{ executionId: row.executionId, update: { status: 'Completed' as 'completed', updatedAt: Date.now() } }])
        .catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(InvalidStorageValueError)
      expect((error as InvalidStorageValueError).field).toBe('requests[0].update.status')
      expect((await opened.storage.getManyById([{ executionId: row.executionId }]))[0]?.status).toBe('ready')
    })

    it('refuses ids with a lone surrogate half or U+0000, and ids longer than 255 characters', async () => {
      await refusedInsert(buildTaskExecutionRow({ executionId: 'te_\uD800x' }), 'executions[1].executionId')
      await refusedInsert(buildTaskExecutionRow({ executionId: 'te_a\0b' }), 'executions[1].executionId')
      await refusedInsert(buildTaskExecutionRow({ executionId: `te_${'x'.repeat(253)}` }), 'executions[1].executionId')
      const longest = buildTaskExecutionRow({ executionId: `te_${'x'.repeat(252)}` })
      await opened.storage.insertMany([longest])
      expect(await opened.storage.getManyById([{ executionId: longest.executionId }])).toEqual([longest])
    })

    it('refuses a serialized payload with a lone surrogate half, and keeps every well-formed one exactly', async () => {
      await refusedInsert(buildTaskExecutionRow({ input: 'a\uDC00' }), 'executions[1].input')
      const row = buildTaskExecutionRow({ input: 'é 😀 \u0001 \\u0000 \'"`; drop table x' })
      await opened.storage.insertMany([row])
      expect(await opened.storage.getManyById([{ executionId: row.executionId }])).toEqual([row])
    })

    it('keeps an error message holding U+0000 and astral characters exactly', async () => {
      const row = buildTaskExecutionRow({
        error: { errorType: 'generic', message: 'a\0b 😀 \u2028', isRetryable: false, isInternal: false },
      })
      await opened.storage.insertMany([row])
      expect(await opened.storage.getManyById([{ executionId: row.executionId }])).toEqual([row])
    })

    it('names a bad child by its place in the request, and neither updates the parent nor inserts a child', async () => {
      const parent = buildTaskExecutionRow({ status: 'running' })
      await opened.storage.insertMany([parent])
      const goodChild = buildTaskExecutionRow()
      const error = await opened.storage
        .updateManyByIdAndInsertChildrenIfUpdated([
          {
            executionId: parent.executionId,
            update: { status: 'waiting_for_children', updatedAt: Date.now() },
            childrenTaskExecutionsToInsertIfAnyUpdated: [goodChild, rowWith('taskId', null)],
          },
        ])
        .catch((caught: unknown) => caught)
      expect((error as InvalidStorageValueError).field).toBe('requests[0].childrenTaskExecutionsToInsertIfAnyUpdated[1].taskId')
      expect(await opened.storage.getManyById([{ executionId: parent.executionId }, { executionId: goodChild.executionId }])).toEqual([parent, undefined])
    })

    it('refuses numbers its columns cannot hold exactly (a fraction, NaN, beyond 2^31 for counts)', async () => {
      await refusedInsert(rowWith('startAt', 1.5), 'executions[1].startAt')
      await refusedInsert(rowWith('retryAttempts', 2 ** 31), 'executions[1].retryAttempts')
      await refusedInsert(rowWith('timeoutMs', Number.NaN), 'executions[1].timeoutMs')
      const error = await opened.storage
        .updateByStatusAndStartAtLessThanAndReturn({
          status: 'ready',
          startAtLessThan: Date.now(),
          update: { status: 'running', updatedAt: Date.now() },
          updateExpiresAtWithStartedAt: Date.now(),
          limit: 1.5,
        })
        .catch((caught: unknown) => caught)
      expect((error as InvalidStorageValueError).field).toBe('request.limit')
    })
  })
}

const mariaDb = backends.find((backend) => backend.dialect === 'mysql')
describe.runIf(mariaDb !== undefined)('MariaDB max_allowed_packet', () => {
  it('refuses, before sending it, a row whose escaped size exceeds the packet limit, and names the limit', async () => {
    const opened = await mariaDb!.open(uniqueTableName('te_pkt'), { enableTestMode: true })
    try {
      const [[{ bytes }]] = (await (opened.db as { execute(query: string): Promise<unknown> }).execute('select @@max_allowed_packet as bytes')) as [[{ bytes: number }]]
      // Quotes double when escaped: under the limit as text, over it on the wire.
      const row = buildTaskExecutionRow({ input: "'".repeat(Math.ceil(Number(bytes) * 0.6)) })
      opened.statements.reset()
      const error = await opened.storage.insertMany([row]).catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(InvalidStorageValueError)
      expect((error as InvalidStorageValueError).isRetryable).toBe(false)
      expect((error as Error).message).toContain(`max_allowed_packet of ${bytes} bytes`)
      expect((error as InvalidStorageValueError).field).toBe('executions[0]')
      expect(opened.statements.count('insert')).toBe(0)
      // The limit is read once per pool.
      await opened.storage.insertMany([row]).catch(() => undefined)
      expect(opened.statements.statements.filter((statement) => statement.includes('max_allowed_packet'))).toHaveLength(1)
    } finally {
      await opened.close()
    }
  })
})
