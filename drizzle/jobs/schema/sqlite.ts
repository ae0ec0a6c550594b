/** drizzle-kit input for the shipped SQLite job-runner migrations: the job tables without a prefix. */
import { createSQLiteJobTables } from '../../../src/jobs/tables/sqlite.js'

const tables = createSQLiteJobTables()

export const workflows = tables.workflows
export const workflowSteps = tables.workflowSteps
export const workflowHistory = tables.workflowHistory
export const timers = tables.timers
export const jobAttempts = tables.jobAttempts
export const idempotencyKeys = tables.idempotencyKeys
export const batches = tables.batches
export const batchChunks = tables.batchChunks
export const processedRows = tables.processedRows
export const errorRows = tables.errorRows
export const batchRawRows = tables.batchRawRows
