/**
 * Keeps driver errors from ending the process. node-postgres emits `error` on a pool when an idle
 * client loses its connection, and on the client itself when it is checked out (drizzle's
 * transactions check one out); an `error` event with no listener is thrown by Node and kills the
 * process. mysql2 pools and connections emit `error` the same way. Here every client a drizzle
 * database reaches gets a listener that swallows the event: the query in flight fails on its own
 * and is classified at the seam, and the storage layer reports the outage once. Duck-typed: no
 * driver is imported.
 */

/** The part of an event emitter this module uses. */
type EventSource = {
  on(event: string, listener: (...args: Array<unknown>) => void): unknown
  listeners?(event: string): Array<unknown>
}

const guarded = new WeakSet<object>()

function isEventSource(value: unknown): value is EventSource {
  return typeof value === 'object' && value !== null && typeof (value as EventSource).on === 'function'
}

// The event is expected (a dropped connection): the failing query reports it.
const ignoreDriverError = () => undefined

/** Adds the listener once per client; clients a pool hands out later get it when they appear. */
function guardEventSource(source: EventSource): void {
  if (guarded.has(source)) return
  guarded.add(source)
  source.on('error', ignoreDriverError)
  // node-postgres pools: new clients ('connect') and checked-out ones ('acquire').
  // mysql2 pools: new connections ('connection').
  for (const event of ['connect', 'acquire', 'connection']) {
    source.on(event, (client: unknown) => {
      if (isEventSource(client)) guardEventSource(client)
    })
  }
}

/**
 * Guards the driver client behind a drizzle database (`db.$client`: a node-postgres pool or
 * client, a mysql2 pool, …) and, for mysql2's promise wrappers, the core pool they wrap.
 * Harmless for drivers that emit no events (better-sqlite3, PGlite, libsql). Idempotent.
 */
export function guardDriverErrors(db: unknown): void {
  if (typeof db !== 'object' || db === null) return
  const client = (db as { $client?: unknown }).$client
  for (const candidate of [client, (client as { pool?: unknown } | undefined)?.pool]) {
    if (isEventSource(candidate)) guardEventSource(candidate)
  }
}
