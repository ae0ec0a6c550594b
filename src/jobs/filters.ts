/**
 * Typed filters and orderings for repositories, turned into drizzle conditions: keys are the row's
 * property keys, values are checked against the row's types. JSON payloads cannot be filtered on.
 */
import { and, asc, desc, eq, gt, gte, inArray, isNull, lt, lte, ne, not, sql, type Column, type SQL } from 'drizzle-orm'

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

type OperatorFilter = { readonly [operator: string]: unknown }

function fieldCondition(column: Column, filter: unknown): SQL | undefined {
  if (filter === undefined) return undefined
  if (filter === null) return isNull(column)
  if (typeof filter !== 'object') return eq(column, filter)
  const [operator, operand] = Object.entries(filter as OperatorFilter)[0] ?? []
  switch (operator) {
    // An empty list matches nothing (IN () is not valid SQL on every dialect).
    case 'in':
      return (operand as Array<unknown>).length === 0 ? sql`1 = 0` : inArray(column, operand as Array<unknown>)
    case 'notIn':
      return (operand as Array<unknown>).length === 0 ? undefined : not(inArray(column, operand as Array<unknown>))
    case 'ne':
      return ne(column, operand)
    case 'gt':
      return gt(column, operand)
    case 'gte':
      return gte(column, operand)
    case 'lt':
      return lt(column, operand)
    case 'lte':
      return lte(column, operand)
    case 'isNull':
      return operand === true ? isNull(column) : not(isNull(column))
    default:
      throw new TypeError(`Unknown filter operator ${JSON.stringify(operator)} on column "${column.name}": use in, notIn, ne, gt, gte, lt, lte or isNull.`)
  }
}

/** The columns of a table by property key. */
export type ColumnsByKey = Readonly<Record<string, Column>>

function columnOf(columns: ColumnsByKey, key: string): Column {
  const column = columns[key]
  if (column === undefined) throw new TypeError(`Unknown column key ${JSON.stringify(key)}: use one of ${Object.keys(columns).join(', ')}.`)
  return column
}

/** The AND of every field condition; `undefined` when there is none. */
export function whereFilterToSql<TRow>(columns: ColumnsByKey, filter: WhereFilter<TRow> | undefined): SQL | undefined {
  if (filter === undefined) return undefined
  const conditions = Object.entries(filter as Record<string, unknown>).map(([key, value]) => fieldCondition(columnOf(columns, key), value))
  return and(...conditions)
}

/** ORDER BY terms in the object's key order. */
export function orderByToSql<TRow>(columns: ColumnsByKey, orderBy: OrderBy<TRow> | undefined): Array<SQL> {
  return Object.entries((orderBy ?? {}) as Record<string, 'asc' | 'desc'>).map(([key, direction]) =>
    direction === 'desc' ? desc(columnOf(columns, key)) : asc(columnOf(columns, key)),
  )
}
