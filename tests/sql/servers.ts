/**
 * The real database servers of the SQL tests: their URLs from the environment (local defaults of
 * toolchain.md), a reachability probe with a real `select 1`, and the rule for an unreachable one:
 * one loud line and no suites locally, a failing test when `CI` is set.
 */
import mysql from 'mysql2/promise'
import pg from 'pg'
import { describe, it } from 'vitest'

/** A server the SQL tests can run against. */
export type SqlServerKind = 'PostgreSQL' | 'MariaDB'

const SERVER_URLS: Record<SqlServerKind, { env: string; fallback: string }> = {
  PostgreSQL: { env: 'PG_URL', fallback: 'postgres://postgres@127.0.0.1:5432/test' },
  MariaDB: { env: 'MYSQL_URL', fallback: 'mysql://root@127.0.0.1:3306/test' },
}

/** The URL of a server: its environment variable, else the local default. */
export function serverUrl(kind: SqlServerKind): string {
  const { env, fallback } = SERVER_URLS[kind]
  return process.env[env] || fallback
}

/** A URL fit for messages: the password, if any, replaced by `***`. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    return '<unparseable URL>'
  }
}

async function probe(kind: SqlServerKind, url: string): Promise<void> {
  if (kind === 'PostgreSQL') {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 })
    try {
      await client.connect()
      await client.query('select 1')
    } finally {
      await client.end().catch(() => undefined)
    }
    return
  }
  const connection = await mysql.createConnection({ uri: url, connectTimeout: 3_000 })
  try {
    await connection.query('select 1')
  } finally {
    await connection.end().catch(() => undefined)
  }
}

/**
 * The URL of the server when it answers; otherwise `undefined`, after printing one loud line (and,
 * when `CI` is set, declaring a test that fails with that line, so CI never passes without it).
 */
export async function reachableServerUrl(kind: SqlServerKind): Promise<string | undefined> {
  const url = serverUrl(kind)
  try {
    await probe(kind, url)
    return url
  } catch (error) {
    const reason = error instanceof Error ? error.message || (error as { code?: string }).code : String(error)
    const line =
      `!!! ${kind} at ${redactUrl(url)} is unreachable (${reason}); its SQL suites do not run. ` +
      `Start it (see toolchain.md) or set ${SERVER_URLS[kind].env}.`
    console.warn(line)
    if (process.env.CI) {
      describe(`${kind} server`, () => {
        it('is reachable in CI', () => {
          throw new Error(line)
        })
      })
    }
    return undefined
  }
}
