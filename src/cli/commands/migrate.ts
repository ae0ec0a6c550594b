/** `migrate`: creates or updates the task-executions and job-runner tables (idempotent). */
import type { Command } from 'commander'
import { migrateDatabase, type MigrationMethod } from '../../database/migrate.js'
import { addDatabaseOptions, openFromOptions, type DatabaseCommandOptions } from '../options.js'
import { printJson, printLines } from '../output.js'

const HOW: Readonly<Record<MigrationMethod, string>> = {
  'shipped-migrations': 'shipped migrations applied',
  'runtime-ddl': 'created with the runtime DDL (custom name)',
}

/** Registers `migrate`. */
export function registerMigrateCommand(program: Command): void {
  const command = program
    .command('migrate')
    .summary('create or update the tables (idempotent)')
    .description(
      'Create or update the task-executions table and the job-runner tables; running it again changes nothing. ' +
        'Default names get the shipped migrations (recorded in __drizzle_task_executions_migrations and __drizzle_job_migrations); ' +
        'a custom --table or --prefix gets CREATE … IF NOT EXISTS from the runtime DDL instead (the shipped SQL names the default tables).',
    )
  addDatabaseOptions(command).action(async (options: DatabaseCommandOptions) => {
    const opened = await openFromOptions(options, { requireTables: false })
    try {
      const result = await migrateDatabase(opened.database, { tableName: options.table, tablePrefix: options.prefix })
      if (options.json === true) return printJson(result)
      printLines([
        `task-executions table ${result.taskExecutions.tableName}: ${HOW[result.taskExecutions.method]}, up to date`,
        `job-runner tables${result.jobs.tablePrefix === '' ? '' : ` (prefix ${result.jobs.tablePrefix})`}: ${HOW[result.jobs.method]}, up to date`,
      ])
    } finally {
      await opened.close()
    }
  })
}
