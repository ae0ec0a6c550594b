/**
 * Statements that carry hundreds of values (multi-row INSERTs, `CASE key WHEN … THEN …` lists),
 * built as one flat list of drizzle chunks. drizzle renders every nested `sql` object and every
 * `Param` through a recursive walk that copies its configuration and tests each chunk against a
 * dozen entity classes; for a 50-row insert that walk cost five times the flat form (measured in
 * `bench/`). Values are still bound parameters, encoded by their column as drizzle would.
 */
import { is, Param, SQL, sql, StringChunk, type Column, type SQLChunk, type Table } from 'drizzle-orm'
import { fastRenderedFromList } from './fast-render.js'

const OPEN = new StringChunk('(')
const CLOSE = new StringChunk(')')
const COMMA = new StringChunk(', ')
const NULL = new StringChunk('null')
const WHEN = new StringChunk(' when ')
const THEN = new StringChunk(' then ')

/**
 * `value` encoded by `column` as drizzle's `Param` would, as a chunk that binds it: drizzle binds a
 * plain value found among the chunks as a parameter, exactly as the `sql` template does.
 */
export function boundValue(value: unknown, column: Column): SQLChunk {
  return (value == null ? null : column.mapToDriverValue(value)) as SQLChunk
}

const casts = new WeakMap<Column, { value: StringChunk; array: StringChunk }>()

/** `::<type>` and `::<type>[]` of `column`'s SQL type, made once per column. */
function castsOf(column: Column): { value: StringChunk; array: StringChunk } {
  let cast = casts.get(column)
  if (cast === undefined) {
    const type = column.getSQLType()
    cast = { value: new StringChunk(`::${type}`), array: new StringChunk(`::${type}[]`) }
    casts.set(column, cast)
  }
  return cast
}

/**
 * `value` bound and cast to `column`'s SQL type (`$1::bigint`): PostgreSQL cannot infer the type
 * of a parameter inside CASE, and node-postgres sends parameters untyped.
 */
export function castBoundValue(value: unknown, column: Column): Array<SQLChunk> {
  return [boundValue(value, column), castsOf(column).value]
}

/** `INSERT INTO table (c1, c2, …)`: the head both multi-row INSERT forms share. */
function insertInto(table: Table, columns: ReadonlyArray<readonly [key: string, column: Column]>): Array<SQLChunk> {
  return [new StringChunk('insert into '), table, new StringChunk(' ('), ...columnList(columns.map(([, column]) => column)), CLOSE]
}

/**
 * `INSERT INTO table (c1, c2, …) VALUES (…), (…)` over the given columns: every row binds every
 * column, and an absent value is `NULL` (column defaults are not applied, so pass every column
 * whose value matters).
 */
export function insertEveryColumnStatement(
  table: Table,
  columns: ReadonlyArray<readonly [key: string, column: Column]>,
  rows: ReadonlyArray<Record<string, unknown>>,
): SQL {
  const chunks = insertInto(table, columns)
  chunks.push(new StringChunk(' values '))
  rows.forEach((row, rowIndex) => {
    chunks.push(rowIndex === 0 ? OPEN : new StringChunk(', ('))
    columns.forEach(([key, column], index) => {
      if (index > 0) chunks.push(COMMA)
      const value = row[key]
      chunks.push(value == null ? NULL : boundValue(value, column))
    })
    chunks.push(CLOSE)
  })
  return fastRenderedFromList(chunks)
}

/**
 * `(case <keyColumn> when k1 then v1 when k2 then v2 … [else <otherwise>] end)`, where each
 * branch's value is given as chunks (a bound value, possibly with a cast).
 */
export function caseByKeyExpression(
  keyColumn: Column,
  branches: ReadonlyArray<readonly [key: unknown, value: ReadonlyArray<SQLChunk>]>,
  otherwise?: SQLChunk,
): SQL {
  const chunks: Array<SQLChunk> = [new StringChunk('(case '), keyColumn]
  for (const [key, value] of branches) chunks.push(WHEN, key as SQLChunk, THEN, ...value)
  if (otherwise !== undefined) chunks.push(new StringChunk(' else '), otherwise)
  chunks.push(new StringChunk(' end)'))
  return fastRenderedFromList(chunks)
}

/** `c1, c2, …`: the columns by name, for a select list or RETURNING (rows come back keyed by column name). */
function columnList(columns: ReadonlyArray<Column>): Array<SQLChunk> {
  return columns.flatMap((column, index) => (index === 0 ? [sql.identifier(column.name)] : [COMMA, sql.identifier(column.name)]))
}

/** `SELECT c1, c2, … FROM table WHERE …`: raw rows keyed by column name. */
export function selectStatement(table: Table, columns: ReadonlyArray<Column>, where: SQL): SQL {
  return fastRenderedFromList([new StringChunk('select '), ...columnList(columns), new StringChunk(' from '), table, new StringChunk(' where '), where])
}

/**
 * `UPDATE table SET c1 = …, c2 = … WHERE … [RETURNING columns]`: each value is bound (encoded by its
 * column) unless it is SQL. Without `returning`, nothing comes back, so callers that need the
 * matched count use the dialect's update; `returning` needs a dialect with `UPDATE … RETURNING`.
 */
export function updateStatement(
  table: Table,
  columns: Readonly<Record<string, Column>>,
  set: Readonly<Record<string, unknown>>,
  where: SQL,
  returning?: Column | ReadonlyArray<Column>,
): SQL {
  const chunks: Array<SQLChunk> = [new StringChunk('update '), table, new StringChunk(' set '), setAssignments(columns, set)]
  chunks.push(new StringChunk(' where '), where)
  if (returning !== undefined) chunks.push(new StringChunk(' returning '), ...columnList(Array.isArray(returning) ? returning : [returning]))
  return fastRenderedFromList(chunks)
}

/**
 * `c1 = …, c2 = …` of an UPDATE's SET: each value bound (encoded by its column) unless it is SQL;
 * keys holding `undefined` or naming no column are left out.
 */
export function setAssignments(columns: Readonly<Record<string, Column>>, set: Readonly<Record<string, unknown>>): SQL {
  const chunks: Array<SQLChunk> = []
  for (const [key, value] of Object.entries(set)) {
    const column = columns[key]
    if (value === undefined || column === undefined) continue
    if (chunks.length > 0) chunks.push(COMMA)
    chunks.push(sql.identifier(column.name), new StringChunk(' = '), is(value, SQL) ? value : boundValue(value, column))
  }
  return fastRenderedFromList(chunks)
}

/** One column's values of every row as a single array parameter cast to `<type>[]`, each encoded by the column. */
function columnArray(column: Column, values: ReadonlyArray<unknown>): Array<SQLChunk> {
  return [new Param(values.map((value) => (value == null ? null : column.mapToDriverValue(value)))), castsOf(column).array]
}

/** `unnest($1::t1[], $2::t2[], …)` of the given columns' values, one array each, zipped back into rows. */
function unnestArrays(arrays: ReadonlyArray<readonly [column: Column, values: ReadonlyArray<unknown>]>): Array<SQLChunk> {
  const arrayList = arrays.flatMap(([column, values], index) => (index === 0 ? columnArray(column, values) : [COMMA, ...columnArray(column, values)]))
  return [new StringChunk('unnest('), ...arrayList, CLOSE]
}

/**
 * {@link insertEveryColumnStatement} with the rows as one array parameter per column:
 * `INSERT INTO table (c1, c2, …) SELECT * FROM unnest($1::t1[], $2::t2[], …)` (PostgreSQL). A
 * thousand rows of forty columns as separate parameters cost the server more to parse and bind
 * than to insert; as forty arrays they do not (`bench/README.md`).
 */
export function insertFromColumnArraysStatement(
  table: Table,
  columns: ReadonlyArray<readonly [key: string, column: Column]>,
  rows: ReadonlyArray<Record<string, unknown>>,
): SQL {
  const chunks = insertInto(table, columns)
  chunks.push(new StringChunk(' select * from '), ...unnestArrays(columns.map(([key, column]) => [column, rows.map((row) => row[key])])))
  return fastRenderedFromList(chunks)
}

/**
 * `unnest($1::o[], $2::t1[], …) as <alias>(owner, c1, …)`: rows, each led by its owner key, as one
 * array parameter per column (see {@link insertFromColumnArraysStatement}), for a FROM clause.
 */
export function ownedColumnArrays(
  alias: string,
  owner: Column,
  columns: ReadonlyArray<readonly [key: string, column: Column]>,
  rows: ReadonlyArray<{ readonly owner: unknown; readonly values: Record<string, unknown> }>,
): SQL {
  const arrays = columns.map(([key, column]) => [column, rows.map((row) => row.values[key])] as const)
  const names = columns.length === 0 ? [] : [COMMA, ...columnList(columns.map(([, column]) => column))]
  return fastRenderedFromList([...unnestArrays([[owner, rows.map((row) => row.owner)], ...arrays]), new StringChunk(` as ${alias}(owner`), ...names, CLOSE])
}
