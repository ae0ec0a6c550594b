/** Opens a node-postgres pool (loaded only when a postgres:// URL asks for it). */
import { drizzle } from 'drizzle-orm/node-postgres'
import pg from 'pg'
import { pgJobDialect } from '../../pg.js'

/** A pool of `maxClients` connections and its drizzle database. */
export function openNodePostgres(url: string, maxClients: number | undefined) {
  const pool = new pg.Pool({ connectionString: url, max: maxClients })
  const db = drizzle({ client: pool })
  return { driver: 'node-postgres' as const, db, binding: pgJobDialect, close: () => pool.end() }
}
