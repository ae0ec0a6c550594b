/**
 * The file a one-connection SQLite database writes its commits to, read from the driver's client
 * (better-sqlite3 names it `name` and says whether it is `memory`), for the file-watching change
 * signal. Nothing for an in-memory or temporary database, or a client that does not say.
 */
import { resolve } from 'node:path'

/** The absolute path of `db`'s database file, or `undefined` when it has none or does not say. */
export function sqliteDatabaseFile(db: unknown): string | undefined {
  const client = (db as { $client?: { name?: unknown; memory?: unknown } } | undefined)?.$client
  if (client?.memory !== false || typeof client.name !== 'string' || client.name === '') return undefined
  return resolve(client.name)
}
