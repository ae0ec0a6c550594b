/**
 * The job-runner tables as dialect-neutral code sees them: a drizzle table whose property keys
 * are the row's keys. Each dialect's `create…JobTables()` result is assignable to {@link JobTables}.
 */
import type { Column, Table } from 'drizzle-orm'
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
} from './rows.js'

/** A drizzle table with one column per key of `TRow`. */
export type TableOf<TRow> = Table & { readonly [K in keyof TRow]-?: Column }

/** Every job-runner table, keyed as `create…JobTables()` returns them. */
export type JobTables = {
  readonly workflows: TableOf<WorkflowRow>
  readonly workflowSteps: TableOf<WorkflowStepRow>
  readonly workflowHistory: TableOf<WorkflowHistoryRow>
  readonly timers: TableOf<TimerRow>
  readonly jobAttempts: TableOf<JobAttemptRow>
  readonly idempotencyKeys: TableOf<IdempotencyKeyRow>
  readonly batches: TableOf<BatchRow>
  readonly batchChunks: TableOf<BatchChunkRow>
  readonly processedRows: TableOf<ProcessedRowRow>
  readonly errorRows: TableOf<ErrorRowRow>
  readonly batchRawRows: TableOf<BatchRawRowRow>
}

/** The tables in creation order (parents before children), for DDL. */
export function jobTablesInCreationOrder(tables: JobTables): Array<Table> {
  return [
    tables.workflows,
    tables.workflowSteps,
    tables.workflowHistory,
    tables.timers,
    tables.jobAttempts,
    tables.idempotencyKeys,
    tables.batches,
    tables.batchChunks,
    tables.processedRows,
    tables.errorRows,
    tables.batchRawRows,
  ]
}
