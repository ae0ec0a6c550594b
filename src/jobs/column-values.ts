/**
 * What a value must be to go into a column and come back exactly, on every dialect alike. The job
 * tables declare each column's kind (`table-declarations.ts` registers them here); for any other
 * drizzle table the kind follows from the column's drizzle type. The checks return the problem
 * as text, or `undefined`, and callers throw the error class of their context.
 *
 * The rules (the README lists them per field):
 * - ids, references and times: safe integers (no strings: MariaDB would turn `'1 or 1=1'` into 1);
 *   counts and positions: 32-bit integers, the `integer` type of PostgreSQL and MySQL.
 * - labels (names, statuses, keys, worker ids): strings of at most {@link MAX_LABEL_LENGTH}
 *   characters without NUL (PostgreSQL refuses it in text) and without lone surrogates
 *   (PostgreSQL and MariaDB would store U+FFFD, so two keys would become one).
 * - payloads: JSON data (null, booleans, finite numbers, strings, arrays, plain objects), nested at
 *   most {@link MAX_PAYLOAD_DEPTH} deep (MariaDB's limit), without lone surrogates (MariaDB's JSON
 *   check refuses them). NUL is kept: JSON carries it as the escape `\u0000`. `-0` is stored as 0.
 */
import { getTableColumns, getTableName, type Column, type Table } from 'drizzle-orm'
import type { JobColumnBuilders } from './table-builders.js'

/** The kinds of job-table columns: one per builder of {@link JobColumnBuilders}. */
export type JobColumnKind = keyof JobColumnBuilders

/** Kinds of columns of other tables, from their drizzle type. */
type DerivedColumnKind = 'safeInteger' | 'number' | 'string' | 'boolean' | 'unchecked'

/** How values of one column are checked, and how messages name it. */
export type ColumnRule = {
  /** `table.key`, for messages. */
  readonly field: string
  readonly kind: JobColumnKind | DerivedColumnKind
}

/** Most characters (code points) of a label: MySQL's `varbinary(764)` holds 191 four-byte characters. */
export const MAX_LABEL_LENGTH = 191

/** Deepest nesting of arrays and objects in a payload: MariaDB's JSON check refuses 32 levels. */
export const MAX_PAYLOAD_DEPTH = 31

const INT32_MIN = -(2 ** 31)
const INT32_MAX = 2 ** 31 - 1
const LONE_SURROGATE = /\p{Cs}/u

const rules = new WeakMap<Column, ColumnRule>()

/** Records the kinds of a job table's columns (by property key), once, when the table is declared. */
export function registerJobColumnKinds(table: Table, kinds: Readonly<Record<string, JobColumnKind>>): void {
  const tableName = getTableName(table)
  const columns: Record<string, Column> = getTableColumns(table)
  for (const [key, column] of Object.entries(columns)) {
    const kind = kinds[key]
    if (kind !== undefined) rules.set(column, { field: `${tableName}.${key}`, kind })
  }
}

function deriveKind(column: Column): DerivedColumnKind | 'payload' {
  switch (column.dataType) {
    case 'json':
      return 'payload'
    case 'string':
      return 'string'
    case 'boolean':
      return 'boolean'
    case 'number':
      return /int|serial/i.test(column.getSQLType()) ? 'safeInteger' : 'number'
    default:
      return 'unchecked'
  }
}

/** The rule of a column: declared for job tables, derived from the drizzle type otherwise. */
export function columnRuleOf(column: Column): ColumnRule {
  let rule = rules.get(column)
  if (rule === undefined) {
    const key = Object.entries(getTableColumns(column.table)).find(([, candidate]) => candidate === column)?.[0] ?? column.name
    rule = { field: `${getTableName(column.table)}.${key}`, kind: deriveKind(column) }
    rules.set(column, rule)
  }
  return rule
}

function surrogateProblem(value: string): string | undefined {
  return LONE_SURROGATE.test(value)
    ? 'it holds a lone UTF-16 surrogate, which PostgreSQL and MariaDB would replace with U+FFFD: pass well-formed Unicode.'
    : undefined
}

/** Why a string cannot be stored in a text column exactly on every dialect, if it cannot. */
export function textProblem(value: string): string | undefined {
  if (value.includes('\0')) return 'it holds a NUL character (\\u0000), which PostgreSQL cannot store in text: remove it.'
  return surrogateProblem(value)
}

function labelProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'expected a string.'
  // A string of at most MAX_LABEL_LENGTH UTF-16 units has at most as many code points.
  if (value.length > MAX_LABEL_LENGTH && [...value].length > MAX_LABEL_LENGTH) {
    return `it has more than ${MAX_LABEL_LENGTH} characters, the longest name, key or status every dialect stores: shorten it.`
  }
  return textProblem(value)
}

function integerProblem(value: unknown, min: number, max: number, what: string): string | undefined {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    return `expected ${what} (a number, not a string), between ${min} and ${max}.`
  }
  return undefined
}

/** Whether `value` is an object literal (or made by `Object.create(null)`), not an array or a class instance. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const prototype: unknown = Object.getPrototypeOf(value)
  return prototype === Object.prototype || prototype === null
}

/** Why a value is not JSON data that comes back exactly, with where in it; `undefined` when it is. */
export function payloadProblem(value: unknown, path = '', depth = 0): string | undefined {
  const at = path === '' ? '' : ` at ${path}`
  switch (typeof value) {
    case 'boolean':
      return undefined
    case 'number':
      return Number.isFinite(value) ? undefined : `${String(value)}${at} is not a JSON number: use a finite number or null.`
    case 'string': {
      const problem = surrogateProblem(value)
      return problem === undefined ? undefined : `the string${at}: ${problem}`
    }
    case 'object': {
      if (value === null) return undefined
      if (depth >= MAX_PAYLOAD_DEPTH) return `it nests arrays and objects more than ${MAX_PAYLOAD_DEPTH} deep${at} (MariaDB's limit; a cycle also does): flatten it.`
      if (Array.isArray(value)) {
        for (let index = 0; index < value.length; index++) {
          if (!(index in value)) return `the array${at} has a hole at ${index}: fill it (null is JSON).`
          const problem = payloadProblem(value[index], `${path}[${index}]`, depth + 1)
          if (problem !== undefined) return problem
        }
        return undefined
      }
      if (!isPlainObject(value)) {
        const name = (value as { constructor?: { name?: string } }).constructor?.name ?? 'object'
        return `a ${name}${at} is not plain JSON data: convert it to plain data first (e.g. a Date to its toISOString()).`
      }
      for (const [key, field] of Object.entries(value)) {
        const keyProblem = surrogateProblem(key)
        if (keyProblem !== undefined) return `the key ${JSON.stringify(key)}${at}: ${keyProblem}`
        const problem = payloadProblem(field, `${path}.${key}`, depth + 1)
        if (problem !== undefined) return problem
      }
      return undefined
    }
    default:
      return `${typeof value === 'undefined' ? 'undefined' : `a ${typeof value}`}${at} is not JSON data: leave the key out or use null.`
  }
}

/**
 * Why `value` cannot go into the column exactly, or `undefined` when it can. `null` passes (the
 * database enforces NOT NULL); `undefined` is "not given" and passes too.
 */
export function columnValueProblem(rule: ColumnRule, value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined
  switch (rule.kind) {
    case 'id':
    case 'reference':
    case 'time':
    case 'safeInteger':
      return integerProblem(value, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, rule.kind === 'time' ? 'epoch milliseconds as an integer' : 'an integer')
    case 'integer':
      return integerProblem(value, INT32_MIN, INT32_MAX, 'a 32-bit integer')
    case 'label':
      return labelProblem(value)
    case 'payload':
      return payloadProblem(value)
    case 'string':
      return typeof value === 'string' ? textProblem(value) : 'expected a string.'
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : 'expected a finite number.'
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'expected true or false.'
    case 'unchecked':
      return undefined
  }
}
