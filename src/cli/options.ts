/**
 * The options every database command shares (`--url`, `--table`, `--prefix`, `--json`) and
 * opening the database they name: the job store and the task-executions storage on one
 * connection, with the one-line errors of an unreachable server or missing tables.
 */
import type { Command } from 'commander'
import type { AnySqlTaskExecutionsStorage } from '../database/task-executions.js'
import { openTaskExecutionsStorage } from '../database/task-executions.js'
import { createDatabase, type JobDatabase } from '../database/create-database.js'
import { DatabaseUrlError } from '../database/errors.js'
import { redactSecretsOf, showDatabaseUrl } from '../database/redact.js'
import { DurableExecutionStorageError } from '../core/errors.js'
import { CliError } from './errors.js'

/** The shared options as commander parses them. */
export type DatabaseCommandOptions = {
  /** The database URL; `DATABASE_URL` (also from `.env` outside production) when absent. */
  readonly url?: string
  /** The task-executions table's name (default `task_executions`). */
  readonly table?: string
  /** The job tables' prefix (default '' for none). */
  readonly prefix?: string
  /** Print JSON instead of text. */
  readonly json?: boolean
}

/** A database opened for a command. */
export type OpenedDatabase = {
  /** The job store and drizzle database. */
  readonly database: JobDatabase
  /** The task-executions storage on the same connection. */
  readonly storage: AnySqlTaskExecutionsStorage
  /** Closes the connection (idempotent). */
  close(): Promise<void>
}

/** Adds `--url`, `--table`, `--prefix` and `--json` to a command. */
export function addDatabaseOptions(command: Command): Command {
  return command
    .option('--url <url>', 'database URL: postgres://…, mysql://… or mariadb://…, sqlite:<file>, pglite:[dir], libsql:<file> (default: $DATABASE_URL)')
    .option('--table <name>', 'name of the task-executions table', 'task_executions')
    .option('--prefix <prefix>', 'prefix of the job-runner tables', '')
    .option('--json', 'print JSON instead of text')
}

/** Whether a storage error means the server could not be reached. */
const isUnreachable = (error: unknown) => error instanceof DurableExecutionStorageError && error.kind === 'connection_lost'

/**
 * Opens the database the options name and checks that it answers. With `requireTables` (the
 * default) it also checks the task-executions table, whose error names `migrate` as the fix.
 * @throws CliError when the server cannot be reached; the library's errors otherwise.
 */
export async function openFromOptions(options: DatabaseCommandOptions, { requireTables = true } = {}): Promise<OpenedDatabase> {
  const prefix = options.prefix ?? ''
  const database = await createDatabase({ url: options.url, tablePrefix: prefix === '' ? undefined : prefix }).catch((error: unknown) => {
    // createDatabase's own words name its parameter; on the command line the fix is --url.
    if (error instanceof DatabaseUrlError && error.url === undefined) throw new CliError('No database URL: pass --url (e.g. --url sqlite:./app.db or --url postgres://user@host:5432/db) or set DATABASE_URL.')
    throw error
  })
  let closed: Promise<void> | undefined
  const close = () => (closed ??= database.close())
  try {
    const storage = await openTaskExecutionsStorage(database, { tableName: options.table })
    try {
      // The first round trip: an unreachable server or a refused login fails here.
      await storage.getCurrentTimeMs()
    } catch (error) {
      if (!(error instanceof DurableExecutionStorageError)) throw error
      const url = options.url ?? process.env.DATABASE_URL ?? ''
      const words = redactSecretsOf(error.cause instanceof Error ? error.cause.message : error.message, url)
      const at = `the ${database.dialectName} database at ${showDatabaseUrl(url)}`
      throw new CliError(
        isUnreachable(error)
          ? `Cannot reach ${at}: ${words}. Check that the server is running and that the URL names the right host and port.`
          : `Cannot query ${at}: ${words}. Check the user, password and database name in the URL.`,
      )
    }
    if (requireTables) await storage.checkReady()
    return { database, storage, close }
  } catch (error) {
    await close()
    throw error
  }
}
