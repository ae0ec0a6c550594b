/** The flat statement builders render the SQL and parameters drizzle's own builders would. */
import { sql } from 'drizzle-orm'
import { PgDialect, pgTable, text, bigint, json } from 'drizzle-orm/pg-core'
import { describe, expect, it } from 'vitest'
import { castBoundValue, caseByKeyExpression, insertEveryColumnStatement, insertFromColumnArraysStatement, ownedColumnArrays, updateStatement } from '../../src/sql/flat-statements.js'

const table = pgTable('flat_things', {
  id: text('id').notNull(),
  startAt: bigint('start_at', { mode: 'number' }),
  payload: json('payload'),
})
const columns = { id: table.id, startAt: table.startAt, payload: table.payload }
const render = (statement: ReturnType<typeof sql>) => new PgDialect().sqlToQuery(statement)

describe('flat statements', () => {
  it('inserts every row with every column, absent values as literal NULL and JSON encoded by its column', () => {
    const query = render(
      insertEveryColumnStatement(table, Object.entries(columns), [
        { id: 'a', startAt: 1, payload: { n: [1] } },
        { id: 'b', startAt: undefined, payload: null },
      ]),
    )
    expect(query.sql).toBe(
      'insert into "flat_things" ("id", "start_at", "payload") values ($1, $2, $3), ($4, null, null)',
    )
    expect(query.params).toEqual(['a', 1, '{"n":[1]}', 'b'])
  })

  it('updates the given columns, binding values and keeping SQL values as SQL', () => {
    const query = render(updateStatement(table, columns, { startAt: sql`${table.startAt} + 1`, payload: [2], id: undefined }, sql`${table.id} = ${'a'}`))
    expect(query.sql).toBe('update "flat_things" set "start_at" = "flat_things"."start_at" + 1, "payload" = $1 where "flat_things"."id" = $2')
    expect(query.params).toEqual(['[2]', 'a'])
  })

  it('writes one CASE branch per key, with casts where given and the fallback value', () => {
    const query = render(caseByKeyExpression(table.id, [['a', castBoundValue(5, table.startAt)], ['b', castBoundValue(null, table.startAt)]], sql`0`))
    expect(query.sql).toBe('(case "flat_things"."id" when $1 then $2::bigint when $3 then $4::bigint else 0 end)')
    expect(query.params).toEqual(['a', 5, 'b', null])
  })

  it('inserts the rows as one typed array parameter per column, absent values as NULL and JSON encoded by its column', () => {
    const query = render(
      insertFromColumnArraysStatement(table, Object.entries(columns), [
        { id: 'a', startAt: 1, payload: { n: [1] } },
        { id: 'b', startAt: undefined, payload: null },
      ]),
    )
    expect(query.sql).toBe(
      'insert into "flat_things" ("id", "start_at", "payload") select * from unnest($1::text[], $2::bigint[], $3::json[])',
    )
    expect(query.params).toEqual([['a', 'b'], [1, null], ['{"n":[1]}', null]])
  })

  it('lists owned rows as arrays led by their owners, for a FROM clause', () => {
    const query = render(
      ownedColumnArrays('owned', table.id, Object.entries(columns), [
        { owner: 'p', values: { id: 'a', startAt: undefined, payload: { n: 1 } } },
        { owner: 'q', values: { id: 'b', startAt: 2, payload: null } },
      ]),
    )
    expect(query.sql).toBe('unnest($1::text[], $2::text[], $3::bigint[], $4::json[]) as owned(owner, "id", "start_at", "payload")')
    expect(query.params).toEqual([['p', 'q'], ['a', 'b'], [null, 2], ['{"n":1}', null]])
  })
})
