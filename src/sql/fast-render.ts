/**
 * A cheaper rendering of the storage's own statements into SQL text and parameters, for the hot
 * paths (issue 13): drizzle renders each chunk by testing it against a dozen entity classes
 * (walking prototype chains) and allocating a small query object per chunk, and a statement of
 * a few thousand parameters spends most of its Node CPU there. {@link fastRendered} wraps a
 * statement so that drizzle's dialect, when it asks the statement for its query, gets it from
 * one walk over the chunks that knows the kinds the storage builds (text, names, tables, columns,
 * nested SQL, arrays, bound values and `Param`s) and renders them exactly as drizzle does, with
 * the dialect's own escaping and placeholders. Any other kind (views, subqueries, placeholders,
 * aliases, inlined parameters, entities of another copy of drizzle) makes the whole statement
 * fall back to drizzle's rendering, so the result never differs.
 */
import { Column, Name, Param, SQL, StringChunk, Table, type Query } from 'drizzle-orm'

/** What drizzle's dialect hands a statement to render (the part this module reads). */
type RenderConfig = Parameters<SQL['toQuery']>[0]

// drizzle's own symbols (registered, so shared by every copy of drizzle); its types keep them internal.
const TABLE_NAME = Symbol.for('drizzle:Name')
const TABLE_SCHEMA = Symbol.for('drizzle:Schema')
const IS_ALIAS = Symbol.for('drizzle:IsAlias')
const ENTITY_KIND = Symbol.for('drizzle:entityKind')

/** Thrown inside a walk that meets a chunk it does not render; the statement falls back to drizzle. */
class UnsupportedChunk extends Error {}
// One instance, thrown again each time: a statement holding a subquery gives up on every call, and a
// stack captured per give-up would cost for nothing.
const UNSUPPORTED = new UnsupportedChunk('a chunk kind the fast rendering leaves to drizzle')

type Output = { sql: string; readonly params: Array<unknown>; readonly typings: Array<string> }

/** The fields of drizzle's SQL that its types keep internal. */
type SqlInternals = { queryChunks: Array<unknown>; usedTables: Array<string>; shouldInlineParams: boolean }
const internals = (statement: SQL) => statement as unknown as SqlInternals

/** A statement whose query comes from {@link renderChunks}, or from drizzle when that gives up. */
class FastRenderedSQL extends SQL {
  override toQuery(config: RenderConfig): Query {
    if (config.inlineParams || internals(this).shouldInlineParams || config.invokeSource !== undefined) {
      return super.toQuery(config)
    }
    const output: Output = { sql: '', params: [], typings: [] }
    const index = config.paramStartIndex ?? { value: 0 }
    const start = index.value
    try {
      renderChunks(this.queryChunks, output, config, index)
    } catch (error) {
      if (error !== UNSUPPORTED) throw error
      index.value = start
      return super.toQuery(config)
    }
    // drizzle lists typings only when something is bound.
    return output.params.length === 0
      ? { sql: output.sql, params: output.params }
      : ({ sql: output.sql, params: output.params, typings: output.typings } as Query)
  }
}

/**
 * `statement` rendered by this module's walk when a dialect renders it (same text, same
 * parameters as drizzle's rendering). The chunks are shared, not copied.
 */
export function fastRendered(statement: SQL): SQL {
  if (statement instanceof FastRenderedSQL) return statement
  const fast = new FastRenderedSQL([])
  const { queryChunks, usedTables, shouldInlineParams } = internals(statement)
  internals(fast).queryChunks = queryChunks
  internals(fast).usedTables = usedTables
  internals(fast).shouldInlineParams = shouldInlineParams
  return fast
}

/** Consecutive chunks as {@link fastRendered} builds them, without the copy. */
export function fastRenderedFromList(chunks: Array<unknown>): SQL {
  const fast = new FastRenderedSQL([])
  // Assigned, not passed to the constructor: SQL's constructor tests every chunk for a table.
  internals(fast).queryChunks = chunks
  for (const chunk of chunks) {
    if (chunk instanceof Table) internals(fast).usedTables.push(tableName(chunk as Table))
  }
  return fast
}

/** Whether `value` is one of drizzle's entities (of any copy of drizzle). */
function isEntity(value: object): boolean {
  const constructor = (value as { constructor?: unknown }).constructor
  return typeof constructor === 'function' && ENTITY_KIND in constructor
}

/**
 * Whether `value` is a query builder of this copy of drizzle (a select, as `db.select()` makes it):
 * drizzle renders one as its `getSQL()`, after testing it against every other kind, none of which
 * it is. A builder of another copy has an `SQL` of that copy, which the walk leaves to drizzle.
 */
function isQueryBuilder(value: object): boolean {
  if (typeof (value as { getSQL?: unknown }).getSQL !== 'function') return false
  for (let prototype: unknown = Object.getPrototypeOf(value); prototype !== null && prototype !== Object.prototype; prototype = Object.getPrototypeOf(prototype)) {
    const kind = (prototype as { constructor?: Record<symbol, unknown> }).constructor?.[ENTITY_KIND]
    if (kind === 'TypedQueryBuilder') return true
  }
  return false
}

/** The table's name as drizzle lists it among a statement's used tables (unescaped, schema first). */
function tableName(table: Table): string {
  const symbols = table as unknown as Record<symbol, string | undefined>
  const schema = symbols[TABLE_SCHEMA]
  return schema === undefined ? symbols[TABLE_NAME]! : `${schema}.${symbols[TABLE_NAME]!}`
}

/** The table's name escaped by the dialect as drizzle renders it: schema first, unless an alias. */
function escapedTableName(table: object, config: RenderConfig): string {
  const symbols = table as Record<symbol, unknown>
  const name = config.escapeName(symbols[TABLE_NAME] as string)
  const schema = symbols[TABLE_SCHEMA] as string | undefined
  return schema === undefined || symbols[IS_ALIAS] ? name : `${config.escapeName(schema)}.${name}`
}

function renderChunks(chunks: ReadonlyArray<unknown>, output: Output, config: RenderConfig, index: { value: number }): void {
  for (let position = 0; position < chunks.length; position++) renderChunk(chunks[position], output, config, index)
}

function bind(value: unknown, typing: string, output: Output, config: RenderConfig, index: { value: number }): void {
  output.sql += config.escapeParam(index.value++, value)
  output.params.push(value)
  output.typings.push(typing)
}

// The kinds in drizzle's own order of tests (sql.js, buildQueryFromSourceParams).
function renderChunk(chunk: unknown, output: Output, config: RenderConfig, index: { value: number }): void {
  if (chunk === undefined) return
  if (chunk === null || (typeof chunk !== 'object' && typeof chunk !== 'function')) {
    bind(chunk, 'none', output, config, index)
    return
  }
  if (typeof chunk === 'function') throw UNSUPPORTED
  if (chunk instanceof StringChunk) {
    const value = (chunk as unknown as { value: ReadonlyArray<string> }).value
    output.sql += value.length === 1 ? value[0]! : value.join('')
    return
  }
  if (chunk instanceof Name) {
    output.sql += config.escapeName((chunk as unknown as { value: string }).value)
    return
  }
  if (Array.isArray(chunk)) {
    output.sql += '('
    for (let item = 0; item < chunk.length; item++) {
      if (item > 0) output.sql += ', '
      renderChunk(chunk[item], output, config, index)
    }
    output.sql += ')'
    return
  }
  if (chunk instanceof SQL) {
    if (internals(chunk).shouldInlineParams) throw UNSUPPORTED
    renderChunks(chunk.queryChunks, output, config, index)
    return
  }
  if (chunk instanceof Table) {
    output.sql += escapedTableName(chunk, config)
    return
  }
  if (chunk instanceof Column) {
    output.sql += `${escapedTableName(chunk.table, config)}.${config.escapeName(config.casing.getColumnCasing(chunk as Column))}`
    return
  }
  if (chunk instanceof Param) {
    const value: unknown = chunk.value
    if (value !== null && typeof value === 'object' && isEntity(value)) throw UNSUPPORTED
    const mapped: unknown = value === null ? null : chunk.encoder.mapToDriverValue(value)
    if (mapped !== null && typeof mapped === 'object' && isEntity(mapped)) throw UNSUPPORTED
    // A Param is typed by its encoder where the dialect types parameters (PostgreSQL), as drizzle does.
    bind(mapped, config.prepareTyping ? config.prepareTyping(chunk.encoder) : 'none', output, config, index)
    return
  }
  if (chunk instanceof Object && isQueryBuilder(chunk)) {
    // A select builder as a subquery (a claim's locked candidates): its SQL, in parentheses unless it says not.
    const builder = chunk as { getSQL(): SQL; shouldOmitSQLParens?: () => boolean }
    const inParentheses = builder.shouldOmitSQLParens?.() !== true
    if (inParentheses) output.sql += '('
    renderChunk(builder.getSQL(), output, config, index)
    if (inParentheses) output.sql += ')'
    return
  }
  // Views, placeholders, aliases, subqueries, other SQL wrappers and other copies' entities: drizzle's.
  if (typeof (chunk as { getSQL?: unknown }).getSQL === 'function' || isEntity(chunk)) throw UNSUPPORTED
  bind(chunk, 'none', output, config, index)
}
