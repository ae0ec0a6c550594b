/** The dialect-neutral pieces of the SQL storage that need no database. */
import { describe, expect, it } from 'vitest'
import {
  chunkItems,
  estimateValueBytes,
  classifyDatabaseError,
  describeDatabaseError,
  errorChain,
  planMergedUpdates,
  readAffectedRowsCount,
  resolveMySqlStorageArguments,
  taskExecutionRowToValue,
  toStorageError,
  taskExecutionValueToInsertRow,
  updateToColumnValues,
  type DatabaseErrorCodes,
  type TaskExecutionsRow,
} from '../../src/common/index.js'
import { DurableExecutionStorageError } from '../../src/core/index.js'
import { buildTaskExecutionRow } from '../../src/testing/index.js'

const CODES: DatabaseErrorCodes = {
  uniqueViolation: ['23505'],
  checkViolation: ['23514'],
  notNullViolation: ['23502'],
  foreignKeyViolation: ['23503'],
  conflict: ['40P01'],
  connectionLost: ['57P01'],
  connectionLostMessages: [/Connection terminated/],
  duplicateColumn: ['42701'],
  missingIndex: ['KEY_MISSING'],
}

describe('error classification', () => {
  it('finds the driver code on the cause of a drizzle query error', () => {
    const driverError = Object.assign(new Error('duplicate key value'), { code: '23505' })
    const drizzleError = new Error('Failed query: insert …', { cause: driverError })
    expect(classifyDatabaseError(drizzleError, CODES)).toBe('unique_violation')
  })

  it('classifies deadlocks as conflicts and socket errors inside an AggregateError as lost connections', () => {
    expect(classifyDatabaseError(Object.assign(new Error('deadlock'), { code: '40P01' }), CODES)).toBe('conflict')
    const refused = new AggregateError([Object.assign(new Error('connect ECONNREFUSED ::1:5432'), { code: 'ECONNREFUSED' })], '')
    expect(classifyDatabaseError(refused, CODES)).toBe('connection_lost')
    expect(classifyDatabaseError(new Error('Connection terminated unexpectedly'), CODES)).toBe('connection_lost')
    expect(classifyDatabaseError(new Error('syntax error'), CODES)).toBe('other')
  })

  it("leaves out a PostgreSQL detail that prints the failing row's values", () => {
    const driverError = Object.assign(new Error('null value in column "status" violates not-null constraint'), {
      code: '23502',
      detail: 'Failing row contains (1, SECRET_PAYLOAD, null).',
    })
    expect(describeDatabaseError(driverError)).toBe('null value in column "status" violates not-null constraint [code=23502]')
  })

  it('classifies check, not-null and foreign-key violations by their codes', () => {
    expect(classifyDatabaseError(Object.assign(new Error('check'), { code: '23514' }), CODES)).toBe('check_violation')
    expect(classifyDatabaseError(Object.assign(new Error('null'), { code: '23502' }), CODES)).toBe('not_null_violation')
    expect(classifyDatabaseError(Object.assign(new Error('fk'), { code: '23503' }), CODES)).toBe('foreign_key_violation')
  })

  it('turns a driver error into a storage error of its kind whose cause keeps no query or parameter', () => {
    const secret = 'card-4242-4242'
    const driverError = Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })
    const drizzleError = new Error(`Failed query: update "t" set "output" = $1\nparams: ${secret}`, { cause: driverError })
    Object.assign(drizzleError, { query: 'update "t" set "output" = $1', params: [secret] })
    const error = toStorageError(drizzleError, CODES, { dialectName: 'PostgreSQL', tableName: 't', operation: 'updateManyById' })
    expect(error).toBeInstanceOf(DurableExecutionStorageError)
    expect(error).toMatchObject({ kind: 'connection_lost', isRetryable: true, isInternal: true })
    expect(error.message).toMatch(/^Lost the connection to the database during updateManyById on PostgreSQL table "t": terminating connection/)
    expect(JSON.stringify(errorChain(error).map((entry) => ({ ...entry, message: entry.message, stack: entry.stack })))).not.toContain(secret)
    const constraint = toStorageError(Object.assign(new Error('violates check'), { code: '23514' }), CODES, { dialectName: 'PostgreSQL', tableName: 't', operation: 'insertMany' })
    expect(constraint).toMatchObject({ kind: 'check_violation', isRetryable: false })
  })

  it('says how to create the indexes when a statement names one the table lacks', () => {
    const driverError = Object.assign(new Error("Key 'ix_t_status_start_at' doesn't exist in table 't'"), { code: 'KEY_MISSING' })
    const error = toStorageError(new Error('Failed query: select …', { cause: driverError }), CODES, { dialectName: 'MySQL', tableName: 't', operation: 'claim' })
    expect(error.message).toBe(
      "claim on MySQL table \"t\" failed: Key 'ix_t_status_start_at' doesn't exist in table 't' [code=KEY_MISSING]. The table lacks an index " +
        "this library's statements name: run the dialect's ensure function, which adds the indexes a table lacks, or create the table with the shipped migrations.",
    )
  })

  it("describes an error by the driver's message, not drizzle's query dump", () => {
    const driverError = Object.assign(new Error('duplicate key value'), { code: '23505', detail: 'Key (execution_id)=(te_x) already exists.' })
    const drizzleError = new Error(`Failed query: insert …\nparams: ${'x'.repeat(10_000)}`, { cause: driverError })
    expect(describeDatabaseError(drizzleError)).toBe('duplicate key value Key (execution_id)=(te_x) already exists. [code=23505]')
  })
})

describe('MySQL affected rows', () => {
  it('reads mysql2 [ResultSetHeader] and { rowsAffected } results, and names what to pass otherwise', () => {
    expect(readAffectedRowsCount([{ affectedRows: 3 }, undefined])).toBe(3)
    expect(readAffectedRowsCount({ rowsAffected: 2 })).toBe(2)
    expect(() => readAffectedRowsCount(42)).toThrow(/Pass getAffectedRowsCount/)
  })

  it("accepts upstream's positional extractor or an options object in third place", () => {
    const extractor = () => 7
    expect(resolveMySqlStorageArguments(extractor, { enableTestMode: true })).toEqual({ getAffectedRowsCount: extractor, enableTestMode: true })
    expect(resolveMySqlStorageArguments({ enableTestMode: true }, undefined)).toEqual({
      getAffectedRowsCount: readAffectedRowsCount,
      enableTestMode: true,
    })
  })
})

describe('merge planning', () => {
  const update = (updatedAt: number, extra = {}) => ({ updatedAt, ...extra })

  it('groups requests of one shape and puts a repeated key in a later round', () => {
    const plan = planMergedUpdates([
      { key: 'a', filters: [['status', 'running']], update: update(1, { output: 'x' }) },
      { key: 'b', filters: [['status', 'running']], update: update(2, { output: 'y' }) },
      { key: 'c', filters: [], update: update(3, { output: 'z' }) },
      { key: 'a', filters: [['status', 'running']], update: update(4, { output: 'w' }) },
      { key: 'd', filters: [['status', 'running']], update: update(5, { unset: { output: true } }) },
    ])
    expect(plan).toEqual([[[0, 1], [2], [4]], [[3]]])
  })

  it('keeps a request alone when it may not be merged', () => {
    const requests = [0, 1, 2].map((index) => ({ key: `k${index}`, filters: [], update: update(index) }))
    expect(planMergedUpdates(requests, (index) => index !== 1)).toEqual([[[0, 2], [1]]])
  })
})

describe('chunks', () => {
  it('keeps order, limits items and bytes, and sends an oversized item alone', () => {
    expect(chunkItems([1, 2, 3, 4, 5], { maxItems: 2, maxBytes: 100 }, () => 10)).toEqual([[1, 2], [3, 4], [5]])
    expect(chunkItems([10, 200, 10, 10], { maxItems: 10, maxBytes: 100 }, (item) => item)).toEqual([[10], [200], [10, 10]])
  })

  it('bounds a value\'s bytes from above: 4 bytes a character, 24 a scalar, 16 more per object or array', () => {
    expect(estimateValueBytes('abc')).toBe(3 * 4 + 8)
    expect(estimateValueBytes(7)).toBe(24)
    expect(estimateValueBytes(null)).toBe(24)
    expect(estimateValueBytes({ a: 'xy', b: [1, 'z'], c: undefined })).toBe(16 + (2 * 4 + 8) + (16 + 24 + (4 + 8)) + 24)
    // Own fields only: what a prototype holds is not written.
    expect(estimateValueBytes(Object.assign(Object.create({ inherited: 'x'.repeat(100) }), { own: 'y' }))).toBe(16 + 4 + 8)
  })
})

describe('rows and values', () => {
  it('round-trips falsy optional values (0, empty strings) instead of dropping them', () => {
    const value = buildTaskExecutionRow({ executorId: '', output: '', startedAt: 0, finishedAt: 0, retryAttempts: 0 })
    const row = { id: 1, ...taskExecutionValueToInsertRow(value) } as TaskExecutionsRow
    const withNulls = Object.fromEntries(Object.entries(row).map(([key, field]) => [key, field === undefined ? null : field]))
    expect(taskExecutionRowToValue(withNulls as TaskExecutionsRow)).toEqual(value)
  })

  it('decodes JSON columns that MariaDB returns as text', () => {
    const value = buildTaskExecutionRow({ children: [{ taskId: 't', executionId: 'te_1' }] })
    const row = { id: 1, ...taskExecutionValueToInsertRow(value) } as Record<string, unknown>
    const asText = { ...row, retryOptions: JSON.stringify(value.retryOptions), children: JSON.stringify(value.children) }
    expect(taskExecutionRowToValue(asText as unknown as TaskExecutionsRow).children).toEqual(value.children)
  })

  it('writes NULL for unset fields, which win over a value for the same field, and drops undefined keys', () => {
    const columns = updateToColumnValues({ updatedAt: 5, executorId: 'de_1', output: undefined, unset: { executorId: true, error: false } })
    expect(Object.fromEntries(columns)).toEqual({ updatedAt: 5, executorId: null })
  })
})
