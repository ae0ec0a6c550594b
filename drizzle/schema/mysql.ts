/** drizzle-kit input for the shipped MySQL / MariaDB migrations: the default task-executions table. */
import { createMySqlTaskExecutionsTable } from '../../src/mysql.js'

export const taskExecutions = createMySqlTaskExecutionsTable()
