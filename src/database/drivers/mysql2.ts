/** Opens a mysql2 pool (loaded only when a mysql:// or mariadb:// URL asks for it). */
import { drizzle } from 'drizzle-orm/mysql2'
import type { PoolConnection as CallbackPoolConnection } from 'mysql2'
import mysql from 'mysql2/promise'
import { mySqlJobDialect } from '../../mysql.js'
import { markReadCommittedSessions } from '../../sql/session-isolation.js'

/**
 * A mysql2 pool whose sessions default to READ COMMITTED, PostgreSQL's default and the level of
 * every claim, which then needs no `SET TRANSACTION` statement before it begins. A transaction
 * that wants another level asks for it (`db.transaction(fn, { isolationLevel: 'repeatable read' })`).
 * Unless `options` say `trace: true`, mysql2 does not capture a stack trace for every statement
 * (the storage's errors name the operation that failed).
 */
export function createReadCommittedPool(options: mysql.PoolOptions): mysql.Pool {
  // A reset on release would put each session back at the server's default level.
  const pool = mysql.createPool({ trace: false, ...options, resetOnRelease: false })
  // mysql2 emits `connection` (with its callback-style connection) before it hands a new
  // connection out, so this statement is queued ahead of any other on it.
  pool.on('connection', (connection) => {
    const opened = connection as unknown as CallbackPoolConnection
    // The session's default for every later transaction on this connection.
    opened.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED', (error) => {
      // Never a session at the server's default level: the statement queued after it fails instead.
      if (error) opened.destroy()
    })
  })
  markReadCommittedSessions(pool)
  return pool
}

/**
 * A pool of `maxClients` connections and its drizzle database. A `password` parameter is the
 * password, as node-postgres reads it; mysql2 would ignore it (it keeps the user part's).
 */
export function openMySql2(url: string, maxClients: number | undefined) {
  const password = new URL(url).searchParams.get('password')
  const pool = createReadCommittedPool({ uri: url, connectionLimit: maxClients ?? 10, ...(password ? { password } : {}) })
  // Positional form: drizzle 0.45's config detection rejects any object with a `mode` key.
  const db = drizzle(pool, { mode: 'default' })
  return { driver: 'mysql2' as const, db, binding: mySqlJobDialect, close: () => pool.end() }
}
