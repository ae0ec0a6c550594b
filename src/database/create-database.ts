/**
 * `createDatabase`: a job store from a URL. Only the driver the URL needs is loaded (dynamic
 * import), so a user installs only that one. The URL defaults to `DATABASE_URL` and the pool size
 * to `DB_MAX_CLIENTS`; outside production a `.env` file fills in variables not already set. Every
 * error it throws shows the URL with its secrets hidden and keeps no driver error as its cause.
 */
import { DurableExecutionStorageError } from '../core/errors.js'
import { InvalidJobOptionError, openJobStore, type JobTables, type RootJobStore } from '../jobs/index.js'
import type { AnyMySqlDatabase } from '../mysql.js'
import type { AnyPgDatabase } from '../pg.js'
import type { AnySQLiteDatabase } from '../sqlite.js'
import { DatabaseDriverMissingError, DatabaseOpenError, DatabaseUrlError, summarizeDriverError } from './errors.js'
import { loadEnvFileOutsideProduction } from './env-file.js'
import { redactSecretsOf, showDatabaseUrl } from './redact.js'
import { DATABASE_DRIVER_PACKAGES, parseDatabaseUrl, type DatabaseDriver } from './url.js'

/** Options of {@link createDatabase}. */
export type CreateDatabaseOptions = {
  /** The database URL; `DATABASE_URL` when absent. */
  readonly url?: string
  /** Pool size for server databases; `DB_MAX_CLIENTS` when absent, else the driver's default. */
  readonly maxClients?: number
  /** Prepended to every job table, index and constraint name. */
  readonly tablePrefix?: string
  /** Create missing tables at once (default `false`: use the shipped migrations). */
  readonly ensureTables?: boolean
  /** The clock in epoch milliseconds (default `Date.now`). */
  readonly now?: () => number
  /** Read `.env` outside production (default `true`). */
  readonly loadEnvFile?: boolean
}

type Opened = Awaited<ReturnType<typeof openDriver>>

/** A database handle: the drizzle `db` (typed per driver), the repositories and `close()`. */
export type JobDatabase = RootJobStore<JobTables> & {
  /** Which driver was opened. */
  readonly driver: DatabaseDriver
  /** The drizzle database, for queries beyond the repositories. */
  readonly db: AnyPgDatabase | AnyMySqlDatabase | AnySQLiteDatabase
  /** The dialect's name. */
  readonly dialectName: 'PostgreSQL' | 'MySQL' | 'SQLite'
  /** Closes the pool or connection. */
  close(): Promise<void>
}

async function openDriver(driver: DatabaseDriver, target: string | undefined, maxClients: number | undefined) {
  switch (driver) {
    case 'node-postgres':
      return (await import('./drivers/node-postgres.js')).openNodePostgres(target!, maxClients)
    case 'mysql2':
      return (await import('./drivers/mysql2.js')).openMySql2(target!, maxClients)
    case 'better-sqlite3':
      return (await import('./drivers/better-sqlite3.js')).openBetterSqlite3(target!)
    case 'libsql':
      return (await import('./drivers/libsql.js')).openLibsql(target!)
    case 'pglite':
      return (await import('./drivers/pglite.js')).openPglite(target)
  }
}

function readMaxClients(explicit: number | undefined): number | undefined {
  const raw = explicit ?? process.env.DB_MAX_CLIENTS
  if (raw === undefined || raw === '') return undefined
  const value = Number(raw)
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new InvalidJobOptionError('pool size (maxClients or DB_MAX_CLIENTS)', raw, 'use a positive integer.')
  }
  return value
}

function isMissingPackage(error: unknown, packageName: string): boolean {
  const code = (error as { code?: unknown } | undefined)?.code
  const message = error instanceof Error ? error.message : ''
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && message.includes(`'${packageName}`)
}

/** A storage error whose words came from the driver, with the URL's secrets hidden from them. */
function withoutSecrets(error: unknown, url: string): unknown {
  if (!(error instanceof DurableExecutionStorageError)) return error
  const cause = error.cause === undefined ? undefined : summarizeDriverError(error.cause, url)
  return new DurableExecutionStorageError(redactSecretsOf(error.message, url), error.kind, { cause })
}

/**
 * Opens the database a URL names and returns the job store on it. On MySQL and MariaDB its pool's
 * sessions default to READ COMMITTED (PostgreSQL's default, and the level of every claim, which
 * then needs no `SET TRANSACTION` statement); a transaction of yours that needs REPEATABLE READ
 * asks for it: `db.transaction(fn, { isolationLevel: 'repeatable read' })`.
 * @param urlOrOptions - a URL, or options; without a URL, `DATABASE_URL` is used.
 * @throws DatabaseUrlError on a missing, malformed or unsupported URL (never showing its password);
 *   DatabaseDriverMissingError when the URL's driver package is not installed (the message names
 *   it and how to install it); DatabaseOpenError when the driver cannot open it;
 *   InvalidJobOptionError on a bad pool size or table prefix.
 */
export async function createDatabase(urlOrOptions: string | CreateDatabaseOptions = {}): Promise<JobDatabase> {
  const options = typeof urlOrOptions === 'string' ? { url: urlOrOptions } : urlOrOptions
  if (options.loadEnvFile !== false) loadEnvFileOutsideProduction()
  const url = options.url ?? process.env.DATABASE_URL
  if (url === undefined || url === '') {
    throw new DatabaseUrlError('No database URL: pass one to createDatabase or set DATABASE_URL (e.g. postgres://user@host:5432/db).', undefined)
  }
  const { driver, target } = parseDatabaseUrl(url)
  const maxClients = readMaxClients(options.maxClients)
  let opened: Opened
  try {
    opened = await openDriver(driver, target, maxClients)
  } catch (error) {
    const packageName = DATABASE_DRIVER_PACKAGES[driver]
    const cause = summarizeDriverError(error, url)
    if (isMissingPackage(error, packageName)) {
      throw new DatabaseDriverMissingError(
        `Cannot open ${showDatabaseUrl(url)}: its driver package ${packageName} is not installed. ` +
          `Install it next to drizzle-orm (npm install ${packageName}, pnpm add ${packageName} or yarn add ${packageName}).`,
        packageName,
        { cause },
      )
    }
    throw new DatabaseOpenError(`Cannot open ${showDatabaseUrl(url)} with ${driver}: ${cause.message}`, { cause })
  }
  let store: RootJobStore<JobTables>
  try {
    store = openJobStore(opened.binding as Parameters<typeof openJobStore<unknown, JobTables>>[0], opened.db, options)
    if (options.ensureTables === true) await store.ensureTables()
  } catch (error) {
    // A bad prefix or failed DDL must not leave the pool open.
    await opened.close()
    throw withoutSecrets(error, url)
  }
  return { ...store, driver, db: opened.db, dialectName: opened.binding.sqlDialect.dialectName, close: opened.close }
}
