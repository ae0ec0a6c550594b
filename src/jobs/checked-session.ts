/**
 * The session every job repository runs on, wrapping the SQL session once for all of them:
 * - before any SQL, every value a statement binds to a column (rows to insert, values to set, the
 *   operands of its conditions, ids) is checked against that column (`column-values.ts`), and
 *   `limit` / `offset` are checked, so a refused call wrote nothing and every dialect refuses alike;
 * - a database error comes out as a `DurableExecutionStorageError` of its kind (unique,
 *   check, not-null or foreign-key violation, lost connection, conflict, other) whose cause is a
 *   summary of the driver's error, never the driver's error with its SQL parameters.
 * Errors thrown by a transaction's callback (the caller's own) pass through unchanged.
 */
import { Column, entityKind, getTableColumns, getTableName, is, Param, SQL, type Table } from 'drizzle-orm'
import { toStorageError, type SqlSelectOptions, type SqlSession, type SqlValues } from '../sql/index.js'
import { columnRuleOf, columnValueProblem } from './column-values.js'
import { InvalidJobOptionError, InvalidJobValueError } from './errors.js'

const checkedSessions = new WeakSet<SqlSession>()

/** Throws when `value` cannot go into `column` exactly. */
function checkColumnValue(column: Column, value: unknown): void {
  const rule = columnRuleOf(column)
  const problem = columnValueProblem(rule, value)
  if (problem !== undefined) throw new InvalidJobValueError(rule.field, value, problem)
}

/** An object made by `Object.create(null)` (or a JSON parser that does so), on which drizzle's `is` fails. */
const hasNullPrototype = (value: unknown): value is object => typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === null

/** drizzle's own objects (SQL, columns, tables, params) carry an entity kind; a caller's objects do not. */
const isDrizzleEntity = (value: object) => !hasNullPrototype(value) && entityKind in ((value as { constructor?: object }).constructor ?? {})

/** drizzle's `is`, also for objects without a prototype (which are never drizzle's; `is` throws on them). */
function isA<T extends Parameters<typeof is>[1]>(value: unknown, type: T): value is InstanceType<T> {
  return !hasNullPrototype(value) && is(value, type)
}

/**
 * Checks the values bound in a condition: a `Param` bound to a column is checked against it. An
 * object that is not drizzle's own (it could render itself as SQL) is refused, named after the
 * column it follows.
 */
function checkConditionValues(chunk: unknown, previousColumn: Column | undefined): void {
  if (isA(chunk, SQL)) {
    let column: Column | undefined
    for (const part of chunk.queryChunks) {
      if (isA(part, Column)) column = part
      checkConditionValues(part, column)
    }
  } else if (Array.isArray(chunk)) {
    for (const part of chunk) checkConditionValues(part, previousColumn)
  } else if (isA(chunk, Param)) {
    if (!isA(chunk.encoder, Column)) return
    // `column = NULL` matches nothing on every dialect: an id or a key of null is a caller's mistake.
    if (chunk.value === null || chunk.value === undefined) {
      throw new InvalidJobValueError(columnRuleOf(chunk.encoder).field, chunk.value, 'a comparison with null matches nothing: pass a value (filters take null or { isNull: true } for IS NULL).')
    }
    checkColumnValue(chunk.encoder, chunk.value)
  } else if ((typeof chunk === 'object' && chunk !== null && !isDrizzleEntity(chunk)) || typeof chunk === 'function') {
    const field = previousColumn === undefined ? 'condition value' : columnRuleOf(previousColumn).field
    throw new InvalidJobValueError(field, chunk, 'expected a plain value (a number or a string), not an object.')
  }
}

/**
 * Checks a row or a SET: every key is a column of the table, every value fits its column. Returns
 * the values to bind: the same object, or a copy where a payload made by `Object.create(null)`
 * is a plain object with the same keys (drizzle cannot tell it from SQL otherwise).
 */
function checkedRowValues(table: Table, values: SqlValues): SqlValues {
  const columns: Record<string, Column> = getTableColumns(table)
  let copy: SqlValues | undefined
  for (const [key, value] of Object.entries(values)) {
    const column = Object.hasOwn(columns, key) ? columns[key] : undefined
    if (column === undefined) {
      const tableName = getTableName(table)
      throw new InvalidJobValueError(`${tableName}.${key}`, value, `${JSON.stringify(key)} is not a column of ${tableName}: use one of ${Object.keys(columns).join(', ')}.`)
    }
    // The repositories' own expressions (`attempts + 1`) are SQL; a caller's value never is.
    if (isA(value, SQL)) continue
    checkColumnValue(column, value)
    if (hasNullPrototype(value)) {
      copy ??= { ...values }
      copy[key] = { ...value }
    }
  }
  return copy ?? values
}

function checkPaging(options: Pick<SqlSelectOptions, 'limit' | 'offset'>): void {
  for (const name of ['limit', 'offset'] as const) {
    const value = options[name]
    if (value !== undefined && !(Number.isSafeInteger(value) && value >= 0)) {
      throw new InvalidJobOptionError(name, value, 'expected a non-negative integer (a number, not a string), or leave it out.')
    }
  }
}

/**
 * `session` with every statement checked and its database errors classified (idempotent: a
 * session made by this function is returned as is).
 */
export function checkedJobSession(session: SqlSession): SqlSession {
  if (checkedSessions.has(session)) return session
  const storageError = (error: unknown, table: Table | undefined, operation: string) =>
    toStorageError(error, session.errorCodes, {
      dialectName: session.dialectName,
      tableName: table === undefined ? '(any)' : getTableName(table),
      operation,
    })
  const run = async <T>(table: Table | undefined, operation: string, statement: () => Promise<T>): Promise<T> => {
    try {
      return await statement()
    } catch (error) {
      throw storageError(error, table, operation)
    }
  }
  const { claimCandidatesWhere, insertRowReturning } = session
  const checked: SqlSession = {
    dialectName: session.dialectName,
    errorCodes: session.errorCodes,
    maxBoundParameters: session.maxBoundParameters,
    selectRows: async (table, options = {}) => {
      checkPaging(options)
      checkConditionValues(options.where, undefined)
      return run(table, 'select', () => session.selectRows(table, options))
    },
    selectRowsToClaim: async (table, query) => {
      checkConditionValues(query.where, undefined)
      return run(table, 'select to claim', () => session.selectRowsToClaim(table, query))
    },
    insertRows: async (table, rows, duplicates) => {
      const checked = rows.map((row) => checkedRowValues(table, row))
      return run(table, 'insert', () => session.insertRows(table, checked, duplicates))
    },
    insertRowReturningId: async (table, row) => {
      const checked = checkedRowValues(table, row)
      return run(table, 'insert', () => session.insertRowReturningId(table, checked))
    },
    updateRows: async (table, set, where) => {
      const checked = checkedRowValues(table, set)
      checkConditionValues(where, undefined)
      return run(table, 'update', () => session.updateRows(table, checked, where))
    },
    updateReturnsRows: session.updateReturnsRows,
    updateRowsReturning: async (table, set, where, fields) => {
      const checked = checkedRowValues(table, set)
      checkConditionValues(where, undefined)
      return run(table, 'update', () => session.updateRowsReturning(table, checked, where, fields))
    },
    deleteRows: async (table, where) => {
      checkConditionValues(where, undefined)
      return run(table, 'delete', () => session.deleteRows(table, where))
    },
    claimCandidatesWhere: claimCandidatesWhere && ((table, query, key) => {
      checkConditionValues(query.where, undefined)
      return claimCandidatesWhere(table, query, key)
    }),
    insertRowReturning: insertRowReturning && (async (table, row) => {
      const checked = checkedRowValues(table, row)
      return run(table, 'insert', () => insertRowReturning(table, checked))
    }),
    transaction: async (fn) => {
      let callbackFailure: { readonly error: unknown } | undefined
      try {
        return await session.transaction(async (tx) => {
          try {
            return await fn(checkedJobSession(tx))
          } catch (error) {
            callbackFailure = { error }
            throw error
          }
        })
      } catch (error) {
        if (callbackFailure !== undefined && callbackFailure.error === error) throw error
        throw storageError(error, undefined, 'transaction')
      }
    },
    executeStatement: async (statement) => run(undefined, 'statement', () => session.executeStatement(statement)),
    typedValue: (value, column) => {
      checkColumnValue(column, value)
      return session.typedValue(value, column)
    },
  }
  checkedSessions.add(checked)
  return checked
}
