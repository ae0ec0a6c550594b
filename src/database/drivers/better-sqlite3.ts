/** Opens a better-sqlite3 database (loaded only when a SQLite URL asks for it). */
import Database from 'better-sqlite3'
import { drizzle } from 'drizzle-orm/better-sqlite3'
import { sqliteJobDialect } from '../../sqlite.js'

/** How long a statement waits for another connection's write lock before SQLITE_BUSY. */
const SQLITE_BUSY_TIMEOUT_MS = 5_000

/** One connection; files use WAL so readers do not block the writer. */
export function openBetterSqlite3(path: string) {
  // Another process holding the write lock makes a statement wait up to this long, not fail with
  // SQLITE_BUSY at once; set before WAL, whose switch needs the lock too. Past it, withTransaction
  // retries the whole transaction.
  const client = new Database(path, { timeout: SQLITE_BUSY_TIMEOUT_MS })
  if (path !== ':memory:') client.pragma('journal_mode = WAL')
  // SQLite enforces foreign keys only when asked, per connection.
  client.pragma('foreign_keys = ON')
  const db = drizzle({ client })
  return { driver: 'better-sqlite3' as const, db, binding: sqliteJobDialect, close: (): Promise<void> => {
      client.close()
      return Promise.resolve()
    },
  }
}
