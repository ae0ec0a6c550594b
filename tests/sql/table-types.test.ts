/**
 * The task-executions tables built from the shared column declarations select exactly the row
 * type the storage is written against, on every dialect (no `any`, statuses as their unions).
 * Compile-time assertions (`pnpm tsc` checks them); the test also runs the factories.
 */
import { getTableColumns } from 'drizzle-orm'
import { describe, expect, expectTypeOf, it } from 'vitest'
import type { TaskExecutionsRow } from '../../src/common/index.js'
import type { TaskExecutionStatus } from '../../src/core/index.js'
import { createMySqlTaskExecutionsTable } from '../../src/mysql.js'
import { createPgTaskExecutionsTable } from '../../src/pg.js'
import { createSQLiteTaskExecutionsTable } from '../../src/sqlite.js'

describe('task-executions tables', () => {
  it('select exactly TaskExecutionsRow on PostgreSQL, MySQL and SQLite', () => {
    const pg = createPgTaskExecutionsTable()
    const mysql = createMySqlTaskExecutionsTable()
    const sqlite = createSQLiteTaskExecutionsTable()
    expectTypeOf<typeof pg.$inferSelect>().toEqualTypeOf<TaskExecutionsRow>()
    expectTypeOf<typeof mysql.$inferSelect>().toEqualTypeOf<TaskExecutionsRow>()
    expectTypeOf<typeof sqlite.$inferSelect>().toEqualTypeOf<TaskExecutionsRow>()
    expectTypeOf<typeof sqlite.$inferSelect.status>().toEqualTypeOf<TaskExecutionStatus>()
    expect(Object.keys(getTableColumns(mysql))).toEqual(Object.keys(getTableColumns(pg)))
    expect(Object.keys(getTableColumns(sqlite))).toEqual(Object.keys(getTableColumns(pg)))
  })
})
