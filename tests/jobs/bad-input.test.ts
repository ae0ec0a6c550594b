/**
 * The defects of issue 12 in the job repositories, one test each, on every backend: keys that
 * MariaDB compared ignoring case and trailing spaces, a status CHECK that ignored case, filters
 * that took keys from `Object.prototype` or crashed on `{ in: null }`, paging and ids that reached
 * the driver with the wrong type, raw driver errors, NUL and lone surrogates, JSON decoded twice.
 */
import { DrizzleQueryError, getTableName, sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { DurableExecutionStorageError } from '../../src/core/index.js'
import {
  InvalidJobFilterError,
  InvalidJobOptionError,
  InvalidJobValueError,
  JobInputError,
  type RootJobStore,
  type WhereFilter,
  type WorkflowRow,
} from '../../src/jobs/index.js'
import { withFreshStore } from '../../src/testing/job-store-suite/harness.js'
import { everyTextOf, jobTestBackends } from './backends.js'

/** The rows of every job table, to show that a refused call wrote nothing. */
async function snapshot(store: RootJobStore): Promise<string> {
  const tables = Object.values(store.tables)
  const rows = await Promise.all(tables.map(async (table) => store.session.selectRows(table)))
  return JSON.stringify(rows)
}

/** The error `call` rejects with; fails when it resolves. */
async function failureOf(call: Promise<unknown>): Promise<unknown> {
  try {
    await call
  } catch (error) {
    return error
  }
  throw new Error('expected the call to fail')
}

async function expectStorageError(call: Promise<unknown>, kind: DurableExecutionStorageError['kind'], planted: string): Promise<void> {
  const error = await failureOf(call)
  expect(error).toBeInstanceOf(DurableExecutionStorageError)
  expect((error as DurableExecutionStorageError).kind).toBe(kind)
  const texts = everyTextOf(error)
  expect(texts).not.toContain(planted)
  expect(texts).not.toContain('Failed query')
  for (let cause: unknown = error; cause instanceof Error; cause = cause.cause) expect(cause).not.toBeInstanceOf(DrizzleQueryError)
}

for (const backend of await jobTestBackends()) {
  describe(`bad input on ${backend.name}`, () => {
    const withStore = (fn: (store: RootJobStore) => Promise<void>) => withFreshStore({ openStore: backend.openStore }, fn)

    it('keeps idempotency keys that differ only in case, accents or trailing spaces apart', async () => {
      await withStore(async (store) => {
        const keys = ['Order-1', 'order-1 ', 'Order-1 ', 'ORDER-1', 'Órder-1', 'Orde\u0301r-1', 'ß', 'ss']
        for (const key of keys) {
          const { claimed, record } = await store.idempotencyKeys.claim('s', key)
          expect({ claimed, key: record.key, scope: record.scope }).toEqual({ claimed: true, key, scope: 's' })
        }
        for (const key of keys) expect((await store.idempotencyKeys.claim('s', key)).claimed).toBe(false)
        expect(await store.idempotencyKeys.count({ scope: 's' })).toBe(keys.length)
        expect(await store.idempotencyKeys.count({ scope: 'S' })).toBe(0)
      })
    })

    it('keeps step names and filters on names exact', async () => {
      await withStore(async (store) => {
        const workflow = await store.workflows.create({ name: 'a' })
        for (const name of ['Step', 'step', 'step ']) await store.workflowSteps.createStep({ workflowId: workflow.id, name })
        await store.workflows.create({ name: 'A' })
        await store.workflows.create({ name: 'a ' })
        expect((await store.workflows.findMany({ where: { name: 'a' } })).map((row) => row.name)).toEqual(['a'])
        expect(await store.workflowSteps.count({ workflowId: workflow.id })).toBe(3)
      })
    })

    it('refuses a status that differs from a valid one only in case, through the repository and in raw SQL', async () => {
      await withStore(async (store) => {
        const workflow = await store.workflows.create({ name: 'w' })
        // Below the repositories (whose update() refuses any status), the table's check refuses it.
        const byId = sql`${store.tables.workflows.id} = ${workflow.id}`
        await expectStorageError(store.session.updateRows(store.tables.workflows, { status: 'COMPLETED' }, byId), 'check_violation', 'COMPLETED')
        const table = store.tables.workflows
        await expectStorageError(
          store.session.executeStatement(
            sql`insert into ${table} (${sql.identifier('name')}, ${sql.identifier('status')}, ${sql.identifier('attempts')}, ${sql.identifier('created_at')}, ${sql.identifier('updated_at')}) values ('raw', 'Pending ', 0, 1, 1)`,
          ),
          'check_violation',
          'Pending ',
        )
        expect((await store.workflows.findById(workflow.id))?.status).toBe('pending')
      })
    })

    it('refuses filter keys inherited from Object.prototype and deletes nothing', async () => {
      await withStore(async (store) => {
        await store.workflows.create({ name: 'kept' })
        const before = await snapshot(store)
        for (const key of ['toString', 'constructor', 'hasOwnProperty', 'valueOf', '__proto__', 'nope']) {
          const where = Object.fromEntries([[key, { ne: 'x' }]]) as WhereFilter<WorkflowRow>
          const error = await failureOf(store.workflows.delete(where))
          expect(error).toBeInstanceOf(InvalidJobFilterError)
          expect((error as Error).message).toContain(`Invalid where.${key}`)
          expect((error as Error).message).toContain('is not a column of this table: use one of id, name, status')
        }
        expect(await snapshot(store)).toBe(before)
        expect(await store.workflows.count()).toBe(1)
      })
    })

    it('refuses malformed operators with a message naming the key and what to pass', async () => {
      await withStore(async (store) => {
        const refusals: Array<[WhereFilter<WorkflowRow>, RegExp]> = [
          [{ name: { in: null } } as never, /Invalid where\.name\.in null \(null\): expected an array of values/],
          [{ name: { like: 'a%' } } as never, /unknown operator "like": use one of in, notIn, ne, gt, gte, lt, lte, isNull/],
          [{ name: { ne: 'a', gt: 'b' } }, /an operator object holds exactly one of/],
          [{ name: {} } as never, /an operator object holds exactly one of/],
          [{ attempts: { gt: '1' } } as never, /Invalid where\.attempts\.gt "1" \(string\): expected a 32-bit integer/],
          [{ id: { in: [1, '2 or 1=1'] } } as never, /Invalid where\.id\.in\[1\] "2 or 1=1" \(string\)/],
          [{ status: { isNull: 'yes' } } as never, /Invalid where\.status\.isNull "yes" \(string\): expected true or false/],
          [{ input: { a: 1 } } as never, /"input" is a JSON payload, which cannot be filtered or ordered on/],
          [[] as never, /Invalid where \[\] \(array\): expected an object of column keys/],
        ]
        for (const [where, message] of refusals) {
          const error = await failureOf(store.workflows.findMany({ where }))
          expect(error).toBeInstanceOf(InvalidJobFilterError)
          expect((error as Error).message).toMatch(message)
        }
        await expect(store.workflows.findMany({ orderBy: { name: 'up' } as never })).rejects.toThrow(/Invalid orderBy\.name "up" \(string\): expected 'asc' or 'desc'/)
      })
    })

    it('refuses limits and offsets that are not non-negative integers', async () => {
      await withStore(async (store) => {
        await store.workflows.create({ name: 'w' })
        for (const [option, value] of [['limit', 1.5], ['limit', '10'], ['limit', -1], ['offset', -1], ['offset', '1'], ['offset', Number.NaN], ['limit', 2 ** 53]] as const) {
          const error = await failureOf(store.workflows.findMany({ orderBy: { id: 'asc' }, [option]: value }))
          expect(error).toBeInstanceOf(InvalidJobOptionError)
          expect((error as JobInputError).field).toBe(option)
          expect((error as Error).message).toContain('expected a non-negative integer')
        }
        await expect(store.workflowHistory.getTimeline(1, { limit: '5' as never })).rejects.toThrow(InvalidJobOptionError)
        expect(await store.workflows.findMany({ limit: 0 })).toEqual([])
      })
    })

    it('refuses ids of the wrong type instead of letting the database coerce them', async () => {
      await withStore(async (store) => {
        const first = await store.workflows.create({ name: 'first' })
        const before = await snapshot(store)
        for (const id of [`${first.id} or 1=1`, String(first.id), first.id + 0.5, Number.NaN, null, undefined, { id: first.id }, 2 ** 53]) {
          const error = await failureOf(store.workflows.markRunning(id as never))
          expect(error).toBeInstanceOf(InvalidJobValueError)
          expect((error as JobInputError).field).toBe(`${getTableName(store.tables.workflows)}.id`)
          await expect(store.workflows.findById(id as never)).rejects.toThrow(InvalidJobValueError)
        }
        await expect(store.workflows.findById({ getSQL: () => sql`1 = 1` } as never)).rejects.toThrow(InvalidJobValueError)
        expect(await snapshot(store)).toBe(before)
        expect((await store.workflows.findById(first.id))?.status).toBe('pending')
      })
    })

    it('reports constraint violations as DurableExecutionStorageError without the statement or its values', async () => {
      await withStore(async (store) => {
        const workflow = await store.workflows.create({ name: 'w' })
        await store.workflowSteps.createStep({ workflowId: workflow.id, name: 'once' })
        const planted = 'PLANTED-9f3c'
        await expectStorageError(store.workflowSteps.createStep({ workflowId: workflow.id, name: 'once', input: { planted } }), 'unique_violation', planted)
        await expectStorageError(store.workflowSteps.createStep({ workflowId: 424_242, name: 'orphan', input: { planted } }), 'foreign_key_violation', planted)
        await expectStorageError(store.workflows.create({ name: null as never, input: { planted } }), 'not_null_violation', planted)
        const byId = sql`${store.tables.workflows.id} = ${workflow.id}`
        await expectStorageError(store.session.updateRows(store.tables.workflows, { status: 'bogus', input: { planted } }, byId), 'check_violation', planted)
      })
    })

    it('refuses NUL and lone surrogates in names and keys on every dialect, naming the field', async () => {
      await withStore(async (store) => {
        const before = await snapshot(store)
        const cases: Array<[() => Promise<unknown>, typeof JobInputError, string]> = [
          [() => store.workflows.create({ name: 'a\u0000b' }), InvalidJobValueError, 'workflows.name'],
          [() => store.workflows.findMany({ where: { name: 'a\u0000b' } }), InvalidJobFilterError, 'where.name'],
          [() => store.idempotencyKeys.claim('s', '\ud800'), InvalidJobValueError, 'idempotency_keys.key'],
          [() => store.idempotencyKeys.claim('s', '\udbff'), InvalidJobValueError, 'idempotency_keys.key'],
          [() => store.workflows.create({ name: 'x'.repeat(192) }), InvalidJobValueError, 'workflows.name'],
        ]
        for (const [call, errorClass, field] of cases) {
          const error = await failureOf(call())
          expect(error).toBeInstanceOf(errorClass)
          expect((error as JobInputError).field.endsWith(field)).toBe(true)
        }
        expect(await snapshot(store)).toBe(before)
        expect((await store.workflows.create({ name: '😀'.repeat(191) })).name).toBe('😀'.repeat(191))
      })
    })

    it('keeps NUL in payloads exactly and refuses lone surrogates in payloads on every dialect', async () => {
      await withStore(async (store) => {
        const input = { text: 'a\u0000b', 'key\u0000': ['\u0000'], emoji: '😀' }
        const workflow = await store.workflows.create({ name: 'nul', input })
        expect((await store.workflows.findById(workflow.id))?.input).toEqual(input)
        await store.workflows.markRunning(workflow.id)
        const error = await failureOf(store.workflows.markFailed(workflow.id, { message: 'bad \udc00 text' }))
        expect(error).toBeInstanceOf(InvalidJobValueError)
        expect((error as Error).message).toContain('at .message')
        expect((await store.workflows.findById(workflow.id))?.status).toBe('running')
      })
    })

    it('decodes JSON payloads exactly once, also strings that look like JSON', async () => {
      await withStore(async (store) => {
        const payloads = ['', '123', 'true', 'null', '"x"', '{"a":1}', '[1]', ' 1 ', 0, -1.5, true, null, [], {}, { nested: ['{"a":1}'] }]
        for (const input of payloads) {
          const created = await store.workflows.create({ name: 'json', input })
          expect(created.input).toEqual(input)
          expect((await store.workflows.findById(created.id))?.input).toEqual(input)
        }
        expect((await store.workflows.findMany({ where: { name: 'json' }, orderBy: { id: 'asc' } })).map((row) => row.input)).toEqual(payloads)
      })
    })
  })
}
