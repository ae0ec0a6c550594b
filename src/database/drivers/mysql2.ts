/** Opens a mysql2 pool (loaded only when a mysql:// or mariadb:// URL asks for it). */
import { drizzle } from 'drizzle-orm/mysql2'
import mysql from 'mysql2/promise'
import { mySqlJobDialect } from '../../mysql.js'

/**
 * A pool of `maxClients` connections and its drizzle database. A `password` parameter is the
 * password, as node-postgres reads it; mysql2 would ignore it (it keeps the user part's).
 */
export function openMySql2(url: string, maxClients: number | undefined) {
  const password = new URL(url).searchParams.get('password')
  const pool = mysql.createPool({ uri: url, connectionLimit: maxClients ?? 10, ...(password ? { password } : {}) })
  // Positional form: drizzle 0.45's config detection rejects any object with a `mode` key.
  const db = drizzle(pool, { mode: 'default' })
  return { driver: 'mysql2' as const, db, binding: mySqlJobDialect, close: () => pool.end() }
}
