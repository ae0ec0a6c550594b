/** Opens a libsql client (loaded only when a libsql: URL asks for it). */
import { createClient } from '@libsql/client'
import { drizzle } from 'drizzle-orm/libsql'
import { asyncSqliteJobDialect } from '../../sqlite.js'

/**
 * One client; its pool may open more connections (one per open transaction). libsql's SQLite
 * enforces foreign keys on every connection it opens by default (tests/jobs/libsql-foreign-keys
 * checks a second connection); the pragma below also covers the first one of a build that does
 * not. Remote `libsql://` servers apply their own setting.
 */
export async function openLibsql(url: string) {
  const client = createClient({ url })
  // SQLite enforces foreign keys only when asked, per connection.
  await client.execute('pragma foreign_keys = on')
  const db = drizzle({ client })
  return { driver: 'libsql' as const, db, binding: asyncSqliteJobDialect, close: () => Promise.resolve(client.close()) }
}
