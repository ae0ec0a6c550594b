/**
 * Where the shipped migrations are, resolved from this module's own location so that the paths
 * hold from `src/` (tsx, tests) and from the built `dist/` (ESM and CommonJS) of an installed
 * package, and the names of the migrations tables they are recorded in.
 */
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The dialect folders of the shipped migrations. */
export type MigrationsDialect = 'pg' | 'mysql' | 'sqlite'

/** drizzle's migrations table for the task-executions migrations: their own, so they never mix with an app's. */
export const TASK_EXECUTIONS_MIGRATIONS_TABLE = '__drizzle_task_executions_migrations'

/** drizzle's migrations table for the job-runner migrations. */
export const JOB_MIGRATIONS_TABLE = '__drizzle_job_migrations'

const DIALECTS: ReadonlyArray<MigrationsDialect> = ['pg', 'mysql', 'sqlite']

/** The nearest folder `relative` above this module that holds a drizzle journal. */
function shippedFolder(relative: string): string {
  // tsup's shims give the CommonJS build an import.meta.url too.
  let directory = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const candidate = join(directory, relative)
    if (existsSync(join(candidate, 'meta', '_journal.json'))) return candidate
    const parent = dirname(directory)
    if (parent === directory) {
      throw new Error(`The shipped migrations folder ${relative} was not found above ${fileURLToPath(import.meta.url)}: reinstall durable-execution-drizzle.`)
    }
    directory = parent
  }
}

function checkedDialect(dialect: MigrationsDialect): MigrationsDialect {
  if (!DIALECTS.includes(dialect)) {
    throw new TypeError(`Unknown migrations dialect ${JSON.stringify(dialect)}: use one of ${DIALECTS.join(', ')}.`)
  }
  return dialect
}

/**
 * The absolute path of the shipped task-executions migrations of a dialect (default table name
 * `task_executions`), for drizzle-orm's `migrate()` with
 * `migrationsTable: TASK_EXECUTIONS_MIGRATIONS_TABLE`.
 */
export function taskExecutionsMigrationsFolder(dialect: MigrationsDialect): string {
  return shippedFolder(join('drizzle', checkedDialect(dialect)))
}

/**
 * The absolute path of the shipped job-runner migrations of a dialect (tables without prefix), for
 * drizzle-orm's `migrate()` with `migrationsTable: JOB_MIGRATIONS_TABLE`.
 */
export function jobMigrationsFolder(dialect: MigrationsDialect): string {
  return shippedFolder(join('drizzle', 'jobs', checkedDialect(dialect)))
}
