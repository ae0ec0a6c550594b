/**
 * The job tables declared once over each dialect's builders keep their exact row types: what a
 * select returns on every dialect is the row type the repositories are written against. These are
 * compile-time assertions (`pnpm tsc` checks them); the test also runs the factories.
 */
import { getTableName } from 'drizzle-orm'
import { describe, expect, expectTypeOf, it } from 'vitest'
import type {
  BatchChunkRow,
  BatchRawRowRow,
  BatchRow,
  ErrorRowRow,
  IdempotencyKeyRow,
  JobAttemptRow,
  ProcessedRowRow,
  TimerRow,
  WorkflowHistoryRow,
  WorkflowRow,
  WorkflowStepRow,
} from '../../src/jobs/index.js'
import { createMySqlJobTables } from '../../src/jobs/tables/mysql.js'
import { createPgJobTables } from '../../src/jobs/tables/pg.js'
import { createSQLiteJobTables } from '../../src/jobs/tables/sqlite.js'

/** The selected row of each job table, by the key `create…JobTables()` returns it under. */
type SelectedRows<TTables extends Record<keyof JobRows, { $inferSelect: unknown }>> = {
  [K in keyof JobRows]: TTables[K]['$inferSelect']
}

type JobRows = {
  workflows: WorkflowRow
  workflowSteps: WorkflowStepRow
  workflowHistory: WorkflowHistoryRow
  timers: TimerRow
  jobAttempts: JobAttemptRow
  idempotencyKeys: IdempotencyKeyRow
  batches: BatchRow
  batchChunks: BatchChunkRow
  processedRows: ProcessedRowRow
  errorRows: ErrorRowRow
  batchRawRows: BatchRawRowRow
}

describe('job tables declared once', () => {
  it('select exactly the repositories row types on PostgreSQL, MySQL and SQLite', () => {
    const pg = createPgJobTables()
    const mysql = createMySqlJobTables()
    const sqlite = createSQLiteJobTables()
    expectTypeOf<SelectedRows<typeof pg>>().toEqualTypeOf<JobRows>()
    expectTypeOf<SelectedRows<typeof mysql>>().toEqualTypeOf<JobRows>()
    expectTypeOf<SelectedRows<typeof sqlite>>().toEqualTypeOf<JobRows>()
    const namesOf = (tables: Record<string, Parameters<typeof getTableName>[0]>) =>
      Object.entries(tables).map(([key, table]) => [key, getTableName(table)])
    expect(namesOf(mysql)).toEqual(namesOf(pg))
    expect(namesOf(sqlite)).toEqual(namesOf(pg))
  })
})
