/** Opens a better-sqlite3 database (loaded only when a SQLite URL asks for it). */
import Database from 'better-sqlite3'
import { drizzle } from 'drizzle-orm/better-sqlite3'
import { sqliteJobDialect } from '../../sqlite.js'

/** One connection; files use WAL so readers do not block the writer. */
export function openBetterSqlite3(path: string) {
  const client = new Database(path)
  if (path !== ':memory:') client.pragma('journal_mode = WAL')
  // SQLite enforces foreign keys only when asked, per connection.
  client.pragma('foreign_keys = ON')
  client.pragma('busy_timeout = 5000')
  const db = drizzle({ client })
  return { driver: 'better-sqlite3' as const, db, binding: sqliteJobDialect, close: (): Promise<void> => {
      client.close()
      return Promise.resolve()
    },
  }
}
