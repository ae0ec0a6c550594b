/** drizzle-kit input for the shipped MySQL / MariaDB job-runner migrations: the job tables without a prefix. */
import { createMySqlJobTables } from '../../../src/jobs/tables/mysql.js'

const tables = createMySqlJobTables()

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
