/** drizzle-kit input for the shipped SQLite migrations: the default task-executions table. */
import { createSQLiteTaskExecutionsTable } from '../../src/sqlite.js'

export const taskExecutions = createSQLiteTaskExecutionsTable()
