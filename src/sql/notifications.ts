/**
 * Listening for PostgreSQL notifications on a connection of its own, through whatever client a
 * drizzle database wraps (duck-typed, so no driver is imported): a node-postgres pool gets a
 * dedicated client made with the pool's own settings, which reconnects with backoff after any
 * fault (a restart, a killed connection) and reports each reconnection as a notification, so that
 * the listener catches up on what it may have missed; PGlite's in-process `listen` needs none of it.
 */

/** A LISTEN that lasts until `close`. */
export type NotificationListener = {
  /** Stops listening and ends the dedicated connection; resolves once it is closed. */
  close(): Promise<void>
}

/** What this module uses of a node-postgres client. */
type PgClientLike = {
  connect(): Promise<unknown>
  query(text: string): Promise<unknown>
  end(): Promise<void>
  on(event: string, listener: (...args: Array<unknown>) => void): unknown
  removeAllListeners(event?: string): unknown
}

/** What this module uses of a node-postgres pool: how it makes clients. */
type PgPoolLike = { Client: new (options: unknown) => PgClientLike; options: unknown }

/** What this module uses of PGlite. */
type PgliteLike = { listen(channel: string, callback: (payload: string) => void): Promise<() => Promise<void>> }

/** What this module reads of a node-postgres notification. */
type PgNotificationLike = { payload?: string }

const FIRST_RECONNECT_DELAY_MS = 100
const MAX_RECONNECT_DELAY_MS = 5_000

function isPgPool(client: unknown): client is PgPoolLike {
  const candidate = client as Partial<PgPoolLike> | null
  return typeof candidate?.Client === 'function' && typeof candidate.options === 'object'
}

function isPglite(client: unknown): client is PgliteLike {
  return typeof (client as Partial<PgliteLike> | null)?.listen === 'function'
}

/**
 * Starts listening on `channel` for the drizzle database `db`; `listenStatement` is the dialect's
 * rendering of `LISTEN <channel>`. `onNotification` gets each notification's payload, and
 * `undefined` after a reconnection. Resolves once the first LISTEN is in place; rejects when `db`'s
 * client cannot listen (neither a node-postgres pool nor PGlite) or the first connection fails.
 */
export async function listenForNotifications(
  db: unknown,
  channel: string,
  listenStatement: string,
  onNotification: (payload: string | undefined) => void,
): Promise<NotificationListener> {
  const client = (db as { $client?: unknown } | null)?.$client
  if (isPglite(client)) {
    const unlisten = await client.listen(channel, (payload) => onNotification(payload))
    return { close: () => unlisten() }
  }
  if (isPgPool(client)) return await listenOnDedicatedClient(client, listenStatement, onNotification)
  throw new Error('Cannot listen for notifications: the database client is neither a node-postgres Pool nor PGlite')
}

/** A dedicated node-postgres client that LISTENs, and comes back after every fault. */
async function listenOnDedicatedClient(
  pool: PgPoolLike,
  listenStatement: string,
  onNotification: (payload: string | undefined) => void,
): Promise<NotificationListener> {
  let isClosed = false
  let current: PgClientLike | undefined
  let reconnectTimer: ReturnType<typeof setTimeout> | undefined
  let failures = 0

  const connect = async () => {
    const client = new pool.Client(pool.options)
    // A fault ends this client: its events must never throw (no listener would kill the process).
    client.on('error', () => reconnectSoon(client))
    client.on('end', () => reconnectSoon(client))
    client.on('notification', (message) => onNotification((message as PgNotificationLike | undefined)?.payload ?? ''))
    current = client
    await client.connect()
    await client.query(listenStatement)
    if (isClosed) await client.end().catch(() => undefined)
  }

  const reconnectSoon = (client: PgClientLike) => {
    if (isClosed || client !== current || reconnectTimer) return
    current = undefined
    void client.end().catch(() => undefined)
    const delayMs = Math.min(FIRST_RECONNECT_DELAY_MS * 2 ** failures, MAX_RECONNECT_DELAY_MS)
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined
      connect().then(
        () => {
          failures = 0
          // Notifications sent while the listener was away are lost: look for work now.
          onNotification(undefined)
        },
        () => {
          failures++
          if (current) reconnectSoon(current)
        },
      )
    }, delayMs)
  }

  await connect()
  return {
    async close() {
      isClosed = true
      clearTimeout(reconnectTimer)
      const client = current
      current = undefined
      client?.removeAllListeners('end')
      await client?.end().catch(() => undefined)
    },
  }
}
