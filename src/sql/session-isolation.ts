/**
 * Driver clients whose every session already defaults to READ COMMITTED (the MySQL / MariaDB pools
 * `createDatabase` opens set it when each connection opens). A transaction that needs READ
 * COMMITTED begins on such a client without its own `SET TRANSACTION ISOLATION LEVEL` statement:
 * one round trip less for every claim.
 */

/** The transaction options that ask for READ COMMITTED. */
export type ReadCommittedTransactionConfig = { readonly isolationLevel: 'read committed' }

const READ_COMMITTED: ReadCommittedTransactionConfig = { isolationLevel: 'read committed' }

const readCommittedClients = new WeakSet<object>()

/** Records that every session `client` (a driver pool or connection) hands out defaults to READ COMMITTED. */
export function markReadCommittedSessions(client: object): void {
  readCommittedClients.add(client)
}

/**
 * What to pass to drizzle's `transaction` so that it runs READ COMMITTED on `db`: nothing when the
 * sessions of `db`'s client already default to it, else the isolation level.
 */
export function readCommittedConfigFor(db: object): ReadCommittedTransactionConfig | undefined {
  const client = (db as { readonly $client?: unknown }).$client
  return typeof client === 'object' && client !== null && readCommittedClients.has(client) ? undefined : READ_COMMITTED
}
