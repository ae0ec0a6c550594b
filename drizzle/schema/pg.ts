/** drizzle-kit input for the shipped PostgreSQL migrations: the default task-executions table. */
import { createPgTaskExecutionsTable } from '../../src/pg.js'

export const taskExecutions = createPgTaskExecutionsTable()
