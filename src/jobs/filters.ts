/**
 * Typed filters and orderings for repositories, turned into drizzle conditions. Checked at run
 * time too, before any SQL: keys are the table's own column keys (never one inherited from
 * `Object.prototype`), an operator object holds exactly one known operator with an operand of
 * the column's type, and JSON payloads cannot be filtered or ordered on. A refusal is an
 * {@link InvalidJobFilterError} naming the key and the value.
 */
import { and, asc, desc, eq, getTableColumns, gt, gte, inArray, isNull, lt, lte, ne, not, sql, type Column, type SQL, type Table } from 'drizzle-orm'
import { columnRuleOf, columnValueProblem, isPlainObject } from './column-values.js'
import { InvalidJobFilterError } from './errors.js'

/** A value a filter can compare a column with. */
export type Scalar = string | number | boolean

/** The keys of `TRow` whose values are strings, numbers or booleans (possibly null). */
export type FilterableKey<TRow> = {
  [K in keyof TRow]-?: [NonNullable<TRow[K]>] extends [Scalar] ? ([unknown] extends [TRow[K]] ? never : K) : never
}[keyof TRow]

/** A condition on one field: a value (`null` means IS NULL) or one operator. */
export type FieldFilter<TValue> =
  | TValue
  | { readonly in: ReadonlyArray<NonNullable<TValue>> }
  | { readonly notIn: ReadonlyArray<NonNullable<TValue>> }
  | { readonly ne: NonNullable<TValue> }
  | { readonly gt: NonNullable<TValue> }
  | { readonly gte: NonNullable<TValue> }
  | { readonly lt: NonNullable<TValue> }
  | { readonly lte: NonNullable<TValue> }
  | { readonly isNull: boolean }

/** Conditions on fields, all of which must hold. */
export type WhereFilter<TRow> = { readonly [K in FilterableKey<TRow>]?: FieldFilter<TRow[K]> }

/** Sort keys in priority order (object key order), each ascending or descending. */
export type OrderBy<TRow> = { readonly [K in FilterableKey<TRow>]?: 'asc' | 'desc' }

const COMPARISONS = { ne, gt, gte, lt, lte } as const
const OPERATORS = ['in', 'notIn', 'ne', 'gt', 'gte', 'lt', 'lte', 'isNull'] as const

/** The columns of a table by property key. */
export type ColumnsByKey = Readonly<Record<string, Column>>

/** The own string keys of a filter object; symbol keys cannot name a column. */
function ownKeys(object: object, field: string): Array<string> {
  if (Object.getOwnPropertySymbols(object).length > 0) {
    throw new InvalidJobFilterError(field, object, 'a symbol key names no column: use the row keys as strings.')
  }
  return Object.keys(object)
}

/** `operand` checked against the column's type; a filter never compares with a wrong-typed value. */
function checkedOperand(column: Column, field: string, operand: unknown): unknown {
  const problem = operand === null ? 'an operator compares with a value, not null: use { isNull: true } or null for IS NULL.' : columnValueProblem(columnRuleOf(column), operand)
  if (problem !== undefined) throw new InvalidJobFilterError(field, operand, problem)
  return operand
}

function checkedList(column: Column, field: string, operand: unknown): Array<unknown> {
  if (!Array.isArray(operand)) throw new InvalidJobFilterError(field, operand, 'expected an array of values, e.g. { in: [a, b] }.')
  return operand.map((item: unknown, index) => checkedOperand(column, `${field}[${index}]`, item))
}

function operatorCondition(column: Column, field: string, filter: Record<string, unknown>): SQL | undefined {
  const keys = ownKeys(filter, field)
  const operator = keys[0]
  if (keys.length !== 1 || operator === undefined) {
    throw new InvalidJobFilterError(field, filter, `an operator object holds exactly one of ${OPERATORS.join(', ')}.`)
  }
  const operand = filter[operator]
  const at = `${field}.${operator}`
  switch (operator) {
    // An empty list matches nothing (IN () is not valid SQL on every dialect).
    case 'in': {
      const list = checkedList(column, at, operand)
      return list.length === 0 ? sql`1 = 0` : inArray(column, list)
    }
    case 'notIn': {
      const list = checkedList(column, at, operand)
      return list.length === 0 ? undefined : not(inArray(column, list))
    }
    case 'ne':
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      return COMPARISONS[operator](column, checkedOperand(column, at, operand))
    case 'isNull':
      if (typeof operand !== 'boolean') throw new InvalidJobFilterError(at, operand, 'expected true or false.')
      return operand ? isNull(column) : not(isNull(column))
    default:
      throw new InvalidJobFilterError(field, filter, `unknown operator ${JSON.stringify(operator)}: use one of ${OPERATORS.join(', ')}.`)
  }
}

function fieldCondition(column: Column, field: string, filter: unknown): SQL | undefined {
  if (filter === undefined) return undefined
  if (filter === null) return isNull(column)
  if (isPlainObject(filter)) return operatorCondition(column, field, filter)
  return eq(column, checkedOperand(column, field, filter))
}

/** The column a filter or ordering key names: an own column key of the table, not a JSON payload. */
function columnOf(table: Table, field: string, key: string, value: unknown): Column {
  const columns: ColumnsByKey = getTableColumns(table)
  const column = Object.hasOwn(columns, key) ? columns[key] : undefined
  if (column === undefined) {
    throw new InvalidJobFilterError(field, value, `${JSON.stringify(key)} is not a column of this table: use one of ${Object.keys(columns).join(', ')}.`)
  }
  if (columnRuleOf(column).kind === 'payload') {
    throw new InvalidJobFilterError(field, value, `${JSON.stringify(key)} is a JSON payload, which cannot be filtered or ordered on: filter on another column.`)
  }
  return column
}

function checkedObject(value: unknown, field: string, example: string): Record<string, unknown> {
  if (!isPlainObject(value)) throw new InvalidJobFilterError(field, value, `expected an object of column keys, e.g. ${example}.`)
  return value
}

/** The AND of every field condition; `undefined` when there is none. @throws InvalidJobFilterError */
export function whereFilterToSql<TRow>(table: Table, filter: WhereFilter<TRow> | undefined): SQL | undefined {
  if (filter === undefined) return undefined
  const where = checkedObject(filter, 'where', "{ status: 'pending' }")
  const conditions = ownKeys(where, 'where').map((key) => {
    const field = `where.${key}`
    return fieldCondition(columnOf(table, field, key, where[key]), field, where[key])
  })
  return and(...conditions)
}

/**
 * ORDER BY terms in the object's key order. NULLs come first in ascending order and last in
 * descending order on every dialect (MySQL's and SQLite's order; PostgreSQL's is the reverse, so
 * a nullable column is ordered by `column is null` first). @throws InvalidJobFilterError
 */
export function orderByToSql<TRow>(table: Table, orderBy: OrderBy<TRow> | undefined): Array<SQL> {
  if (orderBy === undefined) return []
  const terms = checkedObject(orderBy, 'orderBy', "{ createdAt: 'asc' }")
  return ownKeys(terms, 'orderBy').flatMap((key) => {
    const field = `orderBy.${key}`
    const direction = terms[key]
    const column = columnOf(table, field, key, direction)
    if (direction !== 'asc' && direction !== 'desc') throw new InvalidJobFilterError(field, direction, "expected 'asc' or 'desc'.")
    const order = direction === 'desc' ? desc : asc
    return column.notNull ? [order(column)] : [order(sql`${column} is not null`), order(column)]
  })
}
