/**
 * Raw statements on the mysql2 client under a drizzle MySQL database or transaction, without
 * drizzle's per-field `typeCast` function: with one, mysql2 calls back into JavaScript for every
 * field of every row (a tenth of the Node CPU of reading claimed rows). mysql2's own `dateStrings`
 * gives the strings drizzle's function makes (DATE, DATETIME and TIMESTAMP as sent); every other
 * type is read as drizzle's function reads it, by mysql2's compiled parser. drizzle's query logger
 * still hears each statement. Where the client is out of reach (another driver), drizzle's
 * `execute` runs it, as before.
 */
import type { SQL } from 'drizzle-orm'

/** The drizzle internals this module reads: the session's client and logger, and the dialect. */
type DrizzleMySqlInternals = {
  readonly session?: {
    readonly client?: { readonly query?: unknown }
    readonly logger?: { logQuery(query: string, params: Array<unknown>): void }
  }
  readonly dialect?: { sqlToQuery(statement: SQL): { sql: string; params: Array<unknown> } }
}

/** The promise client's `query` with a query object, as mysql2 takes it. */
type Mysql2Query = (options: { sql: string; dateStrings: true }, values: Array<unknown>) => Promise<unknown>

/** What drizzle's `execute` on a mysql2 database answers: `[rows or result header, fields]`. */
export async function executeOnMysql2Client(
  db: { execute(statement: SQL): Promise<unknown> },
  statement: SQL,
): Promise<unknown> {
  const { session, dialect } = db as DrizzleMySqlInternals
  const client = session?.client
  if (typeof client?.query !== 'function' || !dialect) return await db.execute(statement)
  const { sql, params } = dialect.sqlToQuery(statement)
  session?.logger?.logQuery(sql, params)
  return await (client.query as Mysql2Query).call(client, { sql, dateStrings: true }, params)
}
