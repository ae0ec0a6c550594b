/** The fast rendering gives every dialect the same text, parameters and typings as drizzle's own. */
import { and, asc, eq, inArray, isNull, or, SQL, sql } from 'drizzle-orm'
import { MySqlDialect, mysqlTable, varchar, bigint as mysqlBigint, json as mysqlJson, QueryBuilder as MySqlQueryBuilder } from 'drizzle-orm/mysql-core'
import { PgDialect, pgSchema, pgTable, text, bigint, json, boolean, QueryBuilder as PgQueryBuilder } from 'drizzle-orm/pg-core'
import { SQLiteSyncDialect, sqliteTable, text as sqliteText, integer, QueryBuilder as SQLiteQueryBuilder } from 'drizzle-orm/sqlite-core'
import { describe, expect, it, vi } from 'vitest'
import { fastRendered } from '../../src/sql/fast-render.js'
import { castBoundValue, caseByKeyExpression, insertEveryColumnStatement, insertFromColumnArraysStatement, ownedColumnArrays, selectStatement, updateStatement } from '../../src/sql/flat-statements.js'

const pgThings = pgTable('fast_things', {
  id: text('id').notNull(),
  startAt: bigint('start_at', { mode: 'number' }),
  payload: json('payload'),
  done: boolean('done'),
})
const schemaThings = pgSchema('elsewhere').table('fast_things', { id: text('id').notNull() })
const mysqlThings = mysqlTable('fast_things', {
  id: varchar('id', { length: 255 }).notNull(),
  startAt: mysqlBigint('start_at', { mode: 'number' }),
  payload: mysqlJson('payload'),
})
const sqliteThings = sqliteTable('fast_things', {
  id: sqliteText('id').notNull(),
  startAt: integer('start_at'),
  payload: sqliteText('payload', { mode: 'json' }),
})

type Things = typeof pgThings | typeof mysqlThings | typeof sqliteThings

/** A claim's locked candidates, as a select builder of the table's dialect (SQLite locks nothing). */
function candidates(things: Things) {
  const query = { where: isNull(things.startAt), orderBy: asc(things.startAt), limit: 3 }
  if (things === pgThings) {
    return new PgQueryBuilder().select({ id: pgThings.id }).from(pgThings).where(query.where).orderBy(query.orderBy).limit(query.limit).for('update', { skipLocked: true })
  }
  if (things === mysqlThings) {
    return new MySqlQueryBuilder().select({ id: mysqlThings.id }).from(mysqlThings).where(query.where).orderBy(query.orderBy).limit(query.limit).for('update', { skipLocked: true })
  }
  return new SQLiteQueryBuilder().select({ id: sqliteThings.id }).from(sqliteThings).where(query.where).orderBy(query.orderBy).limit(query.limit)
}

/** Statements of every kind the storage builds, and a few it leaves to drizzle. */
function statements(things: Things): Record<string, SQL> {
  const columns = { id: things.id, startAt: things.startAt, payload: things.payload }
  const where = and(eq(things.id, 'a'), eq(things.payload, { a: 1 }), or(isNull(things.startAt), inArray(things.startAt, [1, 2, 3])))!
  return {
    insert: insertEveryColumnStatement(things, Object.entries(columns), [
      { id: 'a', startAt: 1, payload: { n: [1] } },
      { id: 'b', startAt: undefined, payload: null },
    ]),
    update: updateStatement(
      things,
      columns,
      {
        startAt: sql`${things.startAt} + ${caseByKeyExpression(things.id, [['a', castBoundValue(2, things.startAt)], ['b', [3]]], sql`0`)}`,
        payload: { x: 'y' },
      },
      where,
      [things.id, things.startAt],
    ),
    select: selectStatement(things, [things.id, things.payload], where),
    owned: ownedColumnArrays('owned', things.id, Object.entries(columns), [
      { owner: 'a', values: { id: 'c', startAt: 5, payload: [1] } },
      { owner: 'b', values: { id: 'd', startAt: null, payload: undefined } },
    ]),
    insertArrays: insertFromColumnArraysStatement(things, Object.entries(columns), [
      { id: 'c', startAt: 5, payload: { n: 'x' } },
      { id: 'd', startAt: null, payload: undefined },
    ]),
    subqueryInWhere: sql`update ${things} set ${sql.identifier('start_at')} = ${7} where ${inArray(things.id, candidates(things))}`,
    subqueryInFrom: sql`select ${sql.identifier('claimed')}.${sql.identifier('id')} from ${candidates(things)} as ${sql.identifier('claimed')} where ${things.id} = ${'a'}`,
    template: sql`select ${sql.identifier('n')}, ${null}, ${true}, ${'text'} from ${things} where ${things.id} in ${['a', 'b']} ${sql.raw('limit 1')}`,
    inlined: sql`select ${'x'} from ${things}`.inlineParams(),
    placeholder: sql`select * from ${things} where ${things.id} = ${sql.placeholder('id')}`,
    empty: sql``,
  }
}

const dialects = [
  { name: 'PostgreSQL', dialect: new PgDialect(), things: pgThings },
  { name: 'MySQL', dialect: new MySqlDialect(), things: mysqlThings },
  { name: 'SQLite', dialect: new SQLiteSyncDialect(), things: sqliteThings },
] as const

describe('fast rendering', () => {
  for (const { name, dialect, things } of dialects) {
    it(`renders like drizzle on ${name}`, () => {
      for (const [kind, statement] of Object.entries(statements(things))) {
        expect({ kind, ...dialect.sqlToQuery(fastRendered(statement)) }).toEqual({ kind, ...dialect.sqlToQuery(statement) })
      }
    })
  }

  it("renders the storage's kinds itself and leaves the others to drizzle", () => {
    const dialect = new PgDialect()
    const drizzleRendering = vi.spyOn(SQL.prototype, 'toQuery')
    try {
      for (const [kind, statement] of Object.entries(statements(pgThings))) {
        drizzleRendering.mockClear()
        dialect.sqlToQuery(fastRendered(statement))
        expect({ kind, fellBack: drizzleRendering.mock.calls.length > 0 }).toEqual({ kind, fellBack: kind === 'inlined' || kind === 'placeholder' })
      }
    } finally {
      drizzleRendering.mockRestore()
    }
  })

  it('names a table and its columns with their schema', () => {
    const dialect = new PgDialect()
    const statement = sql`select ${schemaThings.id} from ${schemaThings} where ${eq(schemaThings.id, 'a')}`
    expect(dialect.sqlToQuery(fastRendered(statement))).toEqual(dialect.sqlToQuery(statement))
    expect(dialect.sqlToQuery(fastRendered(statement)).sql).toBe('select "elsewhere"."fast_things"."id" from "elsewhere"."fast_things" where "elsewhere"."fast_things"."id" = $1')
  })

  it('numbers parameters on from where the dialect asks it to', () => {
    const statement = sql`${1} ${'two'}`
    const { casing } = new PgDialect() as unknown as { casing: Parameters<SQL['toQuery']>[0]['casing'] }
    const config = { casing, escapeName: (name: string) => `"${name}"`, escapeParam: (index: number) => `$${index + 1}`, escapeString: (text: string) => `'${text}'`, paramStartIndex: { value: 4 } }
    expect(fastRendered(statement).toQuery(config)).toEqual(statement.toQuery({ ...config, paramStartIndex: { value: 4 } }))
  })
})
