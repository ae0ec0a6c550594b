/**
 * Hooks on the drivers' clients that record every statement they are asked to run (not drizzle's
 * logger, so the records are what really reaches the database). Shared by the SQL test backends
 * and `bench/`, which keep their own counters behind the `StatementSink` they pass in.
 */
import type mysql from 'mysql2/promise'
import type pg from 'pg'

/** Where a hooked client reports each statement (the driver's first argument: SQL text or a query config). */
export type StatementSink = { record(statement: unknown): void }

/** Replaces `object[method]` with a version that records its first argument, then calls through. */
export function countCalls<T extends object>(object: T, method: keyof T & string, sink: StatementSink): void {
  const original = (object as Record<string, unknown>)[method] as (...args: Array<unknown>) => unknown
  ;(object as Record<string, unknown>)[method] = function (this: unknown, ...args: Array<unknown>) {
    sink.record(args[0])
    return original.apply(this, args)
  }
}

/**
 * Records the queries of every client a node-postgres pool hands out; `pool.query` goes through
 * `connect` too, and a client is hooked once however often it is reused.
 */
export function countPgPoolQueries(pool: pg.Pool, sink: StatementSink): void {
  const hooked = new WeakSet<object>()
  const hook = (client: pg.PoolClient | undefined) => {
    if (client && !hooked.has(client)) {
      hooked.add(client)
      countCalls(client, 'query', sink)
    }
    return client
  }
  const connect = pool.connect.bind(pool) as (callback?: unknown) => unknown
  ;(pool as { connect: unknown }).connect = (callback?: (error: unknown, client?: pg.PoolClient, done?: unknown) => void) =>
    callback
      ? connect((error: unknown, client?: pg.PoolClient, done?: unknown) => callback(error, hook(client), done))
      : (connect() as Promise<pg.PoolClient>).then(hook)
}

/** Calls `hook` once for each connection a mysql2 pool hands out, before the caller gets it. */
export function onEachMysqlPoolConnection(pool: mysql.Pool, hook: (connection: mysql.PoolConnection) => void): void {
  const getConnection = pool.getConnection.bind(pool)
  const hooked = new WeakSet<object>()
  ;(pool as { getConnection: unknown }).getConnection = async () => {
    const connection = await getConnection()
    if (!hooked.has(connection)) {
      hooked.add(connection)
      hook(connection)
    }
    return connection
  }
}

/** Records every statement a mysql2 pool runs, directly or on a connection it hands out (hooked once each). */
export function countMysqlPoolQueries(pool: mysql.Pool, sink: StatementSink): void {
  countCalls(pool, 'query', sink)
  countCalls(pool, 'execute', sink)
  onEachMysqlPoolConnection(pool, (connection) => {
    countCalls(connection, 'query', sink)
    countCalls(connection, 'execute', sink)
  })
}
